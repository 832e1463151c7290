package cache_test

import (
	"context"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/cache"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/redistest"
)

// TestRedisRefusesControlText: a completion or action planted in Redis holding a terminal
// escape, a bidirectional override (Trojan Source), a C1 control or invalid UTF-8 is a
// counted miss; tabs, line breaks and ordinary Unicode pass; an embedding (binary) is not
// read as text.
func TestRedisRefusesControlText(t *testing.T) {
	srv := redistest.Start(t)
	r := newRedisCfg(t, cache.RedisConfig{URL: srv.URL(), Timeout: 2 * time.Second})
	for name, tc := range map[string]struct {
		kind cache.Kind
		text string
		ok   bool
	}{
		"escape":    {cache.KindCompletion, "x := 1\x1b]0;owned\x07", false},
		"bidi":      {cache.KindAction, "if isAdmin \u202e{ } \u2066// ok\u2069", false},
		"c1":        {cache.KindCompletion, "a\u009bb", false},
		"nul":       {cache.KindCompletion, "a\x00b", false},
		"bad utf-8": {cache.KindCompletion, "a\xffb", false},
		"code":      {cache.KindCompletion, "\tfmt.Println(\"héllo, 世界\")\r\n}", true},
		"vector":    {cache.KindEmbedding, "\x00\x1b\xff\x7f", true},
	} {
		key := cache.Key(name)
		plant(t, srv, r.Key(tc.kind, key), append([]byte{0}, tc.text...))
		v, ok, err := r.Get(bg(), tc.kind, key)
		if err != nil || ok != tc.ok || ok && string(v) != tc.text {
			t.Errorf("%s: %q ok=%v err=%v, want ok=%v", name, v, ok, err, tc.ok)
		}
	}
	if st := r.Stats(); st.Corrupt != 5 {
		t.Errorf("corrupt = %d, want 5", st.Corrupt)
	}
}

// TestMemoryTierKeepsOriginsApart: one process, one memory tier, sessions on different Redis
// tiers (unsigned, signed, another namespace, none). A value promoted from the unsigned Redis
// is served from memory to the sessions on that Redis only; the process's own answers are
// served to all.
func TestMemoryTierKeepsOriginsApart(t *testing.T) {
	srv := redistest.Start(t)
	mem := cache.NewMemory(1<<20, nil)
	unsigned := newRedisCfg(t, cache.RedisConfig{URL: srv.URL(), Timeout: 2 * time.Second})
	unsigned2 := newRedisCfg(t, cache.RedisConfig{URL: srv.URL(), Timeout: 2 * time.Second})
	signed := newRedisCfg(t, cache.RedisConfig{URL: srv.URL(), Timeout: 2 * time.Second, Secret: "s3cret"})
	other := newRedisCfg(t, cache.RedisConfig{URL: srv.URL(), Timeout: 2 * time.Second, Namespace: "team2"})
	key := cache.Key("planted")
	plant(t, srv, unsigned.Key(cache.KindCompletion, key), append([]byte{0}, "planted answer"...))

	a := cache.NewTiered(mem, unsigned, nil)
	if _, tier, _ := a.GetTier(bg(), cache.KindCompletion, key); tier != cache.TierRedis {
		t.Fatalf("first lookup from %q, want redis", tier)
	}
	if _, ok := a.GetLocal(cache.KindCompletion, key); !ok {
		t.Fatal("the promoted value is not in memory for its own tier")
	}
	if _, ok := cache.NewTiered(mem, unsigned2, nil).GetLocal(cache.KindCompletion, key); !ok {
		t.Fatal("another client of the same Redis does not see the promoted value")
	}
	for name, tr := range map[string]*cache.Tiered{
		"no redis": cache.NewTiered(mem, nil, nil), "signed": cache.NewTiered(mem, signed, nil), "namespace": cache.NewTiered(mem, other, nil),
	} {
		if v, ok := tr.GetLocal(cache.KindCompletion, key); ok {
			t.Errorf("%s: served %q promoted from the unsigned Redis", name, v)
		}
		if v, tier, _ := tr.GetTier(context.Background(), cache.KindCompletion, key); tier != "" {
			t.Errorf("%s: GetTier served %q from %s", name, v, tier)
		}
	}
	own := cache.Key("own")
	_ = cache.NewTiered(mem, nil, nil).Set(bg(), cache.KindCompletion, own, []byte("our answer"))
	for _, tr := range []*cache.Tiered{a, cache.NewTiered(mem, signed, nil)} {
		if _, ok := tr.GetLocal(cache.KindCompletion, own); !ok {
			t.Error("the process's own answer is not served to every tier")
		}
	}
}
