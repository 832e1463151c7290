package wiring

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/mimi-lsp/mimi-lsp/completion"
	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/embed"
	"github.com/mimi-lsp/mimi-lsp/internal/secretfiles"
	"github.com/mimi-lsp/mimi-lsp/lsp"
)

// Session is one editor session's service (lsp.Service): one completion engine for the
// session's life, reconfigured in place, on the process's shared scheduler and cache tier for
// the configuration's Ollama host and Redis URL. It holds a reference on each; when the last
// session lets go of one it lingers for the longest a call started on it can run, then closes
// its Redis client or idle HTTP connections.
type Session struct {
	w   *Wiring
	eng *completion.Engine

	mu       sync.Mutex
	cfg      config.Config
	tier     *tierRef
	sched    *schedRef
	closed   bool
	indexers map[string]*embed.Indexer // by root: this session's indexers (shared per process)
	retr     *retriever
	deny     *secretfiles.Matcher
	// actionsHidden: the action model is missing and actionFallback=hide (until reconfigured).
	actionsHidden bool
}

// NewSession builds a session for cfg.
func (w *Wiring) NewSession(cfg config.Config) (*Session, error) {
	s := &Session{w: w, indexers: map[string]*embed.Indexer{}}
	s.retr = newRetriever(w.log, s.sessionSearch)
	if err := s.Configure(cfg); err != nil {
		return nil, err
	}
	return s, nil
}

// Configure applies cfg in place: the engine keeps its typing-ahead state, calls in flight (on
// the backend they started on) and statistics; a tier or scheduler no longer used is released.
func (s *Session) Configure(cfg config.Config) error {
	deny, err := secretfiles.New(secretfiles.Split(cfg.SecretFiles))
	if err != nil {
		return err
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return errors.New("session closed")
	}
	sched, err := s.w.acquireScheduler(cfg)
	if err != nil {
		return err
	}
	tier, err := s.w.acquireTier(cfg)
	if err != nil {
		s.w.releaseScheduler(sched, lingerFor(cfg))
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed { // closed while we acquired
		s.w.releaseScheduler(sched, lingerFor(cfg))
		s.w.releaseTier(tier, lingerFor(cfg))
		return errors.New("session closed")
	}
	oldTier, oldSched, oldCfg := s.tier, s.sched, s.cfg
	s.cfg, s.tier, s.sched = cfg, tier, sched
	if s.eng == nil {
		s.eng = completion.New(sched.v, tier.v, completion.ConfigFrom(cfg), s.w.log, completion.WithObserver(s.w.metrics))
	} else {
		s.eng.SetConfig(completion.ConfigFrom(cfg))
		if oldTier != tier || oldSched != sched {
			s.eng.SetBackend(sched.v, tier.v)
		}
	}
	s.eng.SetDenylist(deny)
	s.deny = deny
	s.actionsHidden = false
	// Calls started before this change run with the old configuration's deadline.
	if oldSched != nil {
		s.w.releaseScheduler(oldSched, lingerFor(oldCfg))
	}
	if oldTier != nil {
		s.w.releaseTier(oldTier, lingerFor(oldCfg))
	}
	return nil
}

// Complete implements lsp.Service.
func (s *Session) Complete(ctx context.Context, r completion.Request) (completion.Result, error) {
	s.mu.Lock()
	eng := s.eng
	s.mu.Unlock()
	return eng.Complete(ctx, s.withSnippets(r))
}

// CompleteReady implements lsp.ReadyCompleter: the answer when it needs no waiting, and the
// request with its snippets looked for (Complete does not look again).
func (s *Session) CompleteReady(r completion.Request) (completion.Request, completion.Result, bool) {
	s.mu.Lock()
	eng := s.eng
	s.mu.Unlock()
	r = s.withSnippets(r)
	res, ok := eng.Ready(r)
	return r, res, ok
}

// withSnippets adds code from other files (never waits: ready snippets or none), once.
func (s *Session) withSnippets(r completion.Request) completion.Request {
	if r.Retrieved {
		return r
	}
	r.Retrieved = true
	if budget, ok := s.retrieval(r); ok && len(r.Snippets) == 0 {
		start := time.Now()
		r.Snippets = s.retr.snippets(r, budget)
		s.w.metrics.CompletionStage(completion.StageRetrieval, time.Since(start))
	}
	return r
}

var _ lsp.ReadyCompleter = (*Session)(nil)

// Prefetch implements lsp.Prefetcher: it starts retrieval for r's region ahead of the keystroke.
func (s *Session) Prefetch(r completion.Request) {
	if budget, ok := s.retrieval(r); ok {
		s.retr.snippets(r, budget)
	}
}

var _ lsp.Prefetcher = (*Session)(nil)

// retrieval reports whether completions of r get code from other files, and the snippets'
// budget in bytes. A secret file's text must not even become a search query (the engine then
// refuses to complete in it).
func (s *Session) retrieval(r completion.Request) (budget int, ok bool) {
	s.mu.Lock()
	budget, deny := s.cfg.SnippetTokens*3, s.deny
	indexed := len(s.indexers) > 0 && s.cfg.Indexing
	s.mu.Unlock()
	if !indexed || deny == nil {
		return budget, indexed
	}
	// The same key as the engine's gate: the second sniff of this text is a comparison.
	secret := deny.Match(r.File) || (r.Path != "" && deny.Match(r.Path)) || deny.Sniff(docKey(r.File, r.Path), r.Text) != ""
	return budget, !secret
}

// Stats implements lsp.Service: the completions by source and outcome (read back from the
// process's metrics: one set of numbers) and this session's cache tiers.
func (s *Session) Stats() map[string]any {
	s.mu.Lock()
	t := s.tier.v
	s.mu.Unlock()
	return map[string]any{"completion": s.w.metrics.CompletionStats(), "cache": t.Stats()}
}

// Problem implements lsp.Service: the shared cache tier's standing problem, if any.
func (s *Session) Problem() error {
	s.mu.Lock()
	t := s.tier.v
	s.mu.Unlock()
	return t.Problem()
}

// Close releases the session's tier and scheduler (idempotent).
func (s *Session) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	tier, sched, cfg := s.tier, s.sched, s.cfg
	s.mu.Unlock()
	s.retr.close()
	s.w.releaseTier(tier, lingerFor(cfg))
	s.w.releaseScheduler(sched, lingerFor(cfg))
}

var _ lsp.Service = (*Session)(nil)

// Accepted implements lsp.Acceptor: the user took a suggestion.
func (s *Session) Accepted(r completion.Ref) {
	s.mu.Lock()
	eng := s.eng
	s.mu.Unlock()
	eng.Accepted(r)
}

var _ lsp.Acceptor = (*Session)(nil)
