package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/embed"
	"github.com/mimi-lsp/mimi-lsp/internal/secretfiles"
	"github.com/mimi-lsp/mimi-lsp/internal/wiring"
)

// openIndexer opens DIR's index with the configured embedding model, Ollama and cache.
func openIndexer(ctx context.Context, cfg config.Config, dir string, log *slog.Logger) (*embed.Indexer, *wiring.Wiring, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, err
	}
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		return nil, nil, fmt.Errorf("%s is not a directory", dir)
	}
	w := wiring.New(cfg, log)
	sched, err := w.Scheduler(cfg)
	if err != nil {
		return nil, w, err
	}
	tier, err := w.Tier(cfg)
	if err != nil {
		return nil, w, err
	}
	emb, err := embed.NewEmbedder(sched, tier, embed.EmbedderConfig{Model: cfg.EmbedModel, KeepAlive: cfg.KeepAlive, Log: log})
	if err != nil {
		return nil, w, err
	}
	deny, err := secretfiles.New(secretfiles.Split(cfg.SecretFiles))
	if err != nil {
		return nil, w, err
	}
	var ignore []string
	for _, p := range strings.Split(cfg.IndexIgnore, ",") {
		if p = strings.TrimSpace(p); p != "" {
			ignore = append(ignore, p)
		}
	}
	x, err := embed.OpenIndexer(ctx, embed.IndexerConfig{Root: root, Log: log,
		Walk: embed.WalkOptions{Ignore: ignore, Secrets: deny, MaxFileSize: cfg.IndexMaxFileSize}}, emb)
	return x, w, err
}

// indexCmd indexes DIR with a progress bar and prints what it did.
func indexCmd(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer, log *slog.Logger) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: mimi-lsp index [flags] DIR")
		return 2
	}
	x, w, err := openIndexer(ctx, cfg, args[0], log)
	if w != nil {
		defer w.Close(time.Second)
	}
	if err != nil {
		fmt.Fprintf(stderr, "mimi-lsp index: %v\n", err)
		return 1
	}
	defer x.Close()
	bar := progressbar.NewOptions(-1, progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription("indexing"),
		progressbar.OptionShowCount(), progressbar.OptionSetItsString("files"), progressbar.OptionThrottle(100*time.Millisecond))
	st, err := x.Run(ctx, func(done, total int) {
		bar.ChangeMax(total)
		_ = bar.Set(done)
	})
	_ = bar.Finish()
	fmt.Fprintln(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "mimi-lsp index: %v\n", err)
		return 1
	}
	ixs := x.Index().Stats()
	size := int64(0)
	if fi, err := os.Stat(filepath.Join(x.Dir(), "index.bin")); err == nil {
		size = fi.Size()
	}
	fmt.Fprintf(stdout, "files %d (indexed %d, unchanged %d, removed %d)\nchunks %d\nembedding calls %d, chunks embedded %d, from cache %d, rejected %d\ntime %s\nindex %d bytes on disk, %d in memory\n",
		st.Files, st.Indexed, st.Unchanged, st.Removed, st.Chunks, st.Calls, st.Embedded, st.CacheHits, st.Skipped,
		st.Duration.Round(time.Millisecond), size, ixs.Bytes)
	if st.ReadOnly {
		fmt.Fprintln(stdout, "(read-only: another mimi-lsp process owns this index and keeps it fresh)")
	}
	return 0
}

// searchCmd prints ranked hits for a query over DIR's index (indexing what changed first).
func searchCmd(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer, log *slog.Logger) int {
	if len(args) < 2 {
		fmt.Fprintln(stderr, "usage: mimi-lsp search [flags] DIR QUERY…")
		return 2
	}
	x, w, err := openIndexer(ctx, cfg, args[0], log)
	if w != nil {
		defer w.Close(time.Second)
	}
	if err != nil {
		fmt.Fprintf(stderr, "mimi-lsp search: %v\n", err)
		return 1
	}
	defer x.Close()
	if _, err := x.Run(ctx, nil); err != nil {
		fmt.Fprintf(stderr, "mimi-lsp search: indexing: %v\n", err)
		return 1
	}
	start := time.Now()
	hits, err := x.Search(ctx, strings.Join(args[1:], " "), 10)
	if err != nil {
		fmt.Fprintf(stderr, "mimi-lsp search: %v\n", err)
		return 1
	}
	for i, h := range hits {
		first, _, _ := strings.Cut(strings.TrimSpace(h.Chunk.Text), "\n")
		fmt.Fprintf(stdout, "%2d. %s:%d-%d  %.4f  %s\n", i+1, h.Chunk.Path, h.Chunk.StartLine+1, h.Chunk.EndLine+1, h.Score, first)
	}
	fmt.Fprintf(stderr, "%d hits in %s\n", len(hits), time.Since(start).Round(time.Microsecond))
	return 0
}
