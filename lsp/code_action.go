package lsp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/mimi-lsp/mimi-lsp/actions"
)

// CommandAction computes an action's edit and applies it with workspace/applyEdit (for
// clients that cannot resolve a code action's edit lazily).
const CommandAction = "mimi.action"

// Actioner is what a service offers when it makes AI code actions (optional).
type Actioner interface {
	// CodeActions lists the actions for a range: cheap, no model call.
	CodeActions(r actions.Request, file string) []actions.Action
	// ResolveAction runs one action on the action model (or the cache).
	ResolveAction(ctx context.Context, in actions.PromptInput, file string, progress actions.Progress) (actions.Result, error)
}

// ActionChecker is what a service offers when it can check, at start, that the action model is
// there (optional); the message (if any) is shown once.
type ActionChecker interface {
	CheckActions(ctx context.Context) string
}

// checkActions runs the service's action model check in the background after initialized.
func (s *Server) checkActions() {
	ck, ok := s.svc.(ActionChecker)
	if !ok {
		return
	}
	s.background(func(ctx context.Context) {
		if msg := ck.CheckActions(ctx); msg != "" {
			s.showOnce(ctx, "action-notice", protocol.MessageTypeWarning, "mimi-lsp: "+msg)
		}
	})
}

// clientActions is what the client can do with code actions (from its capabilities).
type clientActions struct {
	resolveEdit     bool // codeAction.resolveSupport.properties holds "edit"
	documentChanges bool // workspaceEdit.documentChanges
	createFiles     bool // workspaceEdit.resourceOperations holds "create"
	applyEdit       bool // workspace.applyEdit
	showDocument    bool // window.showDocument.support
}

type codeActionParams struct {
	TextDocument textDocumentIdentifier `json:"textDocument"`
	Range        Range                  `json:"range"`
	Context      struct {
		Diagnostics []protocol.Diagnostic `json:"diagnostics"`
		Only        []string              `json:"only"`
		TriggerKind int                   `json:"triggerKind"` // 1 invoked, 2 automatic
	} `json:"context"`
}

// actionData travels with a listed action (CodeAction.data, or the command's argument) and
// comes back when the user picks it.
type actionData struct {
	URI     string               `json:"uri"`
	Version int32                `json:"version"`
	ID      actions.ID           `json:"id"`
	Start   int                  `json:"start"` // byte offsets in that version
	End     int                  `json:"end"`
	Name    string               `json:"name,omitempty"`
	Title   string               `json:"title"`
	Diag    *protocol.Diagnostic `json:"diagnostic,omitempty"`
}

type wireCodeAction struct {
	Title       string                `json:"title"`
	Kind        string                `json:"kind"`
	Diagnostics []protocol.Diagnostic `json:"diagnostics,omitempty"`
	Edit        any                   `json:"edit,omitempty"`
	Command     *protocol.Command     `json:"command,omitempty"`
	Data        *actionData           `json:"data,omitempty"`
}

// codeAction answers textDocument/codeAction from the catalogue (no model call), off the read
// loop on a snapshot of the document. An automatic request (the editor asking as the cursor
// moves, for its lightbulb) gets the fixes only: the AI refactors are for a menu the user opens.
func (s *Server) codeAction(ctx context.Context, id jsonrpc2.ID, reply jsonrpc2.Replier, raw json.RawMessage) error {
	var p codeActionParams
	if err := json.Unmarshal(raw, &p); err != nil || p.TextDocument.URI == "" {
		return s.replyErr(ctx, reply, jsonrpc2.Errorf(jsonrpc2.InvalidParams, "codeAction needs textDocument and range"))
	}
	ac, ok := s.svc.(Actioner)
	doc, open := s.docs.get(p.TextDocument.URI)
	automatic := p.Context.TriggerKind == 2
	if !ok || !open || doc.lost || !slices.ContainsFunc(actionKinds(), func(k string) bool { return kindWanted(k, p.Context.Only) }) ||
		automatic && len(p.Context.Diagnostics) == 0 {
		return s.reply(ctx, reply, []wireCodeAction{}, nil)
	}
	enc := s.encoding()
	start, err1 := doc.Offset(p.Range.Start, enc)
	end, err2 := doc.Offset(p.Range.End, enc)
	if err := errors.Join(err1, err2); err != nil {
		return s.replyErr(ctx, reply, jsonrpc2.Errorf(jsonrpc2.InvalidParams, "codeAction: %v", err))
	}
	req := actions.Request{Text: doc.Text, Language: doc.LanguageID, Path: s.relPath(doc.URI), Start: start, End: end}
	var diags []protocol.Diagnostic
	for _, d := range p.Context.Diagnostics {
		ds, e1 := doc.Offset(d.Range.Start, enc)
		de, e2 := doc.Offset(d.Range.End, enc)
		if e1 != nil || e2 != nil {
			continue
		}
		req.Diagnostics = append(req.Diagnostics, actions.Diagnostic{Start: ds, End: de, Message: d.Message,
			Source: d.Source, Severity: int(d.Severity), Code: fmt.Sprint(d.Code)})
		diags = append(diags, d)
	}
	s.mu.Lock()
	caps := s.clientActions
	s.mu.Unlock()
	cctx, c, tracked := s.track(ctx, id)
	if !tracked {
		return s.replyErr(ctx, reply, jsonrpc2.Errorf(jsonrpc2.InvalidRequest, "server has exited"))
	}
	go func() {
		defer s.untrack(c)
		out := s.listActions(ac, doc, req, diags, p.Context.Only, automatic, caps)
		if cause := context.Cause(cctx); cause != nil {
			_ = s.replyErr(ctx, reply, jsonrpc2.NewError(codeRequestCancelled, cause.Error()))
			return
		}
		_ = s.reply(ctx, reply, out, nil)
	}()
	return nil
}

// listActions turns the catalogue into LSP code actions.
func (s *Server) listActions(ac Actioner, doc *Document, req actions.Request, diags []protocol.Diagnostic, only []string,
	automatic bool, caps clientActions) []wireCodeAction {
	out := []wireCodeAction{}
	for _, a := range ac.CodeActions(req, documentPath(doc.URI)) {
		if !kindWanted(a.Kind, only) || automatic && a.ID != actions.Fix {
			continue
		}
		if !caps.resolveEdit && !caps.applyEdit && a.ID != actions.Explain {
			continue // the client could neither receive the edit nor be sent it
		}
		data := &actionData{URI: doc.URI, Version: doc.Version, ID: a.ID, Start: a.Start, End: a.End, Name: a.Name, Title: a.Title}
		w := wireCodeAction{Title: a.Title, Kind: a.Kind}
		if a.ID == actions.Fix && a.Diag >= 0 && a.Diag < len(diags) {
			data.Diag = &diags[a.Diag]
			w.Diagnostics = []protocol.Diagnostic{diags[a.Diag]}
		}
		if caps.resolveEdit {
			w.Data = data
		} else {
			arg, _ := json.Marshal(data)
			w.Command = &protocol.Command{Title: a.Title, Command: CommandAction, Arguments: []any{json.RawMessage(arg)}}
		}
		out = append(out, w)
	}
	return out
}

// kindWanted applies context.only: a kind is wanted when it is one of them or below one.
func kindWanted(kind string, only []string) bool {
	if len(only) == 0 {
		return true
	}
	for _, o := range only {
		if kind == o || strings.HasPrefix(kind, o+".") {
			return true
		}
	}
	return false
}

// resolveCodeAction answers codeAction/resolve: the model runs now (off the read loop, with
// progress, cancellable) and the action comes back with its edit.
func (s *Server) resolveCodeAction(ctx context.Context, id jsonrpc2.ID, reply jsonrpc2.Replier, raw json.RawMessage) error {
	var w wireCodeAction
	if err := json.Unmarshal(raw, &w); err != nil || w.Data == nil {
		return s.replyErr(ctx, reply, jsonrpc2.Errorf(jsonrpc2.InvalidParams, "codeAction/resolve: not one of mimi's actions"))
	}
	return s.runAction(ctx, id, reply, *w.Data, func(edit any, res actions.Result) any {
		w.Edit = edit
		return w
	})
}

// actionCommand runs mimi.action: the edit is applied through workspace/applyEdit.
func (s *Server) actionCommand(ctx context.Context, id jsonrpc2.ID, reply jsonrpc2.Replier, args []json.RawMessage) error {
	var d actionData
	if len(args) != 1 || json.Unmarshal(args[0], &d) != nil || d.URI == "" {
		return s.replyErr(ctx, reply, jsonrpc2.Errorf(jsonrpc2.InvalidParams, "mimi.action takes the action's data"))
	}
	s.mu.Lock()
	canApply := s.clientActions.applyEdit
	s.mu.Unlock()
	if !canApply && d.ID != actions.Explain {
		return s.replyErr(ctx, reply, jsonrpc2.Errorf(jsonrpc2.InvalidRequest, "mimi.action: the editor cannot apply edits (workspace.applyEdit)"))
	}
	return s.runAction(ctx, id, reply, d, func(edit any, res actions.Result) any {
		if edit == nil {
			return nil
		}
		var applied struct {
			Applied       bool   `json:"applied"`
			FailureReason string `json:"failureReason"`
		}
		cctx, cancel := s.clientCallContext()
		defer cancel()
		if _, err := s.conn.Call(cctx, "workspace/applyEdit", map[string]any{"label": d.Title, "edit": edit}, &applied); err != nil {
			s.show(ctx, protocol.MessageTypeError, "mimi-lsp: "+d.Title+": the editor did not apply the edit: "+err.Error())
		} else if !applied.Applied {
			s.show(ctx, protocol.MessageTypeWarning, "mimi-lsp: "+d.Title+": the editor did not apply the edit"+reason(applied.FailureReason))
		}
		return nil
	})
}

func reason(r string) string {
	if r == "" {
		return "."
	}
	return ": " + r + "."
}

// runAction resolves d in the background and replies with wrap(edit, result).
func (s *Server) runAction(ctx context.Context, id jsonrpc2.ID, reply jsonrpc2.Replier, d actionData, wrap func(edit any, res actions.Result) any) error {
	ac, ok := s.svc.(Actioner)
	if !ok {
		return s.replyErr(ctx, reply, jsonrpc2.Errorf(jsonrpc2.InvalidRequest, "code actions are not available"))
	}
	doc, open := s.docs.get(d.URI)
	if !open || doc.lost {
		return s.replyErr(ctx, reply, jsonrpc2.Errorf(jsonrpc2.InvalidParams, "%s is not open", d.URI))
	}
	if _, known := actions.Kinds[d.ID]; !known {
		return s.replyErr(ctx, reply, jsonrpc2.Errorf(jsonrpc2.InvalidParams, "unknown action %q", d.ID))
	}
	if !identName.MatchString(d.Name) {
		d.Name = ""
	}
	if doc.Version != d.Version || d.Start < 0 || d.End < d.Start || d.End > len(doc.Text) {
		return s.replyErr(ctx, reply, jsonrpc2.Errorf(codeContentModified,
			"the document changed since this action was offered: ask for code actions again"))
	}
	in := actions.PromptInput{
		Action:  actions.Action{ID: d.ID, Kind: actions.Kinds[d.ID], Title: d.Title, Start: d.Start, End: d.End, Name: d.Name, Diag: -1},
		Request: actions.Request{Text: doc.Text, Language: doc.LanguageID, Path: s.relPath(doc.URI), Start: d.Start, End: d.End},
	}
	s.mu.Lock()
	scope := s.cfg.CacheScope
	s.mu.Unlock()
	in.Request.Scope = s.cacheScope(scope)
	enc := s.encoding()
	if d.Diag != nil {
		ds, e1 := doc.Offset(d.Diag.Range.Start, enc)
		de, e2 := doc.Offset(d.Diag.Range.End, enc)
		if e1 == nil && e2 == nil {
			in.Request.Diagnostics = []actions.Diagnostic{{Start: ds, End: de, Message: d.Diag.Message, Source: d.Diag.Source, Severity: int(d.Diag.Severity)}}
			in.Action.Diag = 0
		}
	}
	if d.ID == actions.Fix && in.Action.Diag < 0 {
		return s.replyErr(ctx, reply, jsonrpc2.Errorf(jsonrpc2.InvalidParams, "a fix needs its diagnostic"))
	}
	cctx, c, ok := s.track(ctx, id)
	if !ok {
		return s.replyErr(ctx, reply, jsonrpc2.Errorf(jsonrpc2.InvalidRequest, "server has exited"))
	}
	go func() {
		defer s.untrack(c)
		var tf testFile
		if d.ID == actions.Tests { // off the read loop: it may read the disk
			var err error
			if tf, err = s.findTestFile(doc); err != nil {
				_ = s.replyErr(ctx, reply, jsonrpc2.NewError(codeRequestFailed, err.Error()))
				return
			}
			in.TestFile, in.TestText = tf.rel, tf.text
		}
		p, pctx := s.startProgress(cctx, "mimi: "+strings.TrimPrefix(d.Title, "AI: "), "asking the model")
		start := time.Now()
		res, err := ac.ResolveAction(pctx, in, documentPath(doc.URI), func(tokens int, elapsed time.Duration) {
			p.reportText(fmt.Sprintf("%d tokens, %.0f s", tokens, elapsed.Seconds()))
		})
		observe := func(outcome string) {
			if s.opts.Observer != nil {
				s.opts.Observer.Action(string(d.ID), outcome, time.Since(start))
			}
		}
		switch {
		case context.Cause(cctx) != nil:
			observe("cancelled")
			p.end("cancelled")
			_ = s.replyErr(ctx, reply, jsonrpc2.NewError(codeRequestCancelled, context.Cause(cctx).Error()))
			return
		case pctx.Err() != nil:
			observe("cancelled")
			p.end("cancelled")
			_ = s.replyErr(ctx, reply, jsonrpc2.NewError(codeRequestCancelled, "cancelled by the user"))
			return
		case err != nil:
			observe("error")
			p.end("failed")
			msg := d.Title + ": " + err.Error()
			s.show(ctx, protocol.MessageTypeWarning, "mimi-lsp: "+msg)
			_ = s.replyErr(ctx, reply, jsonrpc2.NewError(codeRequestFailed, msg))
			return
		}
		p.end(fmt.Sprintf("done in %.1f s (%s)", time.Since(start).Seconds(), res.Source))
		if res.Notice != "" {
			s.showOnce(ctx, "action-notice", protocol.MessageTypeWarning, "mimi-lsp: "+res.Notice)
		}
		if res.Explanation != "" {
			observe("explained")
			s.explain(ctx, d.Title, res.Explanation)
			_ = s.reply(ctx, reply, wrap(nil, res), nil)
			return
		}
		if now, ok := s.docs.get(d.URI); !ok || now.Version != doc.Version {
			// Versioned edits would be refused by the client, plain ones misapplied.
			_ = s.replyErr(ctx, reply, jsonrpc2.NewError(codeContentModified,
				"the document changed while the model worked: ask for code actions again"))
			return
		}
		observe("edit")
		edit, err := s.workspaceEdit(doc, tf, res)
		if err != nil {
			s.show(ctx, protocol.MessageTypeWarning, "mimi-lsp: "+d.Title+": "+err.Error())
			_ = s.replyErr(ctx, reply, jsonrpc2.NewError(codeRequestFailed, err.Error()))
			return
		}
		_ = s.reply(ctx, reply, wrap(edit, res), nil)
	}()
	return nil
}

// identName is what a declaration's name looks like (data from the client is checked).
var identName = regexp.MustCompile(`^[\p{L}_$][\p{L}\p{N}_$]{0,127}$|^$`)

// LSP error codes jsonrpc2 lacks: ContentModified (the document changed under the request)
// and RequestFailed (valid request, failed).
const (
	codeContentModified jsonrpc2.Code = -32801
	codeRequestFailed   jsonrpc2.Code = -32803
)

// actionKinds are the code action kinds the server offers.
func actionKinds() []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range []actions.ID{actions.Fix, actions.Rewrite, actions.Document, actions.Implement, actions.Tests, actions.Explain} {
		k := actions.Kinds[id]
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// clientActionCaps reads what the client can do with code actions and workspace edits.
type clientActionCaps struct {
	TextDocument struct {
		CodeAction struct {
			ResolveSupport struct {
				Properties []string `json:"properties"`
			} `json:"resolveSupport"`
		} `json:"codeAction"`
	} `json:"textDocument"`
	Window struct {
		ShowDocument struct {
			Support bool `json:"support"`
		} `json:"showDocument"`
	} `json:"window"`
	Workspace struct {
		ApplyEdit     bool `json:"applyEdit"`
		WorkspaceEdit struct {
			DocumentChanges    bool     `json:"documentChanges"`
			ResourceOperations []string `json:"resourceOperations"`
		} `json:"workspaceEdit"`
	} `json:"workspace"`
}

func (c clientActionCaps) actions() clientActions {
	has := func(list []string, v string) bool {
		for _, x := range list {
			if x == v {
				return true
			}
		}
		return false
	}
	return clientActions{
		resolveEdit:     has(c.TextDocument.CodeAction.ResolveSupport.Properties, "edit"),
		documentChanges: c.Workspace.WorkspaceEdit.DocumentChanges,
		createFiles:     has(c.Workspace.WorkspaceEdit.ResourceOperations, "create"),
		applyEdit:       c.Workspace.ApplyEdit,
		showDocument:    c.Window.ShowDocument.Support,
	}
}

// clientCallContext bounds a server→client request made after a reply's work (applyEdit,
// showDocument): it ends with the session (shutdown, exit, end of input) or after a minute,
// so a client that never answers cannot hold Serve's exit.
func (s *Server) clientCallContext() (context.Context, context.CancelFunc) {
	s.mu.Lock()
	base := s.bgCtx
	s.mu.Unlock()
	if base == nil {
		base = context.Background()
	}
	return context.WithTimeout(base, time.Minute)
}
