package embed

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/internal/testenv/fakeembed"
)

// gorootQueries are searches a user of Go's source might make.
var gorootQueries = []string{"parse a Go source file into an AST", "ReadFile", "http server handler timeout",
	"utf8 decode rune", "sort slice of strings", "json Unmarshal struct field tags", "mutex lock unlock",
	"token position line column", "gzip writer flush", "TLS handshake certificate verify"}

// BenchmarkIndexGoroot indexes Go's own source tree with a fake embedder (5 ms a call, and 0
// for the CPU side alone), then reopens it with nothing changed. Run with -benchtime 1x; it
// reports files/s and chunks/s of
// the first run (CPU side: walk, chunk, fake embed, index, save), calls and batch size, heap,
// index size, search p50/p99 at this size (query embedding through the fake, hit texts read
// back from the files), and the reopen time with its embedding calls (want 0).
func BenchmarkIndexGoroot(b *testing.B) {
	b.Run("5ms", func(b *testing.B) { benchIndexGoroot(b, 5*time.Millisecond) })
	b.Run("cpu", func(b *testing.B) { benchIndexGoroot(b, 0) }) // the CPU side alone
}

func benchIndexGoroot(b *testing.B, latency time.Duration) {
	root := filepath.Join(runtime.GOROOT(), "src")
	if _, err := os.Stat(root); err != nil {
		b.Skip("no GOROOT/src")
	}
	for b.Loop() {
		dir := b.TempDir()
		back := &fakeembed.Backend{Latency: latency}
		emb, err := NewEmbedder(back, nil, EmbedderConfig{Model: "nomic-embed-text", BatchSize: 32})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		x, err := OpenIndexer(ctx, IndexerConfig{Root: root, Dir: dir}, emb)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		st, err := x.Run(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		first := time.Since(start)
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		fi, _ := os.Stat(filepath.Join(dir, indexFile))
		var lat []time.Duration // searches at this size, texts read back from the files
		for _, q := range gorootQueries {
			for range 20 {
				st := time.Now()
				if _, err := x.Search(ctx, q, 10); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(st))
			}
		}
		slices.Sort(lat)
		_ = x.Close()
		calls := back.Calls.Load()

		start = time.Now()
		y, err := OpenIndexer(ctx, IndexerConfig{Root: root, Dir: dir}, emb)
		if err != nil {
			b.Fatal(err)
		}
		st2, err := y.Run(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		reopen := time.Since(start)
		_ = y.Close()

		b.ReportMetric(float64(st.Files)/first.Seconds(), "files/s")
		b.ReportMetric(float64(st.Chunks)/first.Seconds(), "chunks/s")
		b.ReportMetric(float64(st.Chunks), "chunks")
		b.ReportMetric(float64(calls), "embed-calls")
		b.ReportMetric(float64(back.Inputs.Load())/float64(max(calls, 1)), "batch")
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
		b.ReportMetric(procStatusMB("VmHWM"), "peak-rss-MB")
		b.ReportMetric(float64(fi.Size())/(1<<20), "index-MB")
		b.ReportMetric(reopen.Seconds(), "reopen-s")
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "search-p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "search-p99-ms")
		b.ReportMetric(float64(back.Calls.Load()-calls+int64(st2.Embedded)), "reopen-embeds")
	}
}
