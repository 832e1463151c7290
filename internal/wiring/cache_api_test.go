package wiring

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/cache"
	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/redistest"
	"github.com/mimi-lsp/mimi-lsp/metrics"
)

// TestCacheAPIClearsWhatSessionsUse: the sidecar's cache view reports and clears the tiers the
// sessions use, not one chosen at start (a session on its own Redis included).
func TestCacheAPIClearsWhatSessionsUse(t *testing.T) {
	srv := redistest.Start(t)
	w, s, _ := redisSession(t, srv, nil)
	ctx := context.Background()
	scan := func() string { out, _ := srv.Cli("--scan"); return out }
	if err := s.tier.v.Set(ctx, cache.KindCompletion, "k", []byte("a + b")); err != nil {
		t.Fatal(err)
	}
	s.tier.v.GetTier(ctx, cache.KindCompletion, "k")
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(scan(), "mimi"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the value never reached Redis")
		}
	}
	// Keys that are not this namespace's: another application's, and a namespace that merely
	// starts with the same letters.
	foreign := []string{"otherapp:v1:completion:abc", "mimi-team:v1:completion:abc", "mimi"}
	for _, k := range foreign {
		if out, err := srv.Cli("SET", k, "keep"); err != nil {
			t.Fatalf("SET %s: %v %s", k, err, out)
		}
	}
	api := w.CacheAPI()
	if st := api.Stats(); st.Kinds[cache.KindCompletion].Hits != 1 || st.Tiers[cache.TierRedis].Kinds == nil {
		t.Fatalf("stats %+v", st)
	}
	// Cleared through the sidecar's JSON API, as a user would.
	side, err := metrics.Serve(w.Metrics(), metrics.ServerConfig{Addr: "127.0.0.1:0", Cache: api})
	if err != nil {
		t.Fatal(err)
	}
	defer side.Close()
	resp, err := http.Post("http://"+side.Addr+"/api/cache/clear", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var got struct {
		Cleared bool  `json:"cleared"`
		Deleted int64 `json:"deleted"`
	}
	if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != 200 || !got.Cleared || got.Deleted != 1 {
		t.Fatalf("POST /api/cache/clear: %d %s", resp.StatusCode, body)
	}
	left := strings.Fields(scan())
	slices.Sort(left)
	want := slices.Clone(foreign)
	slices.Sort(want)
	if !slices.Equal(left, want) {
		t.Fatalf("after clear Redis has %v, want only the foreign keys %v", left, want)
	}
}

// TestCacheCountersNeverGoDown: a session moving off its Redis releases that tier; the lookups
// it counted stay in the exported totals (Prometheus would read a drop as a counter reset).
func TestCacheCountersNeverGoDown(t *testing.T) {
	srv := redistest.Start(t)
	zero := time.Duration(0)
	w, s, cfg := redisSession(t, srv, func(w *Wiring) { w.linger = &zero })
	withRedis := s.cfg
	ctx := context.Background()
	for i := range 3 {
		s.tier.v.GetTier(ctx, cache.KindCompletion, fmt.Sprint("missing-", i))
	}
	total := func() uint64 {
		var n uint64
		for _, st := range w.cacheStats() {
			k := st.Kinds[cache.KindCompletion]
			n += k.Hits + k.Misses
		}
		return n
	}
	before := total()
	if before < 3 {
		t.Fatalf("lookups before: %d", before)
	}
	if err := s.Configure(cfg); err != nil { // memory only: the Redis tier is released
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		w.mu.Lock()
		_, live := w.tiers[withRedis.RedisURL]
		n := len(w.tiers)
		w.mu.Unlock()
		if !live && n <= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the Redis tier was never released")
		}
		if after := total(); after < before {
			t.Fatalf("lookups went down from %d to %d while the tier was released", before, after)
		}
	}
	if after := total(); after < before {
		t.Fatalf("lookups went down from %d to %d after the tier was released", before, after)
	}
}

// redisSession is a wiring (memory-only by default; prep adjusts it) with one session on srv;
// cfg is the wiring's memory-only configuration. Both are closed when the test ends.
func redisSession(t *testing.T, srv *redistest.Server, prep func(*Wiring)) (*Wiring, *Session, config.Config) {
	t.Helper()
	cfg := config.Default()
	cfg.OllamaHost, cfg.Indexing = "http://127.0.0.1:1", false
	w := New(cfg, slog.New(slog.DiscardHandler))
	t.Cleanup(func() { w.Close(time.Second) })
	if prep != nil {
		prep(w)
	}
	withRedis := cfg
	withRedis.RedisURL, withRedis.RedisTimeout = srv.URL(), 2*time.Second
	s, err := w.NewSession(withRedis)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return w, s, cfg
}
