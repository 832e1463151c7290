package completion

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mimi-lsp/mimi-lsp/cache"
	"github.com/mimi-lsp/mimi-lsp/internal/secretfiles"
)

// countingCache counts every use of the cache: a secret file must not even be looked up.
type countingCache struct {
	Cache
	uses atomic.Int64
}

func (c *countingCache) GetTier(ctx context.Context, k cache.Kind, key string) ([]byte, string, error) {
	c.uses.Add(1)
	return c.Cache.GetTier(ctx, k, key)
}

func (c *countingCache) Set(ctx context.Context, k cache.Kind, key string, v []byte) error {
	c.uses.Add(1)
	return c.Cache.Set(ctx, k, key, v)
}

func newDenyEngine(t *testing.T, g Generator, log *slog.Logger) (*Engine, *countingCache) {
	t.Helper()
	c := &countingCache{Cache: cache.NewTiered(cache.NewMemory(1<<20, cache.TTLs{}), nil, nil)}
	e := New(g, c, testConfig(), log)
	m, err := secretfiles.New([]string{"*.secret"})
	if err != nil {
		t.Fatal(err)
	}
	e.SetDenylist(m)
	return e, c
}

// TestSecretFileGetsNoCompletion: in a denied file the engine answers nothing without a model
// call or a cache lookup; the same text in an ordinary file is completed (the fakes work).
func TestSecretFileGetsNoCompletion(t *testing.T) {
	const text = "API_KEY=\n"
	for _, tc := range []struct {
		name, file, path string
		denied           bool
	}{
		{"dotenv by file", "/home/me/app/.env", ".env", true},
		{"key by workspace path only", "", "certs/server.key", true},
		{"ssh dir by absolute file only", "/home/me/.ssh/config", "", true},
		{"windows file", `C:\Users\me\app\.env.local`, "", true},
		{"user glob", "/w/notes.secret", "notes.secret", true},
		{"ordinary file", "/home/me/app/environment.go", "environment.go", false},
		{"untitled", "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := &scripted{chunks: []string{"hunter2"}}
			e, c := newDenyEngine(t, g, slog.New(slog.DiscardHandler))
			res, err := e.Complete(context.Background(), Request{Text: text, Offset: 8, File: tc.file, Path: tc.path})
			if err != nil {
				t.Fatal(err)
			}
			calls := g.calls.Load()
			if tc.denied {
				if calls != 0 || res.Text != "" || c.uses.Load() != 0 || res != (Result{}) {
					t.Fatalf("secret file: model calls %d, cache uses %d, result %+v; want none and empty", calls, c.uses.Load(), res)
				}
				return
			}
			if calls != 1 || res.Text != "hunter2" {
				t.Fatalf("ordinary file: model calls %d, result %+v; want 1 call and the answer", calls, res)
			}
		})
	}
}

// TestSecretSnippetsDropped: retrieved context from secret files never reaches the prompt; the
// others do, and the caller's slice is left alone.
func TestSecretSnippetsDropped(t *testing.T) {
	g := &scripted{chunks: []string{"x"}}
	e, _ := newDenyEngine(t, g, slog.New(slog.DiscardHandler))
	sn := []Snippet{
		{Path: "deploy/.env.production", Text: "DB_PASSWORD=hunter2"},
		{Path: "util/math.go", Text: "func Sub(a, b int) int { return a - b }"},
		{Path: "certs/tls.key", Text: "-----BEGIN PRIVATE KEY-----"},
	}
	orig := append([]Snippet(nil), sn...)
	if _, err := e.Complete(context.Background(), Request{Text: "x := \n", Offset: 5, Path: "main.go", Snippets: sn}); err != nil {
		t.Fatal(err)
	}
	p := g.lastReq.Prompt
	for _, leak := range []string{"hunter2", ".env.production", "PRIVATE KEY", "tls.key"} {
		if strings.Contains(p, leak) {
			t.Errorf("prompt contains %q from a secret file:\n%s", leak, p)
		}
	}
	if !strings.Contains(p, "func Sub") {
		t.Errorf("prompt lost the ordinary snippet:\n%s", p)
	}
	for i := range sn {
		if sn[i] != orig[i] {
			t.Fatalf("caller's snippets changed: %+v", sn)
		}
	}
}

// TestSecretFileLoggedOnce: a user typing in .env gets one debug line, not one per keystroke.
func TestSecretFileLoggedOnce(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e, _ := newDenyEngine(t, &scripted{}, log)
	for range 3 {
		for _, f := range []string{"/w/.env", "/w/b.pem"} {
			if _, err := e.Complete(context.Background(), Request{Text: "A=", Offset: 2, File: f}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := strings.Count(buf.String(), "secret file"); n != 2 {
		t.Fatalf("logged %d times, want once per file:\n%s", n, buf.String())
	}
}

// TestNoDenylistCompletesEverything: an engine without a denylist (tests, tools) behaves as
// before; the denylist is wiring's job.
func TestNoDenylistCompletesEverything(t *testing.T) {
	g := &scripted{chunks: []string{"v"}}
	e := newTestEngine(g)
	res, err := e.Complete(context.Background(), Request{Text: "A=\n", Offset: 2, File: "/w/.env", Path: ".env"})
	if err != nil || res.Text != "v" || g.calls.Load() != 1 {
		t.Fatalf("%+v %v calls=%d", res, err, g.calls.Load())
	}
	e.SetDenylist(nil)
	if _, err := e.Complete(context.Background(), Request{Text: "B=\n", Offset: 2, File: "/w/.env"}); err != nil || g.calls.Load() != 2 {
		t.Fatalf("SetDenylist(nil): %v calls=%d", err, g.calls.Load())
	}
}
