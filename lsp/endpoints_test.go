package lsp_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/internal/lsptest"
	"github.com/mimi-lsp/mimi-lsp/internal/wiring"
	"github.com/mimi-lsp/mimi-lsp/lsp"
)

// TestLockedEndpointsIgnoreClientHosts: over an unauthenticated TCP socket a client must not
// point the server at another Ollama or Redis (where prompts — the user's code — would go).
func TestLockedEndpointsIgnoreClientHosts(t *testing.T) {
	f := newFake(t, "a + b")
	cfg := config.Default()
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
	if _, err := c.Initialize(ctx(t), "file:///work", nil, map[string]any{"ollamaHost": "http://attacker.example:11434"}); err != nil {
		t.Fatal(err)
	}
	_ = c.Notify("workspace/didChangeConfiguration", map[string]any{"settings": map[string]any{"redisURL": "redis://attacker.example:6379"}})
	uri := "file:///work/add.go"
	_ = c.DidOpen(uri, "go", goDoc)
	var list lsptest.CompletionList
	if err := c.Call(ctx(t), "textDocument/completion", lsptest.PositionParams(uri, 3, 8), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || f.Calls.Load() != 1 {
		t.Fatalf("completion did not go to the server's own Ollama: %+v (fake calls %d)", list, f.Calls.Load())
	}
	msgs := c.Notifications("window/showMessage")
	joined := ""
	for _, m := range msgs {
		joined += string(m.Params)
	}
	if !strings.Contains(joined, "ollamaHost") || !strings.Contains(joined, "redisURL") || !strings.Contains(joined, "--allow-remote") {
		t.Fatalf("refusals not reported: %s", joined)
	}
}
