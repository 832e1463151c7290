package wiring

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/cache"
	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/internal/redistest"
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
	a, err := w.NewSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := w.NewSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	shared := a.tier.t
	if b.tier.t != shared {
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
	w.closing.Wait() // the release flushes, then closes, in the background
	err = remote.Ping(context.Background())
	if err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("Redis client of a tier nobody uses is still open (ping err %v)", err)
	}
	// The session that moved on still answers from its new tier.
	if a.tier.t == shared || a.tier.t.Remote() != nil {
		t.Fatal("session a should be on a memory-only tier")
	}
	a.Close()
	a.Close() // idempotent
}
