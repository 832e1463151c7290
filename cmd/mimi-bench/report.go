package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/mimi-lsp/mimi-lsp/embed"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/fakeembed"
)

// `mimi-bench report` prints one report of the figures the project tracks, measured in one
// run on this machine: cache-hit round trips against a bare LSP server, the typing replay,
// and workspace indexing (throughput and search latency).

type indexResult struct {
	Files, Chunks            int
	FilesPerSec, ChunksPerSe float64
	SearchP50, SearchP99     float64 // ms
}

// indexBench indexes dir (Go's own source by default) with a fake embedder that answers at
// once (the CPU side: walk, chunk, index, save), then times searches on it.
func indexBench(ctx context.Context, dir string) (*indexResult, error) {
	tmp, err := os.MkdirTemp("", "mimi-bench-index-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	emb, err := embed.NewEmbedder(&fakeembed.Backend{}, nil, embed.EmbedderConfig{Model: "nomic-embed-text", BatchSize: 32})
	if err != nil {
		return nil, err
	}
	x, err := embed.OpenIndexer(ctx, embed.IndexerConfig{Root: dir, Dir: tmp}, emb)
	if err != nil {
		return nil, err
	}
	defer x.Close()
	start := time.Now()
	st, err := x.Run(ctx, nil)
	if err != nil {
		return nil, err
	}
	took := time.Since(start).Seconds()
	var lat []time.Duration
	for _, q := range []string{"parse a Go source file into an AST", "ReadFile", "http server handler timeout",
		"utf8 decode rune", "sort slice of strings", "json Unmarshal struct field tags", "mutex lock unlock",
		"token position line column", "gzip writer flush", "TLS handshake certificate verify"} {
		for range 20 {
			t0 := time.Now()
			if _, err := x.Search(ctx, q, 10); err != nil {
				return nil, err
			}
			lat = append(lat, time.Since(t0))
		}
	}
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return &indexResult{Files: st.Files, Chunks: st.Chunks, FilesPerSec: float64(st.Files) / took, ChunksPerSe: float64(st.Chunks) / took,
		SearchP50: ms(lat[len(lat)/2]), SearchP99: ms(lat[len(lat)*99/100])}, nil
}

// runReport runs every part and prints the report.
func runReport(ctx context.Context, o options, rounds, batch int, w io.Writer) error {
	host, _ := os.Hostname()
	fmt.Fprintf(w, "mimi-bench report — %s, %s/%s, %d CPUs, %s, %s\n\n", host, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(),
		runtime.Version(), time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	if err := runHit(ctx, o, rounds, batch, w); err != nil {
		return fmt.Errorf("hit: %w", err)
	}
	fmt.Fprintln(w)
	rep, err := run(ctx, o, io.Discard)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	fmt.Fprintf(w, "typing replay: %d functions, a key every %s, %s", rep.Functions, o.delay, o.modelTiming())
	if o.backend == "fake" {
		fmt.Fprintf(w, ", %.0f%% wrong", 100*o.wrong)
	}
	if len(o.extraEnv) > 0 {
		fmt.Fprintf(w, ", server %s", strings.Join(o.extraEnv, " "))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  keystrokes                      %d (and %d requests right after an accept)\n", rep.Keystrokes, rep.AfterAccept)
	fmt.Fprintf(w, "  model calls                     %d: %.1f / 100 keystrokes, %.1f / 100 characters of code written (%d)\n",
		rep.ModelCalls, rep.CallsPer100Keys, rep.CallsPer100Code, rep.CodeChars)
	fmt.Fprintf(w, "  answered p50 / p95 / p99        %.1f / %.1f / %.1f ms\n", rep.P50, rep.P95, rep.P99)
	fmt.Fprintf(w, "  accepted                        %d suggestions, %d chars (server: %d shown, %d accepted)\n",
		rep.Accepted, rep.AcceptedChars, rep.ServerShown, rep.ServerAccepted)
	fmt.Fprintf(w, "  server RSS                      %d KiB (peak %d KiB)\n\n", rep.RSSKiB, rep.PeakKiB)
	ix, err := indexBench(ctx, o.src)
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	fmt.Fprintf(w, "workspace index of %s (CPU side: the embedder answers at once)\n", filepath.Base(filepath.Dir(o.src))+"/"+filepath.Base(o.src))
	fmt.Fprintf(w, "  %d files, %d chunks: %.0f files/s, %.0f chunks/s\n", ix.Files, ix.Chunks, ix.FilesPerSec, ix.ChunksPerSe)
	fmt.Fprintf(w, "  search p50 / p99                %.2f / %.2f ms\n", ix.SearchP50, ix.SearchP99)
	return nil
}

// modelTiming describes the model the replay asks.
func (o options) modelTiming() string {
	if o.backend != "fake" {
		return "Ollama at " + o.ollamaHost
	}
	if o.perToken > 0 {
		return fmt.Sprintf("fake model %s + %s/token", o.firstToken, o.perToken)
	}
	return fmt.Sprintf("fake model p50 %s / p99 %s", o.p50, o.p99)
}
