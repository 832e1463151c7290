package wiring

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mimi-lsp/mimi-lsp/actions"
	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/internal/secretfiles"
	"github.com/mimi-lsp/mimi-lsp/lsp"
	"github.com/mimi-lsp/mimi-lsp/model"
)

// CodeActions implements lsp.Actioner: the catalogue (no model call). A secret file gets no
// actions, and none are offered once the action model turned out missing with
// actionFallback=hide.
func (s *Session) CodeActions(r actions.Request, file string) []actions.Action {
	s.mu.Lock()
	deny, hidden := s.deny, s.actionsHidden
	s.mu.Unlock()
	if hidden || deny != nil && (deny.Match(file) || r.Path != "" && deny.Match(r.Path) || deny.Sniff(docKey(file, r.Path), r.Text) != "") {
		return nil
	}
	return actions.Catalogue(r)
}

// ResolveAction implements lsp.Actioner: code from other files joins the prompt, then the
// action model answers through the scheduler (or the cache). A missing action model falls
// back to the completion model (actionFallback=completion-model) with a notice naming the
// ollama pull, or hides the actions (hide).
func (s *Session) ResolveAction(ctx context.Context, in actions.PromptInput, file string, progress actions.Progress) (actions.Result, error) {
	s.mu.Lock()
	cfg, deny, sched, tier := s.cfg, s.deny, s.sched, s.tier
	indexed := len(s.indexers) > 0 && s.cfg.Indexing
	s.mu.Unlock()
	if deny != nil && (deny.Match(file) || in.Request.Path != "" && deny.Match(in.Request.Path) ||
		in.TestFile != "" && deny.Match(in.TestFile)) {
		return actions.Result{}, errors.New("no code actions in secret files")
	}
	if deny != nil {
		for _, t := range []struct{ key, text string }{{docKey(file, in.Request.Path), in.Request.Text}, {"", in.TestText}} {
			if what := deny.Sniff(t.key, t.text); what != "" {
				return actions.Result{}, fmt.Errorf("no code actions here: %s holds %s", cmp.Or(t.key, in.TestFile), what)
			}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.ActionTimeout)
	defer cancel()
	if indexed && len(in.Snippets) == 0 && in.Action.ID != actions.Explain {
		in.Snippets = s.actionSnippets(ctx, in, file, deny)
	}
	eng := actions.NewEngine(sched.v, tier.v, actionConfig(cfg, cfg.ActionModel, s))
	res, err := eng.Resolve(ctx, in, progress)
	if model.KindOf(err) != model.KindModelMissing {
		return res, err
	}
	pull := fmt.Sprintf("the action model %s is not pulled (run: ollama pull %s)", cfg.ActionModel, cfg.ActionModel)
	if cfg.ActionFallback == "hide" {
		s.mu.Lock()
		s.actionsHidden = true
		s.mu.Unlock()
		return res, fmt.Errorf("%s; AI code actions are hidden until then (actionFallback=hide)", pull)
	}
	// On the completion model: its own pinned num_ctx (another one would reload it under the
	// completions) and a shorter answer (the action holds a slot completions wait for).
	fc := actionConfig(cfg, cfg.CompletionModel, s)
	fc.NumCtx, fc.NumPredict = cfg.NumCtx, min(cfg.ActionNumPredict, cfg.NumCtx/4)
	fallback := actions.NewEngine(sched.v, tier.v, fc)
	res, err = fallback.Resolve(ctx, in, progress)
	if err == nil {
		res.Notice = pull + ": " + cfg.CompletionModel + " answered instead"
	}
	return res, err
}

var _ lsp.Actioner = (*Session)(nil)

// CheckActions implements lsp.ActionChecker: it asks Ollama (/api/show) whether the action
// model is pulled and can chat. When it is not, the actions hide now (actionFallback=hide) or
// will run on the completion model, and the message says which ollama pull fixes it; "" when
// all is well or Ollama does not answer (completions report that).
func (s *Session) CheckActions(ctx context.Context) string {
	s.mu.Lock()
	cfg, sched := s.cfg, s.sched
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	caps, err := sched.v.Capabilities(ctx, cfg.ActionModel)
	switch {
	case model.KindOf(err) == model.KindModelMissing:
		pull := fmt.Sprintf("the action model %s is not pulled (run: ollama pull %s)", cfg.ActionModel, cfg.ActionModel)
		if cfg.ActionFallback == "hide" {
			s.mu.Lock()
			s.actionsHidden = true
			s.mu.Unlock()
			return pull + "; AI code actions are hidden until then (actionFallback=hide)"
		}
		return pull + "; AI code actions run on " + cfg.CompletionModel + " until then"
	case err != nil:
		return ""
	case !model.HasCapability(caps, "completion"):
		return fmt.Sprintf("the action model %s cannot chat (capabilities %v): set actionModel to a chat model", cfg.ActionModel, caps)
	}
	return ""
}

var _ lsp.ActionChecker = (*Session)(nil)

func actionConfig(cfg config.Config, modelName string, s *Session) actions.Config {
	return actions.Config{Model: modelName, NumCtx: cfg.ActionNumCtx, NumPredict: cfg.ActionNumPredict,
		Temperature: 0.2, KeepAlive: cfg.KeepAlive, Log: s.w.log}
}

// actionSnippetBudget bounds the code from other files in an action's prompt, and
// actionSearchBudget how long the action waits for that search.
const (
	actionSnippetBudget = 6000
	actionSearchBudget  = 2 * time.Second
)

// actionSnippets searches the workspace index with the code around the action's target.
func (s *Session) actionSnippets(ctx context.Context, in actions.PromptInput, file string, deny *secretfiles.Matcher) []actions.Snippet {
	query := queryAround(in.Request.Text, in.Action.End)
	if query == "" {
		return nil
	}
	sctx, cancel := context.WithTimeout(ctx, actionSearchBudget)
	defer cancel()
	hits, err := s.sessionSearch(sctx, query, 8)
	if err != nil {
		s.w.log.Debug("action: no code from other files", "err", err)
		return nil
	}
	var out []actions.Snippet
	used := 0
	for _, h := range hits {
		if h.file == file || used+len(h.text) > actionSnippetBudget ||
			deny != nil && (deny.Match(h.file) || deny.Match(h.rel) || deny.Sniff("", h.text) != "") { // the index may predate these rules
			continue
		}
		used += len(h.text)
		out = append(out, actions.Snippet{Path: h.rel, Text: h.text})
		if len(out) == 3 {
			break
		}
	}
	return out
}

// docKey names a document for the secret rules' memory: its file, else its workspace path.
func docKey(file, path string) string { return cmp.Or(file, path) }
