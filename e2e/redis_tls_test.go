package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/internal/testenv/ollamatest"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/redistest"
)

// TestTLSRedisSharedWithDefaultBudget is the reported bug end to end: two mimi-lsp processes
// with the default redisTimeout (30 ms) against a real TLS redis-server (rediss://localhost:PORT,
// its CA via SSL_CERT_FILE). Before, every dial had the 30 ms budget: where the TLS handshake
// did not fit (a loaded or slower machine, a remote Redis), no connection was ever made,
// nothing was cached and the second process asked the model again. Now dials have
// redisConnectTimeout: both processes connect, the first one's answers reach Redis and the
// second answers from Redis. Run on loopback, and through a proxy that makes every handshake
// take 200 ms, so the handshake is slower than the budget whatever the machine (that case
// failed before the fix on every run: "redis ready" never came).
//
// What is asserted is what the fix claims, not that a loaded machine answers each command
// within 30 ms (tests whose subject is sharing use a larger budget: loadedBudget): every
// process connects ("redis ready", no failed dial), answers reach Redis (each write is awaited:
// its key appears or the write is logged as failed, and a failed one is retried with a fresh
// prompt), and the second process answers at least one of those prompts from Redis.
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
			ctx := timeout(t, 90*time.Second)
			env := []string{"MIMI_REDIS_URL=" + url, "SSL_CERT_FILE=" + rd.CAFile} // no MIMI_REDIS_TIMEOUT: the default
			shareOverTLS(t, ctx, ol.URL, rd, env)
		})
	}
}

// tlsPrompt is the i-th distinct completion prompt (the tiny model answers each with Answer).
func tlsPrompt(i int) (uri, text string) {
	return fmt.Sprintf("file:///work/add%d.go", i), fmt.Sprintf("package main\n\nfunc add%d(a, b int) int {\n\treturn \n}\n", i)
}

const (
	tlsPrompts = 6 // most prompts the first process completes
	tlsLanded  = 3 // answers in Redis the first process stops at
)

func shareOverTLS(t *testing.T, ctx context.Context, ollamaURL string, rd *redistest.Server, env []string) {
	t.Helper()
	completionKeys := func() int {
		out, _ := rd.Cli("--scan", "--pattern", "mimi:v1:completion:*")
		return len(strings.Fields(out))
	}

	c1, cmd1, log1 := startServer(t, ollamaURL, env...)
	if _, err := c1.Initialize(ctx, "file:///work", nil, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return strings.Contains(log1.String(), "redis ready") }) // dial and handshake done
	landed, failed, asked := 0, 0, 0
	for ; asked < tlsPrompts && landed < tlsLanded; asked++ {
		uri, text := tlsPrompt(asked)
		_ = c1.DidOpen(uri, "go", text)
		if got := completeAt(t, ctx, c1, uri, 3, 8); got != ollamatest.Answer {
			t.Fatalf("first process, prompt %d: %q", asked, got)
		}
		// The answer is written in the background: wait until its key is in Redis or the write
		// is logged as failed (a write slower than 30 ms on a loaded machine).
		waitFor(t, func() bool {
			return completionKeys() > landed || strings.Count(log1.String(), "redis set failed") > failed
		})
		landed, failed = completionKeys(), strings.Count(log1.String(), "redis set failed")
	}
	if s := stats(t, ctx, c1); s.Completion.ModelCalls != asked {
		t.Fatalf("first process: %d prompts, stats %+v", asked, s)
	}
	_ = c1.Shutdown(ctx)
	waitExit(t, cmd1, 0)
	if landed = completionKeys(); landed == 0 {
		t.Fatalf("none of the first process's %d answers reached Redis over TLS:\n%s", asked, log1.String())
	}
	noDialErrors(t, "first process", log1.String())

	c2, _, log2 := startServer(t, ollamaURL, env...)
	if _, err := c2.Initialize(ctx, "file:///work", nil, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return strings.Contains(log2.String(), "redis ready") })
	var s serverStats
	for i := 0; i < asked; i++ { // the prompts whose answers may be in Redis, until one is
		uri, text := tlsPrompt(i)
		_ = c2.DidOpen(uri, "go", text)
		if got := completeAt(t, ctx, c2, uri, 3, 8); got != ollamatest.Answer {
			t.Fatalf("second process, prompt %d: %q", i, got)
		}
		if s = stats(t, ctx, c2); s.Completion.BySource["redis"] > 0 {
			break
		}
	}
	if s.Completion.BySource["redis"] == 0 {
		t.Fatalf("second process answered none of %d prompts from Redis over TLS (%d answers there): %+v", asked, landed, s)
	}
	noDialErrors(t, "second process", log2.String())
}

// noDialErrors: no dial or TLS handshake failed (dials still running at exit are cancelled;
// those lines say "context canceled").
func noDialErrors(t *testing.T, who, log string) {
	t.Helper()
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "warm-up failed") || strings.Contains(line, "handshake") ||
			(strings.Contains(line, "failed to dial") && !strings.Contains(line, "context canceled")) {
			t.Errorf("%s: a dial failed: %s", who, line)
		}
	}
}

// TestTLSRedisCacheCommandConnectTimeout: `mimi-lsp cache stats` dials with redisConnectTimeout.
// Through a proxy that holds each connection 1.5 s (more than the 1 s default), it reaches the
// TLS Redis when MIMI_REDIS_CONNECT_TIMEOUT=10s. Before, the command ignored the setting: every
// dial failed at 1 s and it said Redis was not reachable.
func TestTLSRedisCacheCommandConnectTimeout(t *testing.T) {
	rd := redistest.StartTLS(t)
	slow := redistest.DelayProxy(t, rd.Addr(), 1500*time.Millisecond)
	cmd := exec.Command(binary, "cache", "stats")
	cmd.Env = append(cmd.Environ(), "MIMI_REDIS_URL=rediss://localhost:"+strconv.Itoa(slow),
		"SSL_CERT_FILE="+rd.CAFile, "MIMI_REDIS_CONNECT_TIMEOUT=10s")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), `"namespace": "mimi:v1"`) {
		t.Fatalf("cache stats through a slow TLS link: %v\n%s", err, out)
	}
}
