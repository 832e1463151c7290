package wiring

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/embed"
	"github.com/mimi-lsp/mimi-lsp/internal/secretfiles"
	"github.com/mimi-lsp/mimi-lsp/lsp"
)

// indexer returns the process's indexer of root for cfg (one per root: several sessions on one
// workspace share it), opening it on first use.
func (w *Wiring) indexer(ctx context.Context, root string, cfg config.Config, s *Session) (*embed.Indexer, error) {
	key := filepath.Clean(root) + "|" + cfg.EmbedModel + "|" + cfg.IndexIgnore + "|" + cfg.SecretFiles + "|" + fmt.Sprint(cfg.IndexMaxFileSize)
	w.mu.Lock()
	if x, ok := w.indexers[key]; ok {
		w.mu.Unlock()
		return x, nil
	}
	closed := w.closed
	w.mu.Unlock()
	if closed {
		return nil, errClosed
	}
	s.mu.Lock()
	sched, tier := s.sched.s, s.tier.t
	s.mu.Unlock()
	emb, err := embed.NewEmbedder(sched, tier, embed.EmbedderConfig{Model: cfg.EmbedModel, KeepAlive: cfg.KeepAlive, Log: w.log})
	if err != nil {
		return nil, err
	}
	deny, err := secretfiles.New(secretfiles.Split(cfg.SecretFiles))
	if err != nil {
		return nil, err
	}
	x, err := embed.OpenIndexer(ctx, embed.IndexerConfig{Root: root, Log: w.log,
		Walk: embed.WalkOptions{Ignore: splitList(cfg.IndexIgnore), Secrets: deny, MaxFileSize: cfg.IndexMaxFileSize}}, emb)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if other, ok := w.indexers[key]; ok { // opened meanwhile by another session
		_ = x.Close()
		return other, nil
	}
	if w.closed {
		_ = x.Close()
		return nil, errClosed
	}
	w.indexers[key] = x
	return x, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// IndexWorkspace implements lsp.Indexer: each root in turn, progress over all files.
func (s *Session) IndexWorkspace(ctx context.Context, roots []string, report func(lsp.IndexProgress)) (lsp.IndexSummary, error) {
	s.mu.Lock()
	cfg := s.cfg
	s.mu.Unlock()
	var sum lsp.IndexSummary
	if !cfg.Indexing {
		return sum, nil
	}
	var errs []error
	for i, root := range roots {
		x, err := s.w.indexer(ctx, root, cfg, s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", root, err))
			continue
		}
		s.mu.Lock()
		if !slices.Contains(s.indexers, x) {
			s.indexers = append(s.indexers, x)
		}
		s.mu.Unlock()
		st, err := x.Run(ctx, func(done, total int) {
			// Folders are reported one after another: scale each folder's share.
			report(lsp.IndexProgress{Done: i*1000 + done*1000/max(total, 1), Total: len(roots) * 1000})
		})
		sum.Files += st.Files
		sum.Chunks += st.Chunks
		sum.Embedded += st.Embedded
		sum.CacheHits += st.CacheHits
		if err != nil {
			if ctx.Err() != nil {
				return sum, ctx.Err()
			}
			errs = append(errs, fmt.Errorf("%s: %w", root, err))
		}
	}
	s.retr.forget() // snippets computed before are stale now
	return sum, errors.Join(errs...)
}

// Search implements lsp.Indexer over every indexed root of the session.
func (s *Session) Search(ctx context.Context, query string, limit int) ([]lsp.SearchResult, error) {
	s.mu.Lock()
	xs := slices.Clone(s.indexers)
	s.mu.Unlock()
	if len(xs) == 0 {
		return nil, errors.New("the workspace is not indexed (yet)")
	}
	var out []lsp.SearchResult
	for _, x := range xs {
		hits, err := x.Search(ctx, query, limit)
		if err != nil {
			return nil, err
		}
		for _, h := range hits {
			out = append(out, lsp.SearchResult{File: filepath.Join(x.Walker().Root(), filepath.FromSlash(h.Chunk.Path)),
				StartLine: h.Chunk.StartLine, EndLine: h.Chunk.EndLine, Score: h.Score, Snippet: h.Chunk.Text})
		}
	}
	slices.SortStableFunc(out, func(a, b lsp.SearchResult) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

var _ lsp.Indexer = (*Session)(nil)
