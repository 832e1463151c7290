package cache_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/cache"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/redistest"
)

func newRedis(t *testing.T, url string, timeout time.Duration) *cache.Redis {
	t.Helper()
	r, err := cache.NewRedis(cache.RedisConfig{URL: url, Timeout: timeout,
		TTL: cache.TTLs{cache.KindCompletion: time.Hour, cache.KindEmbedding: 24 * time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func bg() context.Context { return context.Background() }

func TestRedisRoundTripKeysTTLAndClear(t *testing.T) {
	srv := redistest.Start(t)
	r := newRedis(t, srv.URL(), 2*time.Second)
	hash := cache.Key("model", "prompt")
	big := bytes.Repeat([]byte("func f() { return 1 }\n"), 100) // compressible
	vec := cache.EncodeFloat32s([]float32{0.25, -1, 3.5})
	for kind, v := range map[cache.Kind][]byte{cache.KindCompletion: big, cache.KindEmbedding: vec} {
		if err := r.Set(bg(), kind, hash, v); err != nil {
			t.Fatal(err)
		}
		got, ok, err := r.Get(bg(), kind, hash)
		if err != nil || !ok || !bytes.Equal(got, v) {
			t.Fatalf("%s round trip: ok=%v err=%v", kind, ok, err)
		}
	}
	if f, _ := cache.DecodeFloat32s(vec); len(f) != 3 || f[2] != 3.5 {
		t.Fatalf("float32 codec: %v", f)
	}
	key := "mimi:v1:completion:" + hash
	if ttl, _ := srv.Cli("TTL", key); strings.TrimSpace(ttl) == "-1" || strings.TrimSpace(ttl) == "-2" {
		t.Fatalf("key %s has no TTL (%s)", key, ttl)
	}
	if out, _ := srv.Cli("STRLEN", key); atoi(out) >= len(big)/2 {
		t.Fatalf("stored %s bytes for a %d-byte compressible value", strings.TrimSpace(out), len(big))
	}
	if ttl, _ := srv.Cli("TTL", "mimi:v1:embedding:"+hash); !strings.HasPrefix(strings.TrimSpace(ttl), "8") {
		t.Fatalf("embedding TTL = %s, want ~86400", ttl)
	}
	// A key outside the namespace survives clear.
	_, _ = srv.Cli("SET", "someone-else:key", "keep")
	usage, err := r.Usage(bg())
	if err != nil || usage[cache.KindCompletion].Keys != 1 || usage[cache.KindEmbedding].Keys != 1 {
		t.Fatalf("usage = %+v, %v", usage, err)
	}
	n, err := r.Clear(bg())
	if err != nil || n != 2 {
		t.Fatalf("clear = %d, %v", n, err)
	}
	if v, _ := srv.Cli("GET", "someone-else:key"); strings.TrimSpace(v) != "keep" {
		t.Fatal("clear deleted a key outside the namespace")
	}
}

func TestRedisCluster(t *testing.T) {
	cl := redistest.StartCluster(t)
	r := newRedis(t, cl.URL(), 2*time.Second)
	for i := range 50 {
		if err := r.Set(bg(), cache.KindCompletion, cache.Key(fmt.Sprint(i)), []byte(fmt.Sprint("v", i))); err != nil {
			t.Fatalf("set %d: %v", i, err)
		}
	}
	for i := range 50 {
		v, ok, err := r.Get(bg(), cache.KindCompletion, cache.Key(fmt.Sprint(i)))
		if err != nil || !ok || string(v) != fmt.Sprint("v", i) {
			t.Fatalf("get %d: %q %v %v", i, v, ok, err)
		}
	}
	// Keys are spread over the masters, and usage/clear see all of them.
	spread := 0
	for _, n := range cl.Nodes {
		if out, _ := n.Cli("DBSIZE"); strings.TrimSpace(out) != "0" {
			spread++
		}
	}
	if spread < 2 {
		t.Fatalf("keys on %d of 3 masters: not a cluster client", spread)
	}
	u, err := r.Usage(bg())
	if err != nil || u[cache.KindCompletion].Keys != 50 {
		t.Fatalf("usage = %+v %v", u, err)
	}
	if n, err := r.Clear(bg()); err != nil || n != 50 {
		t.Fatalf("clear = %d %v", n, err)
	}
}

func TestRedisDownSlowAndBack(t *testing.T) {
	srv := redistest.Start(t)
	r := newRedis(t, srv.URL(), 30*time.Millisecond)
	h := cache.Key("x")
	// Set up with a budget that fits a loaded machine: the 30 ms tier is under test, not this.
	if err := newRedis(t, srv.URL(), 2*time.Second).Set(bg(), cache.KindCompletion, h, []byte("v")); err != nil {
		t.Fatal(err)
	}
	// Slow: a paused server is not waited for; the lookup fails within its budget instead.
	srv.Pause(t, 2*time.Second)
	if _, ok, err := r.Get(bg(), cache.KindCompletion, h); ok || err == nil {
		t.Fatalf("lookup on a paused Redis: ok=%v err=%v; want a timeout, not the value", ok, err)
	}
	// Down: after a few failures the breaker opens and Redis is skipped.
	srv.Kill()
	for range 5 {
		_, _, _ = r.Get(bg(), cache.KindCompletion, h)
	}
	st := r.Stats()
	if st.Breaker != "open" || st.Skipped == 0 {
		t.Fatalf("after Redis died: %+v, want breaker open and lookups skipped", st)
	}
	if _, _, err := r.Get(bg(), cache.KindCompletion, h); !errors.Is(err, cache.ErrUnavailable) {
		t.Fatalf("lookup with the breaker open: %v", err)
	}
	// Back: the probe after the cool-down closes the breaker and lookups hit again.
	srv.Restart(t)
	_ = r.Set(bg(), cache.KindCompletion, h, []byte("v2")) // may be skipped while open
	deadline := time.Now().Add(10 * time.Second)
	for {
		_ = r.Set(bg(), cache.KindCompletion, h, []byte("v2"))
		if v, ok, _ := r.Get(bg(), cache.KindCompletion, h); ok && string(v) == "v2" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("breaker never closed after Redis came back: %+v", r.Stats())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if r.Stats().Breaker != "closed" {
		t.Fatalf("breaker = %s", r.Stats().Breaker)
	}
}

func TestTieredPromotesAndSurvivesRestart(t *testing.T) {
	srv := redistest.Start(t)
	r := newRedis(t, srv.URL(), 2*time.Second)
	t1 := cache.NewTiered(cache.NewMemory(1<<20, nil), r, nil)
	h := cache.Key("p")
	_ = t1.Set(bg(), cache.KindCompletion, h, []byte("answer"))
	t1.Flush()
	// A new process (empty memory) gets it from Redis, then from memory.
	t2 := cache.NewTiered(cache.NewMemory(1<<20, nil), r, nil)
	for _, want := range []string{cache.TierRedis, cache.TierMemory} {
		v, tier, err := t2.GetTier(bg(), cache.KindCompletion, h)
		if err != nil || tier != want || string(v) != "answer" {
			t.Fatalf("got %q from %q (%v), want %s", v, tier, err, want)
		}
	}
	st := t2.Stats()
	if st.Kinds[cache.KindCompletion].Hits != 2 || st.Tiers[cache.TierRedis].Kinds[cache.KindCompletion].Hits != 1 {
		t.Fatalf("stats = %+v", st)
	}
	// Redis down: the memory tier still answers and misses stay misses (no error to the caller).
	srv.Kill()
	if _, tier, err := t2.GetTier(bg(), cache.KindCompletion, h); tier != cache.TierMemory || err != nil {
		t.Fatalf("memory tier with Redis down: %q %v", tier, err)
	}
	if _, tier, err := t2.GetTier(bg(), cache.KindCompletion, cache.Key("other")); tier != "" || err != nil {
		t.Fatalf("miss with Redis down: %q %v", tier, err)
	}
}

func TestParseRedisURL(t *testing.T) {
	for _, tc := range []struct {
		url     string
		addrs   int
		master  string
		tls     bool
		wantErr bool
	}{
		{"redis://localhost:6379/2", 1, "", false, false},
		{"redis://:secret@h1", 1, "", false, false},
		{"rediss://user:pw@cache.example:6380", 1, "", true, false},
		{"redis://a:7000,b:7001,c:7002", 3, "", false, false},
		{"redis://s1:26379,s2:26379?master=mymaster", 2, "mymaster", false, false},
		{"http://x", 0, "", false, true},
		{"redis://h/abc", 0, "", false, true},
	} {
		o, err := cache.ParseRedisURL(tc.url, 30*time.Millisecond)
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: err %v", tc.url, err)
			continue
		}
		if err == nil && (len(o.Addrs) != tc.addrs || o.MasterName != tc.master || (o.TLSConfig != nil) != tc.tls || o.MaxRetries != -1 || !o.ContextTimeoutEnabled || o.Protocol != 2) {
			t.Errorf("%s: %+v", tc.url, o)
		}
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(s))
	return n
}
