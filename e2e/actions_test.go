package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/internal/testenv/lsptest"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/ollamatest"
	"github.com/mimi-lsp/mimi-lsp/lsp"
)

const stubSource = "package calc\n\nfunc add(a, b int) int {\n\treturn 0 // TODO\n}\n"

const implemented = "package calc\n\nfunc add(a, b int) int {\n\treturn a + b\n}\n"

// initActionClient initializes like an editor with code action support: resolve for edits or
// not, versioned document changes, applyEdit, work-done progress.
func initActionClient(t *testing.T, ctx context.Context, c *lsptest.Client, rootURI string, resolve bool, opts map[string]any) {
	t.Helper()
	caps := map[string]any{
		"window":    map[string]any{"workDoneProgress": true},
		"workspace": map[string]any{"applyEdit": true, "workspaceEdit": map[string]any{"documentChanges": true}},
	}
	if resolve {
		caps["textDocument"] = map[string]any{"codeAction": map[string]any{"resolveSupport": map[string]any{"properties": []string{"edit"}}}}
	}
	opts["indexing"] = false
	var res json.RawMessage
	if err := c.Call(ctx, "initialize", map[string]any{"processId": nil, "rootUri": rootURI, "capabilities": caps,
		"initializationOptions": opts}, &res); err != nil {
		t.Fatal(err)
	}
	_ = c.Notify("initialized", map[string]any{})
}

type e2eAction struct {
	Title   string          `json:"title"`
	Kind    string          `json:"kind"`
	Edit    json.RawMessage `json:"edit,omitempty"`
	Data    json.RawMessage `json:"data,omitempty"`
	Command *struct {
		Command   string            `json:"command"`
		Arguments []json.RawMessage `json:"arguments"`
	} `json:"command,omitempty"`
}

func findAction(t *testing.T, ctx context.Context, c *lsptest.Client, uri, title string) e2eAction {
	t.Helper()
	var list []e2eAction
	pos := map[string]any{"line": 3, "character": 2}
	if err := c.Call(ctx, "textDocument/codeAction", map[string]any{"textDocument": map[string]any{"uri": uri},
		"range": map[string]any{"start": pos, "end": pos}, "context": map[string]any{"diagnostics": []any{}}}, &list); err != nil {
		t.Fatal(err)
	}
	for _, a := range list {
		if a.Title == title {
			return a
		}
	}
	t.Fatalf("no %q among %+v", title, list)
	return e2eAction{}
}

// applyEdit applies a WorkspaceEdit's edits of uri (documentChanges or changes) to text.
func applyEdit(t *testing.T, edit json.RawMessage, uri, text string) string {
	t.Helper()
	type textEdit struct {
		Range   lsp.Range `json:"range"`
		NewText string    `json:"newText"`
	}
	var we struct {
		DocumentChanges []struct {
			TextDocument struct{ URI string } `json:"textDocument"`
			Edits        []textEdit           `json:"edits"`
		} `json:"documentChanges"`
		Changes map[string][]textEdit `json:"changes"`
	}
	if err := json.Unmarshal(edit, &we); err != nil {
		t.Fatalf("edit %s: %v", edit, err)
	}
	edits := we.Changes[uri]
	for _, dc := range we.DocumentChanges {
		if dc.TextDocument.URI == uri {
			edits = append(edits, dc.Edits...)
		}
	}
	if len(edits) == 0 {
		t.Fatalf("no edits for %s in %s", uri, edit)
	}
	d := lsp.NewDocument(uri, "go", 1, text)
	for i := len(edits) - 1; i >= 0; i-- {
		s, err1 := d.Offset(edits[i].Range.Start, lsp.UTF16)
		e, err2 := d.Offset(edits[i].Range.End, lsp.UTF16)
		if err1 != nil || err2 != nil {
			t.Fatalf("edit range %+v: %v %v", edits[i].Range, err1, err2)
		}
		text = text[:s] + edits[i].NewText + text[e:]
	}
	return text
}

// TestCodeActionsThroughRealOllama: the real binary lists AI actions without a model call,
// resolves "Implement add" on the real Ollama (the tiny model served as qwen3-coder:30b answers
// a fenced Go function in prose), with progress, into an edit that gives the implemented file;
// the same resolve again comes from the cache; a client without resolve support runs the
// command and gets workspace/applyEdit; cancelling a long generation closes Ollama's request.
func TestCodeActionsThroughRealOllama(t *testing.T) {
	ol := ollamatest.StartT(t)
	rec, host := newRecorder(t, ol.URL)
	root := t.TempDir()
	writeTree(t, root, map[string]string{"calc/calc.go": stubSource})
	rootURI := "file://" + filepath.ToSlash(root)
	uri := rootURI + "/calc/calc.go"

	t.Run("resolve", func(t *testing.T) {
		ctx := timeout(t, 90*time.Second)
		c, _, stderr := startServer(t, host, "XDG_CACHE_HOME="+t.TempDir())
		initActionClient(t, ctx, c, rootURI, true, map[string]any{})
		_ = c.DidOpen(uri, "go", stubSource)
		chats := len(rec.all("/api/chat"))
		act := findAction(t, ctx, c, uri, "AI: Implement add")
		if len(rec.all("/api/chat")) != chats || act.Edit != nil || act.Data == nil {
			t.Fatalf("listing called the model or resolved eagerly: %+v", act)
		}
		var resolved e2eAction
		if err := c.Call(ctx, "codeAction/resolve", act, &resolved); err != nil {
			t.Fatalf("resolve: %v\n%s", err, stderr)
		}
		if got := applyEdit(t, resolved.Edit, uri, stubSource); got != implemented {
			t.Fatalf("after the edit:\n%s", got)
		}
		bodies := rec.all("/api/chat")
		if len(bodies) != chats+1 || !strings.Contains(bodies[len(bodies)-1], `"model":"qwen3-coder:30b"`) ||
			!strings.Contains(bodies[len(bodies)-1], "Implement add") {
			t.Fatalf("chats %d → %d; last %.300s", chats, len(bodies), bodies[len(bodies)-1])
		}
		begin, end := false, false
		for _, n := range c.Notifications("$/progress") {
			begin = begin || strings.Contains(string(n.Params), `"kind":"begin"`) && strings.Contains(string(n.Params), "Implement add")
			end = end || strings.Contains(string(n.Params), `"kind":"end"`) && strings.Contains(string(n.Params), "done in")
		}
		if !begin || !end {
			t.Fatalf("progress begin %t end %t", begin, end)
		}
		t.Logf("resolved edit: %s", resolved.Edit)
		var again e2eAction
		if err := c.Call(ctx, "codeAction/resolve", act, &again); err != nil || applyEdit(t, again.Edit, uri, stubSource) != implemented {
			t.Fatalf("second resolve: %v", err)
		}
		if n := len(rec.all("/api/chat")); n != chats+1 {
			t.Fatalf("the identical second resolve called the model (%d chats)", n-chats)
		}
		if n := rec.abortedCount("/api/chat"); n != 0 {
			t.Fatalf("%d finished chats counted as aborted", n)
		}
	})

	t.Run("command", func(t *testing.T) {
		ctx := timeout(t, 90*time.Second)
		c, _, stderr := startServer(t, host, "XDG_CACHE_HOME="+t.TempDir())
		applied := make(chan json.RawMessage, 1)
		c.Answer("workspace/applyEdit", func(p json.RawMessage) any {
			applied <- p
			return map[string]any{"applied": true}
		})
		initActionClient(t, ctx, c, rootURI, false, map[string]any{})
		_ = c.DidOpen(uri, "go", stubSource)
		act := findAction(t, ctx, c, uri, "AI: Implement add")
		if act.Command == nil || act.Command.Command != "mimi.action" {
			t.Fatalf("no command for a client without resolve: %+v", act)
		}
		if err := c.Call(ctx, "workspace/executeCommand", map[string]any{"command": "mimi.action", "arguments": act.Command.Arguments}, nil); err != nil {
			t.Fatalf("executeCommand: %v\n%s", err, stderr)
		}
		select {
		case p := <-applied:
			var params struct {
				Edit json.RawMessage `json:"edit"`
			}
			_ = json.Unmarshal(p, &params)
			if got := applyEdit(t, params.Edit, uri, stubSource); got != implemented {
				t.Fatalf("applied:\n%s", got)
			}
		case <-ctx.Done():
			t.Fatal("no workspace/applyEdit")
		}
	})

	t.Run("cancel", func(t *testing.T) {
		ctx := timeout(t, 20*time.Second)
		c, _, stderr := startServer(t, host, "XDG_CACHE_HOME="+t.TempDir())
		initActionClient(t, ctx, c, rootURI, true, map[string]any{"actionModel": ollamatest.SlowActionModel,
			"actionNumCtx": 32768, "actionNumPredict": 30000})
		_ = c.DidOpen(uri, "go", stubSource)
		act := findAction(t, ctx, c, uri, "AI: Implement add")
		before := rec.abortedCount("/api/chat")
		p, err := c.Send("codeAction/resolve", act)
		if err != nil {
			t.Fatal(err)
		}
		for streaming := false; !streaming; { // wait for tokens to flow: the model is generating
			for _, n := range c.Notifications("$/progress") {
				streaming = streaming || strings.Contains(string(n.Params), " tokens, ")
			}
			if !streaming {
				if _, err := c.WaitNotification(ctx, "$/progress"); err != nil {
					t.Fatalf("no token progress: %v\n%s", err, stderr)
				}
			}
		}
		_ = c.Cancel(p)
		var rpcErr *lsptest.RPCError
		if err := p.Wait(ctx, nil); !errors.As(err, &rpcErr) || rpcErr.Code != -32800 {
			t.Fatalf("cancelled resolve answered %v", err)
		}
		for rec.abortedCount("/api/chat") == before {
			if ctx.Err() != nil {
				t.Fatalf("Ollama's request was never closed (%d chats)\n%s\nollama:\n%s", len(rec.all("/api/chat")), stderr, ol.Tail())
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// TestActionCommandLine: `mimi-lsp action FILE:LINE KIND` prints the edit as a unified diff
// (and a new test file as a diff from /dev/null), the explanation for explain.
func TestActionCommandLine(t *testing.T) {
	ol := ollamatest.StartT(t)
	root := t.TempDir()
	writeTree(t, root, map[string]string{"calc.go": stubSource})
	file := filepath.Join(root, "calc.go")
	run := func(args ...string) string {
		cmd := exec.Command(binary, args...)
		cmd.Env = append(os.Environ(), "OLLAMA_HOST="+ol.URL, "XDG_CACHE_HOME="+t.TempDir())
		cmd.Dir = root
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("mimi-lsp %v: %v\n%s", args, err, errb.String())
		}
		return out.String()
	}
	diff := run("action", file+":4:2", "implement")
	if !strings.Contains(diff, "--- a/calc.go\n+++ b/calc.go\n") || !strings.Contains(diff, "-\treturn 0 // TODO\n+\treturn a + b\n") {
		t.Fatalf("implement diff:\n%s", diff)
	}
	if tests := run("action", file+":4", "tests"); !strings.Contains(tests, "--- /dev/null\n+++ b/calc_test.go") {
		t.Fatalf("tests diff:\n%s", tests)
	}
	if ex := run("action", file+":3:1-5:2", "explain"); !strings.Contains(ex, "Here it is:") {
		t.Fatalf("explanation:\n%s", ex)
	}
}
