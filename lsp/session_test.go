package lsp_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/fakeollama"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/lsptest"
	"github.com/mimi-lsp/mimi-lsp/internal/wiring"
	"github.com/mimi-lsp/mimi-lsp/lsp"
)

func TestCancelWithStringID(t *testing.T) {
	f := newFake(t, "")
	f.SetBehaviour(func(fakeollama.Request) fakeollama.Behaviour { return fakeollama.Behaviour{Hang: true} })
	s := start(t, f.URL, nil)
	s.init(t)
	uri := "file:///work/a.go"
	_ = s.c.DidOpen(uri, "go", "x := ")
	body := `{"jsonrpc":"2.0","id":"req-α","method":"textDocument/completion","params":{"textDocument":{"uri":"` + uri + `"},"position":{"line":0,"character":5}}}`
	_ = s.c.WriteRaw([]byte(fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body)))
	waitFor(t, func() bool { return f.Calls.Load() == 1 })
	_ = s.c.Notify("$/cancelRequest", map[string]any{"id": "req-α"})
	waitFor(t, func() bool { return len(s.c.Notifications("(response)")) == 1 })
	r := string(s.c.Notifications("(response)")[0].Params)
	if !strings.Contains(r, `"id":"req-α"`) || !strings.Contains(r, "-32800") {
		t.Fatalf("reply to cancelled string-id request = %s", r)
	}
	waitFor(t, func() bool { return f.Cancelled.Load() == 1 })
}

func TestDidChangeConfigurationSwitchesModel(t *testing.T) {
	f := newFake(t, "ok")
	s := start(t, f.URL, nil)
	s.init(t)
	uri := "file:///work/a.go"
	_ = s.c.DidOpen(uri, "go", "x := ")
	_ = s.c.Notify("workspace/didChangeConfiguration", map[string]any{"settings": map[string]any{"mimi": map[string]any{"completionModel": "deepseek-coder:1.3b"}}})
	list := s.complete(t, uri, 0, 5)
	r := f.Requests()[0]
	if r.Model != "deepseek-coder:1.3b" || !strings.HasPrefix(r.Prompt, "<｜fim▁begin｜>") {
		t.Fatalf("after didChangeConfiguration: model %q prompt %q", r.Model, r.Prompt)
	}
	// An invalid value is reported and the previous configuration kept.
	_ = s.c.Notify("workspace/didChangeConfiguration", map[string]any{"settings": map[string]any{"numCtx": 1}})
	if _, err := s.c.WaitNotification(ctx(t), "window/showMessage"); err != nil {
		t.Fatal(err)
	}
	_ = s.c.DidChange(uri, 2, lsptest.Change{StartLine: 0, StartChar: 5, EndLine: 0, EndChar: 5, Text: "y"})
	if err := s.c.Call(ctx(t), "textDocument/completion", lsptest.PositionParams(uri, 0, 6), &list); err != nil {
		t.Fatal(err)
	}
	if got := f.Requests()[1].Options["num_ctx"]; got != float64(4096) {
		t.Fatalf("num_ctx after an invalid setting = %v, want the previous 4096", got)
	}
}

// TestInputEndsWhileRequestInFlight: the editor closes our stdin right after a request; the
// reply is still written before Serve returns.
func TestInputEndsWhileRequestInFlight(t *testing.T) {
	f := newFake(t, "late")
	f.SetBehaviour(func(fakeollama.Request) fakeollama.Behaviour {
		return fakeollama.Behaviour{Chunks: []string{"late"}, Delay: 200 * time.Millisecond}
	})
	cfg := config.Default()
	cfg.Indexing = false
	cfg.OllamaHost = f.URL
	w := wiring.New(cfg, testLogger())
	t.Cleanup(func() { w.Close(time.Second) })
	srv, err := lsp.New(w.ServerOptions(cfg, "test"))
	if err != nil {
		t.Fatal(err)
	}
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	code := make(chan int, 1)
	go func() { code <- srv.Serve(context.Background(), inR, outW); outW.Close() }()
	c := lsptest.New(outR, inW)
	if _, err := c.Initialize(ctx(t), "file:///w", nil, nil); err != nil {
		t.Fatal(err)
	}
	_ = c.DidOpen("file:///w/a.go", "go", "x := ")
	p, _ := c.Send("textDocument/completion", lsptest.PositionParams("file:///w/a.go", 0, 5))
	inW.Close() // EOF on the server's input
	var list lsptest.CompletionList
	if err := p.Wait(ctx(t), &list); err != nil || len(list.Items) != 1 || list.Items[0].TextEdit.NewText != "late" {
		t.Fatalf("reply lost after input ended: %v %+v", err, list)
	}
	if c := <-code; c != 1 {
		t.Fatalf("exit code after EOF without shutdown = %d, want 1", c)
	}
}

func TestFullChangeSaveAndClose(t *testing.T) {
	f := newFake(t, "ok")
	s := start(t, f.URL, nil)
	s.init(t)
	uri := "file:///work/a.go"
	_ = s.c.DidOpen(uri, "go", "old text")
	// A change without a range replaces the whole document.
	_ = s.c.Notify("textDocument/didChange", map[string]any{
		"textDocument":   map[string]any{"uri": uri, "version": 2},
		"contentChanges": []map[string]any{{"text": "fresh := "}},
	})
	list := s.complete(t, uri, 0, 9)
	if p := f.Requests()[0].Prompt; !strings.Contains(p, "fresh := <|fim_suffix|>") || strings.Contains(p, "old") {
		t.Fatalf("prompt after a full change = %q", p)
	}
	// didSave with text brings the server in line with the disk.
	_ = s.c.Notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": uri}, "text": "saved := "})
	if err := s.c.Call(ctx(t), "textDocument/completion", lsptest.PositionParams(uri, 0, 9), &list); err != nil {
		t.Fatal(err)
	}
	if p := f.Requests()[1].Prompt; !strings.Contains(p, "saved := <|fim_suffix|>") {
		t.Fatalf("prompt after didSave = %q", p)
	}
	_ = s.c.Notify("textDocument/didClose", map[string]any{"textDocument": map[string]any{"uri": uri}})
	if err := s.c.Call(ctx(t), "textDocument/completion", lsptest.PositionParams(uri, 0, 9), &list); rpcCode(err) != -32602 {
		t.Fatalf("completion after didClose: %v, want InvalidParams", err)
	}
}

// TestConfigurationChangeKeepsEngineState: a settings change updates the running engine instead
// of rebuilding it, so its statistics and typing-ahead state survive (before, every
// didChangeConfiguration started from zero).
func TestConfigurationChangeKeepsEngineState(t *testing.T) {
	f := newFake(t, "alpha + beta")
	s := start(t, f.URL, nil)
	s.init(t)
	uri := "file:///work/a.go"
	_ = s.c.DidOpen(uri, "go", "x := ")
	if list := s.complete(t, uri, 0, 5); len(list.Items) != 1 {
		t.Fatalf("first completion: %+v", list)
	}
	// A setting that changes neither the prompt nor the options of the suggestion shown.
	_ = s.c.Notify("workspace/didChangeConfiguration", map[string]any{"settings": map[string]any{"logLevel": "debug", "timeout": "9s"}})
	// The user types the first characters of the suggestion: typing-ahead answers the rest.
	_ = s.c.DidChange(uri, 2, lsptest.Change{StartLine: 0, StartChar: 5, EndLine: 0, EndChar: 5, Text: "alp"})
	list := s.complete(t, uri, 0, 8)
	if len(list.Items) != 1 || !strings.HasSuffix(list.Items[0].TextEdit.NewText, "ha + beta") {
		t.Fatalf("typing-ahead after a settings change: %+v", list)
	}
	if n := f.Calls.Load(); n != 1 {
		t.Fatalf("model calls = %d, want 1 (typing-ahead state lost with the engine)", n)
	}
	var st struct {
		Completion struct {
			Requests uint64            `json:"requests"`
			BySource map[string]uint64 `json:"bySource"`
		} `json:"completion"`
	}
	if err := s.c.Call(ctx(t), "mimi/stats", nil, &st); err != nil {
		t.Fatal(err)
	}
	if st.Completion.Requests != 2 || st.Completion.BySource["model"] != 1 || st.Completion.BySource["typing-ahead"] != 1 {
		t.Fatalf("stats after a settings change = %+v, want both requests counted", st.Completion)
	}
}

// TestUnknownSettingsShownOnce: a misspelt setting in didChangeConfiguration is shown to the
// user (once, however often the client resends it); sections of other servers beside "mimi"
// are not reported; the known settings beside it apply.
func TestUnknownSettingsShownOnce(t *testing.T) {
	f := newFake(t, "ok")
	s := start(t, f.URL, nil)
	s.init(t)
	for range 3 {
		_ = s.c.Notify("workspace/didChangeConfiguration", map[string]any{"settings": map[string]any{
			"gopls": map[string]any{"staticcheck": true},
			"mimi":  map[string]any{"completionModell": "x", "completionModel": "deepseek-coder:1.3b"}}})
	}
	uri := "file:///work/a.go"
	_ = s.c.DidOpen(uri, "go", "x := ")
	s.complete(t, uri, 0, 5) // after every notification above (one read loop)
	if r := f.Requests()[0]; r.Model != "deepseek-coder:1.3b" {
		t.Fatalf("model %q: the known setting beside the unknown one was not applied", r.Model)
	}
	var shown []string
	for _, n := range s.c.Notifications("window/showMessage") {
		shown = append(shown, string(n.Params))
	}
	if len(shown) != 1 || !strings.Contains(shown[0], "completionModell") || strings.Contains(shown[0], "gopls") {
		t.Fatalf("messages %v; want one naming completionModell and not gopls", shown)
	}
}
