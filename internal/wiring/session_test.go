package wiring

import (
	"context"
	"log/slog"
	"net/http/httptrace"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/cache"
	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/fakeollama"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/redistest"
	"github.com/mimi-lsp/mimi-lsp/model"
)

// TestSessionReleasesReplacedClients: a session that moves to another Redis (or none) releases
// the old tier, and the last user closes its Redis client; a tier still used by another
// session stays open.
func TestSessionReleasesReplacedClients(t *testing.T) {
	srv := redistest.Start(t)
	cfg := config.Default()
	cfg.OllamaHost = "http://127.0.0.1:1"
	cfg.RedisURL = srv.URL()
	cfg.RedisTimeout = 2 * time.Second
	w := New(cfg, slog.New(slog.DiscardHandler))
	defer w.Close(time.Second)
	long := time.Hour
	w.linger = &long
	a, err := w.NewSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := w.NewSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	shared := a.tier.v
	if b.tier.v != shared {
		t.Fatal("two sessions on one Redis URL should share one tier")
	}
	memOnly := cfg
	memOnly.RedisURL = ""
	if err := a.Configure(memOnly); err != nil {
		t.Fatal(err)
	}
	remote := shared.Remote().(*cache.Redis)
	if err := remote.Ping(context.Background()); err != nil {
		t.Fatalf("tier closed while session b still uses it: %v", err)
	}
	b.Close()
	// Nobody holds it now, but a call started before the release may still write its answer:
	// the tier lingers, open, and a session that comes back to it shares it again.
	if err := remote.Ping(context.Background()); err != nil {
		t.Fatalf("tier closed at once, under calls still in flight: %v", err)
	}
	if err := a.Configure(cfg); err != nil || a.tier.v != shared {
		t.Fatalf("returning to the lingering tier: err %v, shared %t", err, a.tier.v == shared)
	}
	zero := time.Duration(0)
	w.mu.Lock()
	w.linger = &zero
	w.mu.Unlock()
	if err := a.Configure(memOnly); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for err = remote.Ping(context.Background()); err == nil || !strings.Contains(err.Error(), "closed"); err = remote.Ping(context.Background()) {
		if time.Now().After(deadline) {
			t.Fatalf("Redis client of a tier nobody uses is still open after its linger (ping err %v)", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The session that moved on still answers from its new tier.
	if a.tier.v == shared || a.tier.v.Remote() != nil {
		t.Fatal("session a should be on a memory-only tier")
	}
	a.Close()
	a.Close() // idempotent
}

// TestSessionClosesAReplacedOllamaClient: a session that moves to another Ollama host releases
// the old host's scheduler, and once nobody holds it (after its linger) its HTTP client's idle
// keep-alive connections are closed, not left open to a server the user moved away from.
func TestSessionClosesAReplacedOllamaClient(t *testing.T) {
	oldHost, newHost := fakeollama.New("a"), fakeollama.New("b")
	defer oldHost.Close()
	defer newHost.Close()
	cfg := config.Default()
	cfg.OllamaHost = oldHost.URL
	w := New(cfg, slog.New(slog.DiscardHandler))
	defer w.Close(time.Second)
	zero := time.Duration(0)
	w.linger = &zero
	s, err := w.NewSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sched := s.sched.v
	// ask sends one generation through the old scheduler and reports whether it reused a
	// kept-alive connection.
	ask := func() bool {
		var reused atomic.Bool
		ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
			GotConn: func(info httptrace.GotConnInfo) { reused.Store(info.Reused) },
		})
		if _, err := sched.Generate(ctx, model.NewCall(model.TaskCompletion), model.GenerateRequest{Model: cfg.CompletionModel, Prompt: "x"}, nil); err != nil {
			t.Fatal(err)
		}
		return reused.Load()
	}
	ask()
	if !ask() {
		t.Fatal("the second call did not reuse the kept-alive connection: the test cannot see a close")
	}
	moved := cfg
	moved.OllamaHost = newHost.URL
	if err := s.Configure(moved); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for ask() { // each call leaves a kept-alive connection: a close makes the next one new
		if time.Now().After(deadline) {
			t.Fatal("the replaced host's idle connections were never closed")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestModelHTTPTimeoutCoversActions: the HTTP client to a model host must not end an exchange
// before the longest actionTimeout config accepts (it capped actions at 5 minutes).
func TestModelHTTPTimeoutCoversActions(t *testing.T) {
	if modelHTTPTimeout <= config.MaxActionTimeout {
		t.Fatalf("model HTTP timeout %s cuts actions allowed up to %s", modelHTTPTimeout, config.MaxActionTimeout)
	}
	cfg := config.Default()
	cfg.ActionTimeout = config.MaxActionTimeout
	if err := cfg.Validate(); err != nil {
		t.Fatalf("the longest action timeout is refused: %v", err)
	}
}
