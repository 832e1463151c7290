package cache_test

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mimi-lsp/mimi-lsp/cache"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/redistest"
)

// TestTLSRedisWithDefaultBudget is the reported bug at the package level: a real TLS
// redis-server on loopback (rediss://localhost:PORT, CA via SSL_CERT_FILE) with the default
// 30 ms budget. Before, dials had the 30 ms budget too, the handshake never fit, and nothing
// was ever cached. Now one process's answer reaches Redis and a second process (a new client,
// empty memory) reads it from Redis.
func TestTLSRedisWithDefaultBudget(t *testing.T) {
	srv := redistest.StartTLS(t)
	// Go reads SSL_CERT_FILE once per process; every TLS test server shares this CA.
	t.Setenv("SSL_CERT_FILE", srv.CAFile)
	h := cache.Key("model", "prompt")

	first, err := cache.NewRedis(cache.RedisConfig{URL: srv.URL()}) // default Timeout: 30 ms
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	t1 := cache.NewTiered(cache.NewMemory(1<<20, nil), first, nil)
	_ = t1.Set(bg(), cache.KindCompletion, h, []byte("a + b")) // right at start: waits for the warm-up
	t1.Flush()
	if out, _ := srv.Cli("EXISTS", first.Key(cache.KindCompletion, h)); strings.TrimSpace(out) != "1" {
		t.Fatalf("the first process's answer is not in Redis (%s): %+v, problem: %v", out, first.Stats(), t1.Problem())
	}

	second, err := cache.NewRedis(cache.RedisConfig{URL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if err := second.WaitReady(bg()); err != nil { // the warm-up (dial + handshake) is not the lookup's budget
		t.Fatalf("warm-up over TLS: %v", err)
	}
	t2 := cache.NewTiered(cache.NewMemory(1<<20, nil), second, nil)
	v, tier, err := t2.GetTier(bg(), cache.KindCompletion, h)
	if tier != cache.TierRedis || string(v) != "a + b" {
		t.Fatalf("second process: %q from %q (%v); redis stats %+v", v, tier, err, second.Stats())
	}
	if p := t2.Problem(); p != nil {
		t.Fatalf("problem on a healthy TLS Redis: %v", p)
	}
}

// TestSlowHandshakeWithDefaultBudget: a TLS handshake slower than the 30 ms operation budget
// (a proxy holds each new connection 300 ms, as a remote or loaded Redis might) must not stop
// the tier: dials have the connect timeout and finish in the background while the first
// lookups miss, and later lookups find the connection ready. Before, dials had the operation's
// 30 ms and no connection was ever made.
func TestSlowHandshakeWithDefaultBudget(t *testing.T) {
	srv := redistest.StartTLS(t)
	t.Setenv("SSL_CERT_FILE", srv.CAFile)
	h := cache.Key("p")
	w := newRedisCfg(t, cache.RedisConfig{URL: srv.URL(), Timeout: 2 * time.Second})
	if err := w.Set(bg(), cache.KindCompletion, h, []byte("v")); err != nil {
		t.Fatal(err)
	}
	proxy := redistest.DelayProxy(t, srv.Addr(), 300*time.Millisecond)
	r, err := cache.NewRedis(cache.RedisConfig{URL: "rediss://localhost:" + strconv.Itoa(proxy)}) // default budget
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	waitUntil(t, func() bool {
		v, ok, _ := r.Get(bg(), cache.KindCompletion, h)
		return ok && string(v) == "v"
	})
}

// waitUntil polls cond for up to 10 s (an event, not a duration, is what tests wait for).
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("condition not reached in 10s")
		}
	}
}

// TestCloseEndsWarmupAndDials: NewRedis returns while its warm-up dial hangs (a server that
// accepts and never answers the TLS handshake, with a one-minute connect timeout), and Close
// ends that dial at once: no goroutine is left behind.
func TestCloseEndsWarmupAndDials(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c) // hold it open, say nothing
		}
	}()
	opts := goleak.IgnoreCurrent()
	r, err := cache.NewRedis(cache.RedisConfig{URL: "rediss://" + l.Addr().String(), ConnectTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	_, _, _ = r.Get(bg(), cache.KindCompletion, cache.Key("x")) // a lookup that starts another dial
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	goleak.VerifyNone(t, opts)
	l.Close()
	<-accepted
	for _, c := range conns {
		c.Close()
	}
}
