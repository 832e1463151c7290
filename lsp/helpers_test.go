package lsp_test

import (
	"context"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/fakeollama"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/lsptest"
	"github.com/mimi-lsp/mimi-lsp/internal/wiring"
	"github.com/mimi-lsp/mimi-lsp/lsp"
)

type session struct {
	c    *lsptest.Client
	code chan int
	cfg  config.Config
}

func testLogger() *slog.Logger {
	if os.Getenv("MIMI_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// start runs an in-process server on a net.Pipe against host (a fake or unreachable Ollama).
func start(t testing.TB, host string, mod func(*config.Config)) *session {
	t.Helper()
	cfg := config.Default()
	cfg.OllamaHost = host
	cfg.Timeout = 5 * time.Second
	cfg.Indexing = false // tests of indexing turn it on
	if mod != nil {
		mod(&cfg)
	}
	w := wiring.New(cfg, testLogger())
	t.Cleanup(func() { w.Close(time.Second) })
	srv, err := lsp.New(w.ServerOptions(cfg, "test"))
	if err != nil {
		t.Fatal(err)
	}
	a, b := net.Pipe()
	s := &session{c: lsptest.New(b, b), code: make(chan int, 1), cfg: cfg}
	go func() { s.code <- srv.Serve(context.Background(), a, a) }()
	t.Cleanup(func() { b.Close() })
	return s
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func (s *session) init(t testing.TB) {
	t.Helper()
	if _, err := s.c.Initialize(ctx(t), "file:///work", nil, nil); err != nil {
		t.Fatal(err)
	}
}

func newFake(t testing.TB, answer string) *fakeollama.Server {
	f := fakeollama.New(answer)
	t.Cleanup(f.Close)
	return f
}

// complete asks for a completion and fails the test on an error reply.
func (s *session) complete(t testing.TB, uri string, line, char int) lsptest.CompletionList {
	t.Helper()
	var list lsptest.CompletionList
	if err := s.c.Call(ctx(t), "textDocument/completion", lsptest.PositionParams(uri, line, char), &list); err != nil {
		t.Fatal(err)
	}
	return list
}
