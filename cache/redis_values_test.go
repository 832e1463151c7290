package cache_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mimi-lsp/mimi-lsp/cache"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/redistest"
)

// logBuffer collects slog output for assertions.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) count(level, substr string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range strings.Split(l.b.String(), "\n") {
		if strings.Contains(line, "level="+level) && strings.Contains(line, substr) {
			n++
		}
	}
	return n
}

func newLog() (*slog.Logger, *logBuffer) {
	buf := &logBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

func newRedisCfg(t *testing.T, cfg cache.RedisConfig) *cache.Redis {
	t.Helper()
	if cfg.TTL == nil {
		cfg.TTL = cache.TTLs{cache.KindCompletion: time.Hour, cache.KindEmbedding: time.Hour}
	}
	r, err := cache.NewRedis(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	if err := r.WaitReady(bg()); err != nil {
		t.Fatalf("warm-up: %v", err)
	}
	return r
}

// plant writes raw bytes at key with a plain client, as anyone with access to Redis could.
func plant(t *testing.T, srv *redistest.Server, key string, val []byte) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), DisableIdentity: true})
	defer c.Close()
	if err := c.Set(bg(), key, val, time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
}

// zstdBomb: 1 header byte (zstd) + a 17-byte frame declaring 512 MiB (see codec_test.go).
func zstdBomb() []byte {
	b := []byte{1, 0x28, 0xb5, 0x2f, 0xfd, 0xe0}
	b = binary.LittleEndian.AppendUint64(b, 512<<20)
	hdr := uint32(1) | 1<<1 | ((1<<21)-1)<<3
	return append(b, byte(hdr), byte(hdr>>8), byte(hdr>>16), 'a')
}

// TestRedisRejectsPlantedValues: values planted in a real Redis (a zstd bomb, garbage, an
// unknown header, a huge raw value, a hash) are misses that are counted, logged at warn once
// per reason, cost each reader only a small allocation, and are overwritten by the next answer.
func TestRedisRejectsPlantedValues(t *testing.T) {
	srv := redistest.Start(t)
	log, logs := newLog()
	r := newRedisCfg(t, cache.RedisConfig{URL: srv.URL(), Timeout: 2 * time.Second, Log: log})
	planted := map[string][]byte{
		"bomb":    zstdBomb(),
		"garbage": {1, 0xde, 0xad, 0xbe, 0xef},
		"header":  {9, 'h', 'i'},
		"huge":    append([]byte{0}, bytes.Repeat([]byte("x"), 8<<20)...),
	}
	for name, v := range planted {
		plant(t, srv, r.Key(cache.KindCompletion, cache.Key(name)), v)
	}
	if out, err := srv.Cli("HSET", r.Key(cache.KindCompletion, cache.Key("hash")), "f", "v"); err != nil {
		t.Fatalf("HSET: %v %s", err, out)
	}
	names := []string{"bomb", "garbage", "header", "huge", "hash"}
	for _, name := range names {
		var (
			ok  bool
			err error
		)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for range 5 {
			_, ok, err = r.Get(bg(), cache.KindCompletion, cache.Key(name))
		}
		runtime.ReadMemStats(&after)
		if ok || err != nil {
			t.Errorf("%s: ok=%v err=%v, want a plain miss", name, ok, err)
		}
		// Each read is bounded by the kind's limit (GETRANGE) and the decoder's memory limit.
		if d := after.TotalAlloc - before.TotalAlloc; d > 5*3<<20 {
			t.Errorf("%s: 5 lookups allocated %d MiB", name, d>>20)
		} else {
			t.Logf("%s: 5 lookups allocated %d KiB", name, d>>10)
		}
	}
	st := r.Stats()
	if st.Corrupt != uint64(5*len(names)) || st.Errors != 0 || st.Breaker != "closed" || st.Kinds[cache.KindCompletion].Misses != uint64(5*len(names)) {
		t.Fatalf("stats = %+v, want %d corrupt misses, no errors, breaker closed", st, 5*len(names))
	}
	// One warn per reason (undecodable, too large), not one per lookup.
	if n := logs.count("WARN", "ignoring a value in Redis"); n != 2 {
		t.Errorf("%d warn lines for %d rejected lookups, want 2 (one per reason):\n%s", n, 5*len(names), logs.b.String())
	}
	// The next answer replaces the bad value, for every process.
	tier := cache.NewTiered(cache.NewMemory(1<<20, nil), r, nil)
	for _, name := range names {
		_ = tier.Set(bg(), cache.KindCompletion, cache.Key(name), []byte("answer "+name))
	}
	tier.Flush()
	for _, name := range names {
		if v, ok, err := r.Get(bg(), cache.KindCompletion, cache.Key(name)); !ok || string(v) != "answer "+name {
			t.Errorf("%s after Set: %q %v %v", name, v, ok, err)
		}
	}
}

// TestRedisSetRefusesOversizedValues: what Set would write and readers reject is not written.
func TestRedisSetRefusesOversizedValues(t *testing.T) {
	srv := redistest.Start(t)
	r := newRedisCfg(t, cache.RedisConfig{URL: srv.URL(), Timeout: 2 * time.Second})
	if err := r.Set(bg(), cache.KindEmbedding, cache.Key("v"), make([]byte, cache.ValueLimit(cache.KindEmbedding)+1)); err == nil {
		t.Fatal("oversized embedding written")
	}
	if keys, _ := srv.Cli("DBSIZE"); strings.TrimSpace(keys) != "0" {
		t.Fatalf("keys: %s", keys)
	}
	if st := r.Stats(); st.Errors != 0 || st.Breaker != "closed" {
		t.Fatalf("an oversized value is not a Redis failure: %+v", st)
	}
}

// TestRedisSignedValues: with cacheSecret set, a planted unsigned value and a value signed
// with another secret are misses (counted, logged once); the right secret round-trips, and a
// signed value copied to another key does not verify. Without a secret, signed values are
// read (the documented choice: decodeValue).
func TestRedisSignedValues(t *testing.T) {
	srv := redistest.Start(t)
	log, logs := newLog()
	cfg := func(secret string) cache.RedisConfig {
		return cache.RedisConfig{URL: srv.URL(), Timeout: 2 * time.Second, Secret: secret, Log: log}
	}
	team := newRedisCfg(t, cfg("team secret"))
	other := newRedisCfg(t, cfg("another secret"))
	open := newRedisCfg(t, cfg(""))
	h := cache.Key("prompt")
	kind := cache.KindCompletion

	// Unsigned, as an old version or anyone with access writes it.
	plant(t, srv, team.Key(kind, h), append([]byte{0}, "evil()"...))
	if v, ok, err := team.Get(bg(), kind, h); ok || err != nil {
		t.Fatalf("unsigned value with a secret: %q %v %v", v, ok, err)
	}
	// Signed with another secret.
	if err := other.Set(bg(), kind, h, []byte("a - b")); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := team.Get(bg(), kind, h); ok || err != nil {
		t.Fatalf("value signed with another secret: %q %v %v", v, ok, err)
	}
	// Signed with the team's secret.
	if err := team.Set(bg(), kind, h, []byte("a + b")); err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]*cache.Redis{"team": team, "no secret": open} {
		if v, ok, err := r.Get(bg(), kind, h); !ok || err != nil || string(v) != "a + b" {
			t.Fatalf("%s reading a signed value: %q %v %v", name, v, ok, err)
		}
	}
	if v, ok, _ := other.Get(bg(), kind, h); ok {
		t.Fatalf("wrong secret read %q", v)
	}
	// Copied to another key (same kind, same namespace): the MAC binds the key.
	raw, err := srv.Cli("--no-raw", "GET", team.Key(kind, h))
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), DisableIdentity: true})
	defer c.Close()
	if err := c.Copy(bg(), team.Key(kind, h), team.Key(kind, cache.Key("elsewhere")), 0, false).Err(); err != nil {
		t.Fatalf("COPY: %v (%s)", err, raw)
	}
	if v, ok, _ := team.Get(bg(), kind, cache.Key("elsewhere")); ok {
		t.Fatalf("a signed value copied to another key verified: %q", v)
	}
	if st := team.Stats(); st.Unverified != 3 || st.Errors != 0 || st.Corrupt != 0 {
		t.Fatalf("team stats = %+v, want 3 unverified", st)
	}
	if n := logs.count("WARN", "not signed with this cacheSecret"); n != 3 { // one per reason per tier
		t.Errorf("warn lines = %d, want 3 (team: unsigned, bad signature; other: bad signature):\n%s", n, logs.b.String())
	}
}

// TestRedisCallerCancellationIsNotAFailure: lookups whose caller gave up (already cancelled,
// cancelled while the GET waits on a paused Redis, or whose own earlier deadline passed) are
// misses that neither count as Redis errors nor trip the breaker.
func TestRedisCallerCancellationIsNotAFailure(t *testing.T) {
	srv := redistest.Start(t)
	r := newRedisCfg(t, cache.RedisConfig{URL: srv.URL(), Timeout: time.Second})
	// Warm (connected) before the server is paused: lookups that time out while a tier is
	// still connecting are not failures either (TestLookupsWhileConnectingAreNotFailures).
	fast := newRedisCfg(t, cache.RedisConfig{URL: srv.URL(), Timeout: 30 * time.Millisecond})
	h := cache.Key("x")
	if err := r.Set(bg(), cache.KindCompletion, h, []byte("v")); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(bg())
	cancel()
	for range 20 {
		if _, ok, _ := r.Get(cancelled, cache.KindCompletion, h); ok {
			t.Fatal("a cancelled lookup hit")
		}
	}
	// A paused Redis: each GET waits; its caller gives up first (cancel or its own deadline).
	srv.Pause(t, 3*time.Second)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(bg(), 50*time.Millisecond) // the caller's deadline, before the tier's
			defer cancel()
			if i%2 == 0 {
				ctx, cancel = context.WithCancel(bg())
				time.AfterFunc(20*time.Millisecond, cancel) // a newer keystroke supersedes it
			}
			_, _, _ = r.Get(ctx, cache.KindCompletion, h)
		}()
	}
	wg.Wait()
	st := r.Stats()
	if st.Breaker != "closed" || st.Errors != 0 || st.Skipped != 0 {
		t.Fatalf("after 28 abandoned lookups: %+v, want breaker closed and no errors", st)
	}
	if r.Problem() != nil {
		t.Fatalf("problem reported: %v", r.Problem())
	}
	// The tier's own deadline is Redis's failure: three of them trip the breaker.
	srv.Pause(t, 5*time.Second)
	for range 3 {
		_, _, _ = fast.Get(bg(), cache.KindCompletion, h)
	}
	if st := fast.Stats(); st.Breaker != "open" || st.Errors != 3 {
		t.Fatalf("tier timeouts: %+v, want 3 errors and the breaker open", st)
	}
}

// TestRedisCompletionLimit: a completion is at most numPredict (4096) tokens, so a 100 KiB
// completion in Redis is not a real answer: planted by another client it is a counted miss,
// and Set refuses to write one. A code-action answer of that size (an edit to a file) is
// shared.
func TestRedisCompletionLimit(t *testing.T) {
	srv := redistest.Start(t)
	r := newRedisCfg(t, cache.RedisConfig{URL: srv.URL(), Timeout: 2 * time.Second})
	h := cache.Key("prompt")
	big := bytes.Repeat([]byte("\tx := f(x)\n"), 100<<10/11) // ~100 KiB of code
	if err := r.Set(bg(), cache.KindCompletion, h, big); !errors.Is(err, cache.ErrValueTooLarge) {
		t.Fatalf("Set of a %d-byte completion: %v, want ErrValueTooLarge", len(big), err)
	}
	if err := r.Set(bg(), cache.KindAction, h, big); err != nil {
		t.Fatalf("Set of a %d-byte action: %v", len(big), err)
	}
	if v, ok, err := r.Get(bg(), cache.KindAction, h); !ok || err != nil || !bytes.Equal(v, big) {
		t.Fatalf("action round trip: ok=%v err=%v", ok, err)
	}
	plant(t, srv, r.Key(cache.KindCompletion, h), append([]byte{0}, big...))
	if v, ok, err := r.Get(bg(), cache.KindCompletion, h); ok || err != nil {
		t.Fatalf("planted %d-byte completion: %d bytes, ok=%v err=%v; want a miss", len(big), len(v), ok, err)
	}
	if st := r.Stats(); st.Corrupt != 1 || st.Errors != 0 {
		t.Fatalf("stats = %+v, want the planted completion counted as corrupt", st)
	}
}
