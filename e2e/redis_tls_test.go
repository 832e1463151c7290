package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/internal/ollamatest"
	"github.com/mimi-lsp/mimi-lsp/internal/redistest"
)

// TestTLSRedisSharedWithDefaultBudget is the reported bug end to end: two mimi-lsp processes
// with the default redisTimeout (30 ms) against a real TLS redis-server (rediss://localhost:PORT,
// its CA via SSL_CERT_FILE). Before, every dial had the 30 ms budget: where the TLS handshake
// did not fit (a loaded or slower machine, a remote Redis), nothing was ever cached and the
// second process asked the model again. Now the first answers from the model and its answer
// reaches Redis; the second answers from Redis without a model call. Run on loopback, and
// through a proxy that makes every handshake take 200 ms, so the handshake is slower than the
// budget whatever the machine (that case failed before the fix on every run).
//
// What the test waits for, rather than hoping the machine is idle: the first process's write
// is checked in Redis after it exits (writes are flushed at exit), and the second process's
// lookup is made once its connections are warm (the "redis ready" debug line), because the
// 30 ms budget is for a lookup, not for a dial and a handshake.
func TestTLSRedisSharedWithDefaultBudget(t *testing.T) {
	ol := ollamatest.StartT(t)
	rd := redistest.StartTLS(t)
	slow := redistest.DelayProxy(t, rd.Addr(), 200*time.Millisecond)
	for name, url := range map[string]string{
		"loopback":                    rd.URL(),
		"handshake slower than 30 ms": "rediss://localhost:" + strconv.Itoa(slow),
	} {
		t.Run(name, func(t *testing.T) {
			_, _ = rd.Cli("FLUSHALL")
			ctx := timeout(t, 60*time.Second)
			env := []string{"MIMI_REDIS_URL=" + url, "SSL_CERT_FILE=" + rd.CAFile} // no MIMI_REDIS_TIMEOUT: the default
			shareOverTLS(t, ctx, ol.URL, rd, env)
		})
	}
}

func shareOverTLS(t *testing.T, ctx context.Context, ollamaURL string, rd *redistest.Server, env []string) {
	t.Helper()
	c1, cmd1, _ := startServer(t, ollamaURL, env...)
	if _, err := c1.Initialize(ctx, "file:///work", nil, nil); err != nil {
		t.Fatal(err)
	}
	_ = c1.DidOpen(addURI, "go", addDoc)
	if got := completeAt(t, ctx, c1, addURI, 3, 8); got != ollamatest.Answer {
		t.Fatalf("first process: %q", got)
	}
	if s := stats(t, ctx, c1); s.Completion.ModelCalls != 1 {
		t.Fatalf("first process stats: %+v", s)
	}
	_ = c1.Shutdown(ctx)
	waitExit(t, cmd1, 0)
	if keys, err := rd.Cli("--scan", "--pattern", "mimi:v1:completion:*"); len(strings.Fields(keys)) != 1 {
		t.Fatalf("the first process's answer is not in Redis over TLS: %q %v", keys, err)
	}

	c2, _, log2 := startServer(t, ollamaURL, env...)
	if _, err := c2.Initialize(ctx, "file:///work", nil, nil); err != nil {
		t.Fatal(err)
	}
	_ = c2.DidOpen(addURI, "go", addDoc)
	waitFor(t, func() bool { return strings.Contains(log2.String(), "redis ready") })
	if got := completeAt(t, ctx, c2, addURI, 3, 8); got != ollamatest.Answer {
		t.Fatalf("second process: %q", got)
	}
	s := stats(t, ctx, c2)
	if s.Completion.ModelCalls != 0 || s.Completion.BySource["redis"] != 1 {
		t.Fatalf("second process should answer from Redis over TLS without the model: %+v", s)
	}
	if r := s.Cache.Tiers["redis"]; r.Errors != 0 || r.Breaker != "closed" {
		t.Fatalf("redis tier over TLS: %+v", r)
	}
}
