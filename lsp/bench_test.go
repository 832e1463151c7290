package lsp_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/lsptest"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/redistest"
)

// BenchmarkCompletionCacheHit measures one textDocument/completion answered from the memory
// cache: client encode → pipe → server decode, snapshot, position mapping, prompt + key,
// cache lookup, item building → pipe → client decode. It reports p50/p99 besides the mean.
func BenchmarkCompletionCacheHit(b *testing.B) {
	benchCacheHit(b, nil, "memory")
}

// BenchmarkCompletionCacheHitRedis is the same with the memory tier off: every answer comes
// from a real redis-server on loopback.
func BenchmarkCompletionCacheHitRedis(b *testing.B) {
	rd := redistest.Start(b)
	benchCacheHit(b, func(c *config.Config) {
		c.RedisURL = rd.URL()
		c.CacheMaxBytes = 0
	}, "redis")
}

func benchCacheHit(b *testing.B, mod func(*config.Config), wantSource string) {
	f := newFake(b, "a + b")
	s := start(b, f.URL, mod)
	s.init(b)
	uri := "file:///work/big.go"
	var sb strings.Builder
	for i := range 300 {
		sb.WriteString("func helper")
		sb.WriteString(strings.Repeat("x", i%9))
		sb.WriteString("(a, b int) int {\n\treturn a*b + 1 // héllo\n}\n\n")
	}
	sb.WriteString("func add(a, b int) int {\n\treturn \n}\n")
	_ = s.c.DidOpen(uri, "go", sb.String())
	line := strings.Count(sb.String(), "\n") - 1
	params := lsptest.PositionParams(uri, line, 8)
	var list lsptest.CompletionList
	// Warm up until the answer comes from the tier under test (Redis writes are asynchronous).
	for i := 0; ; i++ {
		if err := s.c.Call(ctx(b), "textDocument/completion", params, &list); err != nil || len(list.Items) != 1 {
			b.Fatalf("warm-up: %v %+v", err, list)
		}
		if sourceCount(b, s, wantSource) > 0 {
			break
		}
		if i == 100 {
			b.Fatalf("no answer from %s after 100 warm-up requests", wantSource)
		}
		time.Sleep(10 * time.Millisecond)
	}
	calls := f.Calls.Load()
	before := sourceCount(b, s, wantSource)
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		if err := s.c.Call(ctx(b), "textDocument/completion", params, &list); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	if f.Calls.Load() != calls {
		b.Fatalf("model called during the timed loop; every timed request should be a cache hit")
	}
	if got := sourceCount(b, s, wantSource) - before; got != len(lat) {
		b.Fatalf("%d of %d timed answers came from %s", got, len(lat), wantSource)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

func sourceCount(b *testing.B, s *session, source string) int {
	var st struct {
		Completion struct {
			BySource map[string]int `json:"bySource"`
		} `json:"completion"`
	}
	if err := s.c.Call(ctx(b), "mimi/stats", nil, &st); err != nil {
		b.Fatal(err)
	}
	return st.Completion.BySource[source]
}
