package lsp_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/lsptest"
	"github.com/mimi-lsp/mimi-lsp/internal/wiring"
	"github.com/mimi-lsp/mimi-lsp/lsp"
)

// TestLockedEndpointsIgnoreClientHosts: over an unauthenticated TCP socket a client must not
// point the server at another Ollama or Redis (where prompts — the user's code — would go).
func TestLockedEndpointsIgnoreClientHosts(t *testing.T) {
	f := newFake(t, "a + b")
	cfg := config.Default()
	cfg.Indexing = false
	cfg.OllamaHost, cfg.Timeout = f.URL, 5*time.Second
	w := wiring.New(cfg, testLogger())
	t.Cleanup(func() { w.Close(time.Second) })
	opts := w.ServerOptions(cfg, "test")
	opts.LockEndpoints = true
	srv, err := lsp.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	a, b := net.Pipe()
	t.Cleanup(func() { b.Close() })
	go srv.Serve(context.Background(), a, a)
	c := lsptest.New(b, b)
	// The server's own host written another way is no change; numParallel is process-wide.
	sameHost := strings.TrimPrefix(f.URL, "http://")
	if _, err := c.Initialize(ctx(t), "file:///work", nil, map[string]any{"ollamaHost": sameHost, "numParallel": 64}); err != nil {
		t.Fatal(err)
	}
	for range 3 { // clients that resend every setting on each change get one message
		_ = c.Notify("workspace/didChangeConfiguration", map[string]any{"settings": map[string]any{
			"ollamaHost": "http://attacker.example:11434", "redisURL": "redis://attacker.example:6379", "cacheSecret": "x",
			"completionModel": "llama3:70b", "numCtx": 131072, "keepAlive": "0s"}})
	}
	uri := "file:///work/add.go"
	_ = c.DidOpen(uri, "go", goDoc)
	var list lsptest.CompletionList
	if err := c.Call(ctx(t), "textDocument/completion", lsptest.PositionParams(uri, 3, 8), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || f.Calls.Load() != 1 {
		t.Fatalf("completion did not go to the server's own Ollama: %+v (fake calls %d)", list, f.Calls.Load())
	}
	var msgs []string
	for _, m := range c.Notifications("window/showMessage") {
		msgs = append(msgs, string(m.Params))
	}
	if len(msgs) != 2 {
		t.Fatalf("want one refusal at initialize and one for the repeated settings, got %d: %v", len(msgs), msgs)
	}
	if strings.Contains(msgs[0], "ollamaHost") || !strings.Contains(msgs[0], "numParallel") {
		t.Fatalf("initialize refusal = %s; want numParallel refused and the same host accepted", msgs[0])
	}
	reqs := f.Requests()
	if len(reqs) != 1 || reqs[0].Model != cfg.CompletionModel || reqs[0].Options["num_ctx"] != float64(cfg.NumCtx) {
		t.Fatalf("the model call was shaped by the client: %+v", reqs)
	}
	for _, k := range []string{"ollamaHost", "redisURL", "cacheSecret", "completionModel", "numCtx", "keepAlive", "--allow-remote"} {
		if !strings.Contains(msgs[1], k) {
			t.Fatalf("refusal does not name %s: %s", k, msgs[1])
		}
	}
}

// TestNotificationsAfterExitAreDropped: a didChangeConfiguration that arrives after exit must
// not reconfigure (and so re-acquire clients for) a session that is gone.
func TestNotificationsAfterExitAreDropped(t *testing.T) {
	f := newFake(t, "x")
	s := start(t, f.URL, nil)
	s.init(t)
	_ = s.c.Notify("exit", nil)
	_ = s.c.Notify("workspace/didChangeConfiguration", map[string]any{"settings": map[string]any{"numCtx": 1}})
	if code := waitCode(t, s); code != 1 {
		t.Fatalf("exit code %d", code)
	}
	if msgs := s.c.Notifications("window/showMessage"); len(msgs) != 0 {
		t.Fatalf("a notification after exit was handled: %v", msgs)
	}
}
