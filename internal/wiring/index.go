package wiring

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mimi-lsp/mimi-lsp/cache"
	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/embed"
	"github.com/mimi-lsp/mimi-lsp/internal/secretfiles"
	"github.com/mimi-lsp/mimi-lsp/lsp"
)

// rootIndex is the process's indexer of one workspace root, with the scheduler and cache tier
// it embeds through (held until it is replaced or the process ends).
type rootIndex struct {
	key   string // what it was opened with: a session asking with other settings replaces it
	x     *embed.Indexer
	sched *schedRef
	tier  *tierRef
	cfg   config.Config
}

// indexer returns the process's indexer of root (one per root, shared by the sessions on it),
// opening it on first use and replacing it when the settings that shape it changed (embedding
// model, Ollama, cache, ignore rules, secret globs, size limit).
func (w *Wiring) indexer(ctx context.Context, root string, cfg config.Config) (*embed.Indexer, error) {
	root = filepath.Clean(root)
	host, _ := config.NormalizeHost(cfg.OllamaHost)
	key := strings.Join([]string{cfg.EmbedModel, host, cfg.RedisURL, cfg.RedisNamespace, cfg.IndexIgnore, cfg.SecretFiles,
		fmt.Sprint(cfg.IndexMaxFileSize), cache.Key("cacheSecret", cfg.CacheSecret)}, "|")
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil, errClosed
	}
	old := w.indexers[root]
	if old != nil && old.key == key {
		w.mu.Unlock()
		return old.x, nil
	}
	delete(w.indexers, root)
	w.mu.Unlock()
	if old != nil { // release its claim first: flock is per open file, even within one process
		w.closeRootIndex(old)
	}
	sched, err := w.acquireScheduler(cfg)
	if err != nil {
		return nil, err
	}
	tier, err := w.acquireTier(cfg)
	if err != nil {
		w.releaseScheduler(sched, lingerFor(cfg))
		return nil, err
	}
	ri := &rootIndex{key: key, sched: sched, tier: tier, cfg: cfg}
	fail := func(err error) (*embed.Indexer, error) {
		w.closeRootIndex(ri)
		return nil, err
	}
	emb, err := embed.NewEmbedder(sched.v, tier.v, embed.EmbedderConfig{Model: cfg.EmbedModel, KeepAlive: cfg.KeepAlive, Log: w.log})
	if err != nil {
		return fail(err)
	}
	deny, err := secretfiles.New(secretfiles.Split(cfg.SecretFiles))
	if err != nil {
		return fail(err)
	}
	ri.x, err = embed.OpenIndexer(ctx, embed.IndexerConfig{Root: root, Log: w.log,
		Walk: embed.WalkOptions{Ignore: splitList(cfg.IndexIgnore), Secrets: deny, MaxFileSize: cfg.IndexMaxFileSize}}, emb)
	if err != nil {
		return fail(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if other := w.indexers[root]; other != nil || w.closed { // opened meanwhile by another session
		go w.closeRootIndex(ri)
		if other == nil {
			return nil, errClosed
		}
		return other.x, nil
	}
	w.indexers[root] = ri
	return ri.x, nil
}

// closeRootIndex releases an indexer's claim and references.
func (w *Wiring) closeRootIndex(ri *rootIndex) {
	if ri.x != nil {
		_ = ri.x.Close()
	}
	w.releaseTier(ri.tier, lingerFor(ri.cfg))
	w.releaseScheduler(ri.sched, lingerFor(ri.cfg))
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

// IndexWorkspace implements lsp.Indexer: each root in turn.
func (s *Session) IndexWorkspace(ctx context.Context, roots []string, report func(lsp.IndexProgress)) (lsp.IndexSummary, error) {
	s.mu.Lock()
	cfg := s.cfg
	s.mu.Unlock()
	var sum lsp.IndexSummary
	if !cfg.Indexing {
		return sum, nil
	}
	var errs []error
	changed := false
	for _, root := range roots {
		x, err := s.w.indexer(ctx, root, cfg)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", root, err))
			continue
		}
		s.mu.Lock()
		s.indexers[filepath.Clean(root)] = x
		s.mu.Unlock()
		run := s.w.metrics.IndexRun()
		st, err := x.Run(ctx, func(done, total int) {
			run.Progress(done, total)
			report(lsp.IndexProgress{Done: done, Total: total})
		})
		run.End()
		sum.Files += st.Files
		sum.Chunks += st.Chunks
		sum.Embedded += st.Embedded
		sum.CacheHits += st.CacheHits
		changed = changed || st.Changed()
		if err != nil {
			if ctx.Err() != nil {
				return sum, ctx.Err()
			}
			errs = append(errs, fmt.Errorf("%s: %w", root, err))
		}
	}
	s.mu.Lock()
	for r := range s.indexers { // folders no longer in the workspace leave the search
		if !slices.ContainsFunc(roots, func(x string) bool { return filepath.Clean(x) == r }) {
			delete(s.indexers, r)
			changed = true
		}
	}
	s.mu.Unlock()
	if changed {
		s.retr.forget() // snippets computed before are stale now
	}
	return sum, errors.Join(errs...)
}

// Search implements lsp.Indexer over every indexed root of the session.
func (s *Session) Search(ctx context.Context, query string, limit int) ([]lsp.SearchResult, error) {
	xs := s.indexerList()
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
			out = append(out, lsp.SearchResult{File: filepath.Join(x.Root(), filepath.FromSlash(h.Chunk.Path)),
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

// UpdateFiles implements lsp.Indexer: each indexed root updates the paths under it (a path
// under no root is ignored).
func (s *Session) UpdateFiles(ctx context.Context, paths []string) error {
	var errs []error
	changed := false
	for _, x := range s.indexerList() {
		var mine []string
		for _, p := range paths {
			if _, ok := x.Walker().Rel(p); ok {
				mine = append(mine, p)
			}
		}
		if len(mine) == 0 {
			continue
		}
		st, err := x.Update(ctx, mine)
		changed = changed || st.Changed()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", x.Walker().Root(), err))
		}
	}
	if changed {
		s.retr.forget() // snippets computed before may quote the old text
	}
	return errors.Join(errs...)
}

var _ lsp.Indexer = (*Session)(nil)

// indexerList is the session's indexers (one per root).
func (s *Session) indexerList() []*embed.Indexer {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*embed.Indexer, 0, len(s.indexers))
	for _, x := range s.indexers {
		out = append(out, x)
	}
	return out
}
