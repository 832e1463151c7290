package wiring

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/mimi-lsp/mimi-lsp/completion"
	"github.com/mimi-lsp/mimi-lsp/config"
)

// TestEngineDeniesSecretFiles: engines built by wiring carry the denylist (built-in plus
// secretFiles). The Ollama address refuses connections, so an answer without an error proves
// no model call was attempted; an ordinary file does try (and fails).
func TestEngineDeniesSecretFiles(t *testing.T) {
	cfg := config.Default()
	cfg.OllamaHost = "http://127.0.0.1:1"
	cfg.SecretFiles = "*.secret"
	w := New(cfg, slog.New(slog.DiscardHandler))
	e, err := w.Engine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"/w/.env", "/w/notes.secret"} {
		res, err := e.Complete(context.Background(), completion.Request{Text: "A=", Offset: 2, File: file})
		if err != nil || res != (completion.Result{}) {
			t.Errorf("%s: %+v, %v; want an empty answer without a model call", file, res, err)
		}
	}
	if _, err := e.Complete(context.Background(), completion.Request{Text: "x := ", Offset: 5, File: "/w/main.go"}); err == nil {
		t.Error("ordinary file: no error from an unreachable Ollama; was the model asked at all?")
	}
	cfg.SecretFiles = "[bad"
	if _, err := w.Engine(cfg); err == nil || !strings.Contains(err.Error(), "[bad") {
		t.Errorf("malformed secretFiles: %v", err)
	}
}
