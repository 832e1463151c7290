package lsp_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/internal/lsptest"
)

// BenchmarkCompletionCacheHit measures one textDocument/completion answered from the memory
// cache: client encode → pipe → server decode, snapshot, position mapping, prompt + key,
// cache lookup, item building → pipe → client decode. It reports p50/p99 besides the mean.
func BenchmarkCompletionCacheHit(b *testing.B) {
	f := newFake(b, "a + b")
	s := start(b, f.URL, nil)
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
	if err := s.c.Call(ctx(b), "textDocument/completion", params, &list); err != nil || len(list.Items) != 1 {
		b.Fatalf("warm-up: %v %+v", err, list)
	}
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
	if f.Calls.Load() != 1 {
		b.Fatalf("model called %d times; every timed request should be a cache hit", f.Calls.Load())
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
