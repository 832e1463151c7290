package cache_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/cache"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/redistest"
)

// TestLookupsWhileConnectingAreNotFailures is the false warning at start: lookups made while
// the first connection to a TLS Redis is still being made (a remote one: here a proxy holds
// the dial until the test releases it) run out their 30 ms budget waiting for the dial.
// Before, each counted as a Redis failure: three tripped the breaker and Problem said "raise
// redisTimeout" at every editor start. Now they are misses counted as skipped, and once the
// connection is made lookups hit.
func TestLookupsWhileConnectingAreNotFailures(t *testing.T) {
	srv := redistest.StartTLS(t)
	t.Setenv("SSL_CERT_FILE", srv.CAFile)
	h := cache.Key("p")
	w := newRedisCfg(t, cache.RedisConfig{URL: srv.URL(), Timeout: 2 * time.Second})
	if err := w.Set(bg(), cache.KindCompletion, h, []byte("v")); err != nil {
		t.Fatal(err)
	}
	proxy := cache.NewGateProxy(t, srv.Addr()) // holds every connection
	log, logs := newLog()
	r, err := cache.NewRedis(cache.RedisConfig{URL: fmt.Sprintf("rediss://127.0.0.1:%d", proxy.Port),
		ConnectTimeout: time.Minute, Log: log}) // default 30 ms budget
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for range 5 {
		if _, ok, _ := r.Get(bg(), cache.KindCompletion, h); ok {
			t.Fatal("hit with no connection")
		}
	}
	st := r.Stats()
	if st.Errors != 0 || st.Skipped != 5 || st.Breaker != "closed" {
		t.Fatalf("5 lookups while connecting: %+v, want 5 skipped, no errors, breaker closed", st)
	}
	if p := r.Problem(); p != nil {
		t.Fatalf("problem while connecting: %v", p)
	}
	if n := logs.count("WARN", ""); n != 0 {
		t.Fatalf("%d warn lines while connecting:\n%s", n, logs.b.String())
	}

	proxy.Forward()
	if err := r.WaitReady(bg()); err != nil {
		t.Fatalf("warm-up: %v", err)
	}
	waitUntil(t, func() bool {
		v, ok, _ := r.Get(bg(), cache.KindCompletion, h)
		return ok && string(v) == "v"
	})
}

// TestFailedDialStillCounts: a dial that fails is Redis's failure, even when the lookups
// after it time out waiting for the next dial (held here): they count, the breaker opens and
// Problem gives the dial's error (here a TLS handshake the server hung up on), not advice about
// redisTimeout.
func TestFailedDialStillCounts(t *testing.T) {
	srv := redistest.StartTLS(t)
	t.Setenv("SSL_CERT_FILE", srv.CAFile)
	proxy := cache.NewGateProxy(t, srv.Addr())
	proxy.HangUp()
	r, err := cache.NewRedis(cache.RedisConfig{URL: fmt.Sprintf("rediss://127.0.0.1:%d", proxy.Port), ConnectTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.WaitReady(bg()); err == nil {
		t.Fatal("warm-up through a proxy that hangs up succeeded")
	}
	proxy.Hold() // the next dials neither finish nor fail
	for range 3 {
		_, _, _ = r.Get(bg(), cache.KindCompletion, cache.Key("p"))
	}
	if st := r.Stats(); st.Errors != 3 || st.Breaker != "open" {
		t.Fatalf("3 lookups after a failed dial: %+v, want 3 errors and the breaker open", st)
	}
	p := r.Problem()
	if p == nil || strings.Contains(p.Error(), "redisTimeout") ||
		!(strings.Contains(p.Error(), "connection reset") || strings.Contains(p.Error(), "EOF")) {
		t.Fatalf("problem = %v, want the dial's error (reset or EOF), not redisTimeout advice", p)
	}
}
