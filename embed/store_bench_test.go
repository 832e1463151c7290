package embed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	benchChunks  = 100_000
	benchDims    = 768
	benchPerFile = 10
)

var benchWords = strings.Fields("get set parse read write open close user file cache token request response " +
	"server client handler config index search chunk vector query buffer stream error context " +
	"json http sql lock map list node tree graph path name value key item batch job task worker")

// benchIdent makes a synthetic camelCase identifier.
func benchIdent(r *rand.Rand) string {
	var b strings.Builder
	for i := range 2 + r.IntN(2) {
		w := benchWords[r.IntN(len(benchWords))]
		if i > 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		}
		b.WriteString(w)
	}
	fmt.Fprintf(&b, "%d", r.IntN(100))
	return b.String()
}

func benchVector(r *rand.Rand, dims int) []float32 {
	v := make([]float32, dims)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// buildBenchIndex makes benchChunks chunks of benchDims random vectors and synthetic code.
func buildBenchIndex(tb testing.TB) *Index {
	tb.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	ix := NewIndex(Options{})
	for f := range benchChunks / benchPerFile {
		cs := make([]Chunk, benchPerFile)
		vs := make([][]float32, benchPerFile)
		for i := range cs {
			name := benchIdent(r)
			cs[i] = Chunk{Kind: "func", Name: name, StartLine: i * 20, EndLine: i*20 + 15,
				Text: fmt.Sprintf("func %s(%s string) error { return %s(%s) }", name, benchIdent(r), benchIdent(r), benchIdent(r))}
			vs[i] = benchVector(r, benchDims)
		}
		if err := ix.Upsert(fmt.Sprintf("pkg%d/file%d.go", f/50, f), cs, vs); err != nil {
			tb.Fatal(err)
		}
	}
	return ix
}

func heapInUseMB() float64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapInuse) / (1 << 20)
}

// procStatusMB reads a memory line of /proc/self/status ("VmRSS", "VmHWM") in MB; 0 when the
// system has no /proc.
func procStatusMB(key string) float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, key+":"); ok {
			var kb float64
			fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), &kb)
			return kb / 1024
		}
	}
	return 0
}

// rssMB is the process's resident memory after giving freed memory back to the system.
func rssMB() float64 {
	debug.FreeOSMemory()
	return procStatusMB("VmRSS")
}

// BenchmarkSearch100k: hybrid searches over 100k chunks × 768 dims; reports p50/p99 and the
// heap in use with the index built.
func BenchmarkSearch100k(b *testing.B) {
	base := heapInUseMB()
	ix := buildBenchIndex(b)
	heap := heapInUseMB() - base
	rss := rssMB() // the whole test process with the index built
	r := rand.New(rand.NewPCG(3, 4))
	ctx := context.Background()
	modes := []struct {
		name       string
		text, vect bool
	}{{"hybrid", true, true}, {"vector", false, true}, {"keyword", true, false}}
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				text := ""
				var vec []float32
				if m.text {
					text = benchIdent(r) + " " + benchIdent(r) + " parse request"
				}
				if m.vect {
					vec = benchVector(r, benchDims)
				}
				st := time.Now()
				hits := ix.Search(ctx, text, vec, 10)
				lat = append(lat, time.Since(st))
				if len(hits) == 0 {
					b.Fatal("no hits")
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(heap, "heap-MB")
			b.ReportMetric(rss, "rss-MB")
		})
	}
	runtime.KeepAlive(ix)
}

// BenchmarkLoad loads a saved 100k × 768 index.
func BenchmarkLoad(b *testing.B) {
	ix := buildBenchIndex(b)
	dir := b.TempDir()
	if err := ix.Save(context.Background(), dir); err != nil {
		b.Fatal(err)
	}
	ix = nil
	size := fileSize(b, dir)
	for b.Loop() {
		nx := NewIndex(Options{})
		if err := nx.Load(context.Background(), dir); err != nil {
			b.Fatal(err)
		}
		if nx.Stats().Chunks != benchChunks {
			b.Fatal("wrong size")
		}
	}
	b.ReportMetric(float64(size)/(1<<20), "file-MB")
}

func fileSize(tb testing.TB, dir string) int64 {
	tb.Helper()
	st, err := os.Stat(filepath.Join(dir, indexFile))
	if err != nil {
		tb.Fatal(err)
	}
	return st.Size()
}
