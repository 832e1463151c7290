package lsp

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/actions"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/lsptest"
)

// actionService makes the catalogue's actions; resolving answers answer (parsed by the real
// actions.Parse) or, with block set, waits until its context ends.
type actionService struct {
	problemService
	answer string
	block  bool
	gate   chan struct{} // when set, resolving waits for it to close
	mu     sync.Mutex
	lists  int
	calls  []actions.PromptInput
	ended  chan error
}

func (x *actionService) CodeActions(r actions.Request, _ string) []actions.Action {
	x.mu.Lock()
	x.lists++
	x.mu.Unlock()
	return actions.Catalogue(r)
}

func (x *actionService) ResolveAction(ctx context.Context, in actions.PromptInput, _ string, progress actions.Progress) (actions.Result, error) {
	x.mu.Lock()
	x.calls = append(x.calls, in)
	x.mu.Unlock()
	if x.block {
		<-ctx.Done()
		x.ended <- ctx.Err()
		return actions.Result{}, ctx.Err()
	}
	if x.gate != nil {
		select {
		case <-x.gate:
		case <-ctx.Done():
			return actions.Result{}, ctx.Err()
		}
	}
	progress(3, time.Second)
	return actions.Parse(in, x.answer, false, actions.Result{Source: "model"})
}

const actionDoc = "package p\n\nfunc Sum(xs []int) int {\n\tt := 0\n\tfor i := 0; i < len(xs); i++ {\n\t\tt += xs[i]\n\t}\n\treturn t\n}\n"

const actionAnswer = "```go\nfunc Sum(xs []int) int {\n\tt := 0\n\tfor _, x := range xs {\n\t\tt += x\n\t}\n\treturn t\n}\n```"

// initActions initializes with the given code action and workspace edit capabilities.
func initActions(t *testing.T, c *lsptest.Client, resolve bool) {
	t.Helper()
	caps := map[string]any{
		"window":    map[string]any{"workDoneProgress": true},
		"workspace": map[string]any{"applyEdit": true, "workspaceEdit": map[string]any{"documentChanges": true, "resourceOperations": []string{"create"}}},
	}
	if resolve {
		caps["textDocument"] = map[string]any{"codeAction": map[string]any{"resolveSupport": map[string]any{"properties": []string{"edit"}}}}
	}
	var res json.RawMessage
	if err := c.Call(context.Background(), "initialize", map[string]any{"processId": nil, "rootUri": "file:///w", "capabilities": caps}, &res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(res), `"codeActionProvider":{"codeActionKinds":[`) || !strings.Contains(string(res), `"resolveProvider":true`) {
		t.Fatalf("capabilities %s", res)
	}
	_ = c.Notify("initialized", map[string]any{})
}

type wireAction struct {
	Title   string          `json:"title"`
	Kind    string          `json:"kind"`
	Edit    json.RawMessage `json:"edit"`
	Command *struct {
		Command   string            `json:"command"`
		Arguments []json.RawMessage `json:"arguments"`
	} `json:"command"`
	Data json.RawMessage `json:"data"`
}

func listActions(t *testing.T, c *lsptest.Client, line, char int, only ...string) []wireAction {
	t.Helper()
	ctx := map[string]any{"diagnostics": []any{}}
	if len(only) > 0 {
		ctx["only"] = only
	}
	var list []wireAction
	pos := map[string]any{"line": line, "character": char}
	if err := c.Call(context.Background(), "textDocument/codeAction", map[string]any{"textDocument": map[string]any{"uri": "file:///w/p.go"},
		"range": map[string]any{"start": pos, "end": pos}, "context": ctx}, &list); err != nil {
		t.Fatal(err)
	}
	return list
}

// applyDocumentChanges applies a WorkspaceEdit's documentChanges for uri to text.
func applyDocumentChanges(t *testing.T, edit json.RawMessage, uri, text string, version int) string {
	t.Helper()
	var we struct {
		DocumentChanges []struct {
			TextDocument struct {
				URI     string `json:"uri"`
				Version *int   `json:"version"`
			} `json:"textDocument"`
			Edits []struct {
				Range   Range  `json:"range"`
				NewText string `json:"newText"`
			} `json:"edits"`
		} `json:"documentChanges"`
	}
	if err := json.Unmarshal(edit, &we); err != nil || len(we.DocumentChanges) != 1 {
		t.Fatalf("edit %s: %v", edit, err)
	}
	dc := we.DocumentChanges[0]
	if dc.TextDocument.URI != uri || dc.TextDocument.Version == nil || *dc.TextDocument.Version != version {
		t.Fatalf("edit for %s version %v, want %s version %d", dc.TextDocument.URI, dc.TextDocument.Version, uri, version)
	}
	d := NewDocument(uri, "go", 1, text)
	for i := len(dc.Edits) - 1; i >= 0; i-- { // non-overlapping, in order: apply from the end
		e := dc.Edits[i]
		s, _ := d.Offset(e.Range.Start, UTF16)
		en, _ := d.Offset(e.Range.End, UTF16)
		text = text[:s] + e.NewText + text[en:]
	}
	return text
}

// TestCodeActionsResolveLazily: the menu comes from the catalogue without a model call; picking
// an action resolves its edit (versioned, minimal) with progress; a second menu after an edit
// makes the old action stale; context.only filters.
func TestCodeActionsResolveLazily(t *testing.T) {
	x := &actionService{answer: actionAnswer}
	c := startServiceSession(t, x)
	initActions(t, c, true)
	_ = c.DidOpen("file:///w/p.go", "go", actionDoc)
	list := listActions(t, c, 5, 2)
	var rewrite *wireAction
	for i, a := range list {
		if a.Edit != nil || a.Data == nil || !strings.HasPrefix(a.Title, "AI: ") {
			t.Fatalf("listed action %+v: want data, no edit, an AI title", a)
		}
		if strings.HasPrefix(a.Kind, "refactor.rewrite.mimi.rewrite") {
			rewrite = &list[i]
		}
	}
	if rewrite == nil || len(x.calls) != 0 {
		t.Fatalf("no rewrite in %+v, or the model ran while listing (%d)", list, len(x.calls))
	}
	if only := listActions(t, c, 5, 2, "quickfix"); len(only) != 0 {
		t.Fatalf("only quickfix gave %+v", only)
	}
	var resolved wireAction
	if err := c.Call(context.Background(), "codeAction/resolve", rewrite, &resolved); err != nil {
		t.Fatal(err)
	}
	got := applyDocumentChanges(t, resolved.Edit, "file:///w/p.go", actionDoc, 1)
	if want := strings.Replace(actionDoc, "for i := 0; i < len(xs); i++ {\n\t\tt += xs[i]", "for _, x := range xs {\n\t\tt += x", 1); got != want {
		t.Fatalf("after the edit:\n%s", got)
	}
	waitProgress(t, c, "end")

	_ = c.DidChange("file:///w/p.go", 2, lsptest.Change{StartLine: 0, StartChar: 0, EndLine: 0, EndChar: 0, Text: "// edited\n"})
	err := c.Call(context.Background(), "codeAction/resolve", rewrite, &resolved)
	if err == nil || !strings.Contains(err.Error(), "changed since") {
		t.Fatalf("a stale action resolved: %v", err)
	}
}

// TestCodeActionCancel: cancelling the request (or the progress) ends the model call.
func TestCodeActionCancel(t *testing.T) {
	for _, how := range []string{"request", "progress"} {
		t.Run(how, func(t *testing.T) {
			x := &actionService{block: true, ended: make(chan error, 1)}
			c := startServiceSession(t, x)
			initActions(t, c, true)
			_ = c.DidOpen("file:///w/p.go", "go", actionDoc)
			list := listActions(t, c, 5, 2)
			p, err := c.Send("codeAction/resolve", list[0])
			if err != nil {
				t.Fatal(err)
			}
			begin := waitProgress(t, c, "begin")
			if how == "request" {
				_ = c.Cancel(p)
			} else {
				var tok string
				for _, n := range c.Notifications("$/progress") {
					var pp struct {
						Token string `json:"token"`
					}
					_ = json.Unmarshal(n.Params, &pp)
					tok = pp.Token
				}
				_ = c.Notify("window/workDoneProgress/cancel", map[string]any{"token": tok})
			}
			select {
			case <-x.ended:
			case <-time.After(10 * time.Second):
				t.Fatalf("the model call did not end (progress %v)", begin)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := p.Wait(ctx, nil); err == nil {
				t.Fatal("a cancelled resolve answered")
			}
		})
	}
}

// TestCodeActionCommandAppliesEdit: a client without resolve support gets a command; running it
// resolves the edit and sends workspace/applyEdit.
func TestCodeActionCommandAppliesEdit(t *testing.T) {
	x := &actionService{answer: actionAnswer}
	c := startServiceSession(t, x)
	applied := make(chan json.RawMessage, 1)
	c.Answer("workspace/applyEdit", func(params json.RawMessage) any {
		applied <- params
		return map[string]any{"applied": true}
	})
	initActions(t, c, false)
	_ = c.DidOpen("file:///w/p.go", "go", actionDoc)
	var cmd *wireAction
	for _, a := range listActions(t, c, 5, 2) {
		if a.Command == nil || a.Command.Command != CommandAction || a.Data != nil {
			t.Fatalf("action %+v: want a mimi.action command", a)
		}
		if strings.Contains(a.Kind, ".rewrite.mimi.rewrite") {
			cmd = &a
		}
	}
	if err := c.Call(context.Background(), "workspace/executeCommand", map[string]any{"command": CommandAction, "arguments": cmd.Command.Arguments}, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-applied:
		var params struct {
			Label string          `json:"label"`
			Edit  json.RawMessage `json:"edit"`
		}
		_ = json.Unmarshal(p, &params)
		if got := applyDocumentChanges(t, params.Edit, "file:///w/p.go", actionDoc, 1); !strings.Contains(got, "range xs") || params.Label != cmd.Title {
			t.Fatalf("applied %q:\n%s", params.Label, got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no workspace/applyEdit")
	}
}

// TestExplainGoesToTheUser: an explanation comes as a message by default, and as a Markdown
// document opened with window/showDocument with actionExplain=document.
func TestExplainGoesToTheUser(t *testing.T) {
	for _, mode := range []string{"message", "document"} {
		t.Run(mode, func(t *testing.T) {
			t.Setenv("XDG_CACHE_HOME", t.TempDir())
			x := &actionService{answer: "Sum adds the numbers of xs."}
			c := startServiceSession(t, x)
			shown := make(chan string, 1)
			c.Answer("window/showDocument", func(p json.RawMessage) any {
				var params struct{ URI string }
				_ = json.Unmarshal(p, &params)
				b, _ := os.ReadFile(uriPath(params.URI))
				shown <- string(b)
				return map[string]any{"success": true}
			})
			var res json.RawMessage
			if err := c.Call(context.Background(), "initialize", map[string]any{"processId": nil, "rootUri": "file:///w",
				"initializationOptions": map[string]any{"actionExplain": mode},
				"capabilities": map[string]any{"window": map[string]any{"showDocument": map[string]any{"support": true}},
					"textDocument": map[string]any{"codeAction": map[string]any{"resolveSupport": map[string]any{"properties": []string{"edit"}}}}}}, &res); err != nil {
				t.Fatal(err)
			}
			_ = c.Notify("initialized", map[string]any{})
			_ = c.DidOpen("file:///w/p.go", "go", actionDoc)
			var explain wireAction
			for _, a := range listActions(t, c, 5, 2) {
				if strings.HasPrefix(a.Title, "AI: Explain") {
					explain = a
				}
			}
			var resolved wireAction
			if err := c.Call(context.Background(), "codeAction/resolve", explain, &resolved); err != nil || resolved.Edit != nil {
				t.Fatalf("resolve: %v, edit %s", err, resolved.Edit)
			}
			if mode == "document" {
				select {
				case doc := <-shown:
					if !strings.Contains(doc, "# Explain Sum") || !strings.Contains(doc, "Sum adds the numbers of xs.") {
						t.Fatalf("document %q", doc)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("no window/showDocument")
				}
				return
			}
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
				found := false
				for _, n := range c.Notifications("window/showMessage") {
					found = found || strings.Contains(string(n.Params), "Sum adds the numbers of xs.")
				}
				if found {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("no explanation message")
				}
			}
		})
	}
}

// TestCodeActionRequestShapes: an automatic request (the lightbulb as the cursor moves) gets
// only fixes; an `only` that excludes mimi's kinds gets nothing without the catalogue running;
// Helix gets the command path (it resolves blocking its UI).
func TestCodeActionRequestShapes(t *testing.T) {
	x := &actionService{answer: actionAnswer}
	c := startServiceSession(t, x)
	initActions(t, c, true)
	_ = c.DidOpen("file:///w/p.go", "go", actionDoc)
	ask := func(ctx map[string]any) []wireAction {
		var out []wireAction
		pos := map[string]any{"line": 5, "character": 2}
		if err := c.Call(context.Background(), "textDocument/codeAction", map[string]any{"textDocument": map[string]any{"uri": "file:///w/p.go"},
			"range": map[string]any{"start": pos, "end": pos}, "context": ctx}, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	diag := map[string]any{"range": map[string]any{"start": map[string]any{"line": 5, "character": 2}, "end": map[string]any{"line": 5, "character": 3}},
		"message": "t declared and not used", "severity": 1}
	if got := ask(map[string]any{"diagnostics": []any{}, "triggerKind": 2}); len(got) != 0 {
		t.Fatalf("automatic without diagnostics: %+v", got)
	}
	got := ask(map[string]any{"diagnostics": []any{diag}, "triggerKind": 2})
	if len(got) != 1 || !strings.HasPrefix(got[0].Kind, "quickfix") {
		t.Fatalf("automatic with a diagnostic: %+v", got)
	}
	x.mu.Lock()
	before := x.lists
	x.mu.Unlock()
	if got := ask(map[string]any{"diagnostics": []any{}, "only": []string{"source.organizeImports"}}); len(got) != 0 {
		t.Fatalf("only organizeImports: %+v", got)
	}
	x.mu.Lock()
	after := x.lists
	x.mu.Unlock()
	if after != before {
		t.Fatal("the catalogue ran for a request that wants none of its kinds")
	}

	h := startServiceSession(t, &actionService{answer: actionAnswer})
	caps := map[string]any{"textDocument": map[string]any{"codeAction": map[string]any{"resolveSupport": map[string]any{"properties": []string{"edit"}}}},
		"workspace": map[string]any{"applyEdit": true}}
	if err := h.Call(context.Background(), "initialize", map[string]any{"processId": nil, "rootUri": "file:///w",
		"clientInfo": map[string]any{"name": "helix", "version": "25.01"}, "capabilities": caps}, nil); err != nil {
		t.Fatal(err)
	}
	_ = h.Notify("initialized", map[string]any{})
	_ = h.DidOpen("file:///w/p.go", "go", actionDoc)
	for _, a := range listActions(t, h, 5, 2) {
		if a.Command == nil || a.Data != nil {
			t.Fatalf("helix got %+v: want the command path", a)
		}
	}
}

// TestResolveRefusesAnEditForAnOldVersion: the document changes while the model works: the
// reply is ContentModified, not an edit for text that is gone.
func TestResolveRefusesAnEditForAnOldVersion(t *testing.T) {
	x := &actionService{answer: actionAnswer, gate: make(chan struct{})}
	c := startServiceSession(t, x)
	initActions(t, c, true)
	_ = c.DidOpen("file:///w/p.go", "go", actionDoc)
	p, err := c.Send("codeAction/resolve", listActions(t, c, 5, 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	waitProgress(t, c, "begin")
	_ = c.DidChange("file:///w/p.go", 2, lsptest.Change{StartLine: 0, StartChar: 0, EndLine: 0, EndChar: 0, Text: "// edited\n"})
	// A request after the notification: the change is applied when it answers.
	if err := c.Call(context.Background(), "mimi/stats", nil, nil); err != nil {
		t.Fatal(err)
	}
	close(x.gate)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var rpcErr *lsptest.RPCError
	if err := p.Wait(ctx, nil); !errors.As(err, &rpcErr) || rpcErr.Code != -32801 {
		t.Fatalf("resolve after an edit answered %v; want ContentModified", err)
	}
}
