package wiring

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/actions"
	"github.com/mimi-lsp/mimi-lsp/cache"
	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/internal/fakeollama"
	"github.com/mimi-lsp/mimi-lsp/internal/redistest"
)

// TestActionModelMissing: a missing action model is found at start with the ollama pull that
// fixes it; with actionFallback=hide the actions disappear, by default they run on the
// completion model with a notice; secret files get no actions.
func TestActionModelMissing(t *testing.T) {
	fake := fakeollama.New("")
	defer fake.Close()
	fake.SetBehaviour(func(r fakeollama.Request) fakeollama.Behaviour {
		return fakeollama.Behaviour{Chunks: []string{"```go\nfunc add(a, b int) int {\n\treturn a + b\n}\n```"}}
	})
	src := "package p\n\nfunc add(a, b int) int {\n\treturn 0 // TODO\n}\n"
	req := actions.Request{Text: src, Language: "go", Path: "p.go", Start: strings.Index(src, "return"), End: strings.Index(src, "return")}
	for _, fallback := range []string{"hide", "completion-model"} {
		t.Run(fallback, func(t *testing.T) {
			cfg := config.Default()
			cfg.OllamaHost, cfg.ActionModel, cfg.ActionFallback, cfg.Indexing = fake.URL, "missing-coder:30b", fallback, false
			w := New(cfg, slog.New(slog.DiscardHandler))
			defer w.Close(time.Second)
			s, err := w.NewSession(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if len(s.CodeActions(req, "/w/p.go")) == 0 {
				t.Fatal("no actions before the check")
			}
			msg := s.CheckActions(context.Background())
			if !strings.Contains(msg, "ollama pull missing-coder:30b") {
				t.Fatalf("check said %q", msg)
			}
			as := s.CodeActions(req, "/w/p.go")
			if fallback == "hide" {
				if len(as) != 0 {
					t.Fatalf("hidden actions listed: %v", as)
				}
				return
			}
			var impl actions.Action
			for _, a := range as {
				if a.ID == actions.Implement {
					impl = a
				}
			}
			res, err := s.ResolveAction(context.Background(), actions.PromptInput{Action: impl, Request: req}, "/w/p.go", nil)
			if err != nil || res.Model != cfg.CompletionModel || !strings.Contains(res.Notice, "ollama pull missing-coder:30b") || len(res.Edits) == 0 {
				t.Fatalf("fallback resolve: %+v, %v", res, err)
			}
			if as := s.CodeActions(req, "/w/.env"); len(as) != 0 {
				t.Fatalf("actions in a secret file: %v", as)
			}
		})
	}
}

// TestCacheAPIClearsWhatSessionsUse: the sidecar's cache view reports and clears the tiers the
// sessions use, not one chosen at start (a session on its own Redis included).
func TestCacheAPIClearsWhatSessionsUse(t *testing.T) {
	srv := redistest.Start(t)
	cfg := config.Default()
	cfg.OllamaHost, cfg.Indexing = "http://127.0.0.1:1", false
	w := New(cfg, slog.New(slog.DiscardHandler))
	defer w.Close(time.Second)
	withRedis := cfg
	withRedis.RedisURL, withRedis.RedisTimeout = srv.URL(), 2*time.Second
	s, err := w.NewSession(withRedis)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
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
	api := w.CacheAPI()
	if st := api.Stats(); st.Kinds[cache.KindCompletion].Hits != 1 || st.Tiers[cache.TierRedis].Kinds == nil {
		t.Fatalf("stats %+v", st)
	}
	n, err := api.Clear(ctx)
	if err != nil || n != 1 || strings.Contains(scan(), "mimi") {
		t.Fatalf("clear deleted %d (%v); Redis still has %q", n, err, scan())
	}
}

// TestCacheCountersNeverGoDown: a session moving off its Redis releases that tier; the lookups
// it counted stay in the exported totals (Prometheus would read a drop as a counter reset).
func TestCacheCountersNeverGoDown(t *testing.T) {
	srv := redistest.Start(t)
	cfg := config.Default()
	cfg.OllamaHost, cfg.Indexing = "http://127.0.0.1:1", false
	w := New(cfg, slog.New(slog.DiscardHandler))
	defer w.Close(time.Second)
	zero := time.Duration(0)
	w.linger = &zero
	withRedis := cfg
	withRedis.RedisURL, withRedis.RedisTimeout = srv.URL(), 2*time.Second
	s, err := w.NewSession(withRedis)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
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
