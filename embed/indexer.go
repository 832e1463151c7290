package embed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/mimi-lsp/mimi-lsp/internal/secretfiles"
)

// IndexerConfig configures one workspace root's index.
type IndexerConfig struct {
	Root string // absolute path of the workspace folder
	// Dir holds the saved index; "" means DefaultDir(Root).
	Dir  string
	Walk WalkOptions
	// BatchChunks is how many chunks are embedded per EmbedDocuments round (the embedder then
	// splits them into Ollama calls); default 256.
	BatchChunks int
	Log         *slog.Logger
}

// DefaultDir is where the index of root built with an embedding model lives: the user cache
// directory, one folder per root, model and index format (vectors of two models never mix in
// one index, and two mimi-lsp versions with different formats never fight over one file).
func DefaultDir(root, model string) (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("embed: no cache directory for the index: %w", err)
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%d", filepath.Clean(root), model, formatVersion))
	return filepath.Join(base, "mimi-lsp", "index", hex.EncodeToString(sum[:8])), nil
}

// Indexer keeps one workspace root's index fresh: it walks, chunks, embeds what changed
// (through the Embedder, so unchanged text costs no embedding call even across machines) and
// saves. When another process already owns the index directory it runs read-only: it loads and
// searches what that process keeps fresh.
type Indexer struct {
	cfg    IndexerConfig
	walker *Walker
	emb    *Embedder
	ix     *Index
	claim  *WriterClaim // nil: read-only
	log    *slog.Logger

	run     chan struct{} // one Run at a time (a semaphore a cancelled caller can leave)
	sniffed sync.Map      // paths already logged as holding a credential (say it once)
}

// RunStats is what one Run did.
type RunStats struct {
	Files     int // files accepted by the walk
	Unchanged int // skipped by size and mtime (or identical content)
	Indexed   int // files (re)chunked
	Removed   int // files gone since the last run
	Chunks    int // chunks in the index afterwards
	Embedded  int // chunks sent to the model
	CacheHits int // chunk vectors from the cache or the previous index
	Calls     int // embedding calls
	Skipped   int // chunks the model rejected
	ReadOnly  bool
	Touched   int // files with a new mtime and the same content (manifest updated)
	Duration  time.Duration
}

// Changed reports whether the run changed the index (and so saved it).
func (st RunStats) Changed() bool { return st.Indexed+st.Removed+st.Touched > 0 }

// OpenIndexer loads the saved index of cfg.Root (an empty one when there is none or it is
// unreadable) and claims the directory for writing when nobody else has.
func OpenIndexer(ctx context.Context, cfg IndexerConfig, emb *Embedder) (*Indexer, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.BatchChunks <= 0 {
		cfg.BatchChunks = 256
	}
	if cfg.Dir == "" {
		d, err := DefaultDir(cfg.Root, emb.Model())
		if err != nil {
			return nil, err
		}
		cfg.Dir = d
	}
	w, err := NewWalker(cfg.Root, cfg.Walk)
	if err != nil {
		return nil, err
	}
	x := &Indexer{cfg: cfg, walker: w, emb: emb, ix: NewIndex(Options{}), log: cfg.Log, run: make(chan struct{}, 1)}
	claim, err := ClaimWriter(cfg.Dir)
	switch {
	case errors.Is(err, ErrClaimed):
		x.log.Info("index owned by another mimi-lsp process: using it read-only", "root", cfg.Root)
	case err != nil:
		return nil, err
	default:
		x.claim = claim
		// The owner alone saves: temp files left here are from a save that crashed.
		if stale, _ := filepath.Glob(filepath.Join(cfg.Dir, "index-*.tmp")); len(stale) > 0 {
			for _, f := range stale {
				_ = os.Remove(f)
			}
			x.log.Info("removed temp files of an interrupted save", "n", len(stale))
		}
	}
	switch err := x.ix.Load(ctx, cfg.Dir); {
	case err == nil, errors.Is(err, fs.ErrNotExist):
	case errors.Is(err, ErrVersion):
		x.log.Info("saved index has another format: rebuilding it", "dir", cfg.Dir, "err", err)
	default:
		x.log.Warn("saved index unreadable: rebuilding it", "dir", cfg.Dir, "err", err)
	}
	return x, nil
}

// Root is the workspace root as it was given (not resolved through symlinks: the paths the
// editor knows the files by).
func (x *Indexer) Root() string { return x.cfg.Root }

// Dir is where the index is saved.
func (x *Indexer) Dir() string { return x.cfg.Dir }

// Index is the searchable index.
func (x *Indexer) Index() *Index { return x.ix }

// Walker decides which files are indexed (also for single-file updates).
func (x *Indexer) Walker() *Walker { return x.walker }

// ReadOnly reports whether another process owns the index.
func (x *Indexer) ReadOnly() bool { return x.claim == nil }

// Close releases the claim on the index directory.
func (x *Indexer) Close() error {
	if x.claim == nil {
		return nil
	}
	return x.claim.Release()
}

// pending is a file whose chunks wait for vectors.
type pending struct {
	meta   FileMeta
	chunks []Chunk
	vecs   [][]float32
	need   []int     // indexes of chunks without a vector yet
	prep   *filePrep // ids and keyword terms, computed by the prepare worker
}

// prepared is one file's outcome of prepare, in walk order.
type prepared struct {
	p   *pending // nil: nothing to do
	st  RunStats // counts of this file
	err error
}

// runBatch is what flows from the prepare stage through embedding to the upsert stage.
type runBatch struct {
	items   []*pending
	skipped int // files with nothing to do, counted in the progress with the batch
}

// Run brings the index up to date with the files on disk and saves it. report (optional) is
// called with files done and total. A read-only indexer reloads the owner's index instead.
//
// Files are read and chunked by a few workers (results kept in walk order), embedded in
// batches on one goroutine (one embedding request at a time) and stored by another, so the
// model's latency overlaps with the CPU work; the channels between the stages are short,
// which bounds the memory in flight.
func (x *Indexer) Run(ctx context.Context, report func(done, total int)) (RunStats, error) {
	if err := x.lock(ctx); err != nil {
		return RunStats{}, err
	}
	defer x.unlock()
	return x.runLocked(ctx, report)
}

// lock takes the one-run-at-a-time semaphore, or gives up when ctx ends.
func (x *Indexer) lock(ctx context.Context) error {
	select {
	case x.run <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (x *Indexer) unlock() { <-x.run }

// writable takes the index over when its owner has exited, and reports whether this process
// owns it now. A read-only indexer's runs reload the owner's index.
func (x *Indexer) writable() bool {
	if x.claim == nil {
		if claim, err := ClaimWriter(x.cfg.Dir); err == nil {
			x.claim = claim
			x.log.Info("took over the index", "root", x.cfg.Root)
		}
	}
	return x.claim != nil
}

func (x *Indexer) runLocked(ctx context.Context, report func(done, total int)) (RunStats, error) {
	start := time.Now()
	if report == nil {
		report = func(int, int) {}
	}
	if !x.writable() {
		st := RunStats{ReadOnly: true}
		err := x.ix.Load(ctx, x.cfg.Dir)
		st.Chunks, st.Duration = x.ix.Stats().Chunks, time.Since(start)
		return st, err
	}
	st := RunStats{}
	x.walker.InvalidateIgnores()
	files, err := x.walker.Walk(ctx)
	if err != nil {
		return st, err
	}
	st.Files = len(files)
	seen := make(map[string]bool, len(files))
	for _, f := range files {
		seen[f.Path] = true
	}
	if err := x.pipeline(ctx, files, &st, report); err != nil {
		return st, err
	}
	for path := range x.ix.Files() {
		if !seen[path] {
			x.ix.Remove(path)
			st.Removed++
		}
	}
	report(len(files), len(files))
	if st.Changed() {
		x.ix.Shrink()
		if err := x.ix.Save(ctx, x.cfg.Dir); err != nil {
			return st, err
		}
	}
	st.Chunks, st.Duration = x.ix.Stats().Chunks, time.Since(start)
	x.log.Info("index updated", "root", x.cfg.Root, "files", st.Files, "indexed", st.Indexed, "unchanged", st.Unchanged,
		"removed", st.Removed, "chunks", st.Chunks, "embedded", st.Embedded, "cache_hits", st.CacheHits, "calls", st.Calls,
		"ms", st.Duration.Milliseconds())
	return st, nil
}

// pipeline prepares, embeds and stores files: prepare workers → batcher (this goroutine) →
// embedder → upserter. The first error cancels every stage.
func (x *Indexer) pipeline(ctx context.Context, files []File, st *RunStats, report func(done, total int)) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	workers := max(1, min(runtime.GOMAXPROCS(0), 4))

	// Prepare: a feeder hands files to the workers and their result channels, in walk
	// order, to the batcher; at most 2×workers files are read ahead.
	type job struct {
		f   File
		out chan prepared
	}
	jobs := make(chan job)
	order := make(chan chan prepared, 2*workers)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(order)
		defer close(jobs)
		for _, f := range files {
			out := make(chan prepared, 1)
			select {
			case order <- out:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- job{f, out}:
			case <-ctx.Done():
				return
			}
		}
	})
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				var r prepared
				r.p, r.err = x.prepare(j.f, &r.st)
				j.out <- r
			}
		})
	}

	// Embed, then upsert: one batch in each stage and one waiting between them.
	toEmbed, toStore := make(chan runBatch, 1), make(chan runBatch, 1)
	var est RunStats
	wg.Go(func() {
		defer close(toStore)
		for b := range toEmbed {
			if ctx.Err() != nil {
				continue // drain
			}
			if err := x.embedBatch(ctx, b.items, &est); err != nil {
				cancel(err)
				continue
			}
			select {
			case toStore <- b:
			case <-ctx.Done():
			}
		}
	})
	stored := make(chan struct{})
	go func() {
		defer close(stored)
		done := 0
		for b := range toStore {
			if ctx.Err() != nil {
				continue
			}
			if err := x.storeBatch(b.items); err != nil {
				cancel(err)
				continue
			}
			done += b.skipped + len(b.items)
			report(done, len(files))
		}
	}()

	var pst RunStats
	b, chunks := runBatch{}, 0
	send := func() {
		select {
		case toEmbed <- b:
		case <-ctx.Done():
		}
		b, chunks = runBatch{}, 0
	}
	for out := range order {
		var r prepared
		select {
		case r = <-out:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		pst.add(r.st)
		if r.err != nil {
			x.log.Debug("file not indexed", "err", r.err)
		}
		if r.p == nil {
			b.skipped++
			if len(b.items) == 0 && b.skipped >= 64 {
				send() // progress for a run of unchanged files
			}
			continue
		}
		b.items = append(b.items, r.p)
		chunks += len(r.p.need)
		if chunks >= x.cfg.BatchChunks {
			send()
		}
	}
	if ctx.Err() == nil && (len(b.items) > 0 || b.skipped > 0) {
		send()
	}
	close(toEmbed)
	for range order { // unblock the feeder after a cancellation
	}
	wg.Wait()
	<-stored
	pst.add(est)
	st.add(pst)
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return nil
}

// add sums the per-stage counters of a run.
func (st *RunStats) add(o RunStats) {
	st.Unchanged += o.Unchanged
	st.Indexed += o.Indexed
	st.Touched += o.Touched
	st.Embedded += o.Embedded
	st.CacheHits += o.CacheHits
	st.Calls += o.Calls
	st.Skipped += o.Skipped
}

// prepare reads and chunks f unless it is unchanged; vectors of chunks the index already has
// are reused. nil means nothing to do. Safe to run in parallel.
func (x *Indexer) prepare(f File, st *RunStats) (*pending, error) {
	old, had := x.ix.File(f.Path)
	if had && old.Size == f.Size && old.ModTime.Equal(f.ModTime) {
		st.Unchanged++
		return nil, nil
	}
	data, err := x.readBounded(f.Path, x.maxFileSize())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Path, err)
	}
	if what := secretfiles.Sniff(string(data)); what != "" {
		// Treated as a secret file: out of the index (it may be in from before), said once.
		if had {
			x.ix.Remove(f.Path)
			st.Removed++
		}
		if _, said := x.sniffed.LoadOrStore(f.Path, true); !said {
			x.log.Info("not indexed: the file holds "+what+" (nothing from it goes to a model, a cache or the index)", "path", f.Path)
		}
		return nil, nil
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:16])
	chunks := Chunks(f.Path, string(data))
	p := &pending{meta: FileMeta{Path: f.Path, Size: f.Size, ModTime: f.ModTime, Hash: hash}, chunks: chunks,
		vecs: make([][]float32, len(chunks)), prep: prepTerms(f.Path, chunks)}
	if had && old.Hash == hash {
		st.Unchanged++ // touched, not changed: keep its vectors, record the new mtime
		st.Touched++
	} else {
		st.Indexed++
	}
	p.meta.ChunkIDs = p.prep.ids
	for i := range chunks {
		if v, ok := x.ix.Vector(f.Path, p.prep.ids[i]); ok {
			p.vecs[i] = v
			st.CacheHits++
			continue
		}
		p.need = append(p.need, i)
	}
	return p, nil
}

// embedBatch embeds the chunks the batch's files still need.
func (x *Indexer) embedBatch(ctx context.Context, batch []*pending, st *RunStats) error {
	var want []Chunk
	for _, p := range batch {
		for _, i := range p.need {
			want = append(want, p.chunks[i])
		}
	}
	if len(want) == 0 {
		return encodeVectors(batch)
	}
	vecs, es, err := x.emb.EmbedDocuments(ctx, want)
	if err != nil {
		return fmt.Errorf("embedding %d chunks: %w", len(want), err)
	}
	st.Embedded += es.Inputs
	st.CacheHits += es.CacheHits
	st.Calls += es.Calls
	st.Skipped += len(es.Skipped)
	k := 0
	for _, p := range batch {
		for _, i := range p.need {
			p.vecs[i] = vecs[k]
			k++
		}
	}
	return encodeVectors(batch)
}

// encodeVectors normalises and quantises a batch's vectors on the embedding stage, so the
// store stage (which holds the index's write lock) only inserts.
func encodeVectors(batch []*pending) error {
	for _, p := range batch {
		if err := p.prep.setVectors(p.meta.Path, p.vecs); err != nil {
			return fmt.Errorf("index %s: %w", p.meta.Path, err)
		}
		p.vecs = nil // float32 copies are garbage from here
	}
	return nil
}

// storeBatch stores the batch's files; a chunk the model rejected keeps a nil vector: still
// found by keyword search.
func (x *Indexer) storeBatch(batch []*pending) error {
	for _, p := range batch {
		if err := x.ix.upsertPrepared(p.meta, p.chunks, p.prep); err != nil {
			return fmt.Errorf("index %s: %w", p.meta.Path, err)
		}
	}
	return nil
}

// Search ranks the index for a query: keyword and vector (when the query embeds) fused. Hits
// carry their chunk's text, read back from the file (see withTexts).
func (x *Indexer) Search(ctx context.Context, query string, limit int) ([]Hit, error) {
	// The query's embedding waits behind document batches while indexing runs: give it a short
	// budget and fall back to keyword search.
	qctx, cancel := context.WithTimeout(ctx, queryEmbedBudget)
	qv, err := x.emb.EmbedQuery(qctx, query)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		x.log.Debug("query not embedded: keyword search only", "err", err)
		qv = nil
	}
	return x.withTexts(ctx, x.ix.Search(ctx, query, qv, limit+staleRoom(limit)), limit), nil
}

// queryEmbedBudget bounds how long a search waits for its query's embedding.
const queryEmbedBudget = 2 * time.Second

func (x *Indexer) maxFileSize() int64 {
	if x.cfg.Walk.MaxFileSize > 0 {
		return x.cfg.Walk.MaxFileSize
	}
	return DefaultMaxFileSize
}

// readBounded reads an indexed file through the walk's rules (Walker.Open: what was checked
// is what is read; no FIFO, no link re-pointed since) that must not exceed max bytes (it may
// have grown since the walk).
func (x *Indexer) readBounded(rel string, max int64) ([]byte, error) {
	f, err := x.walker.Open(rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s grew past %d bytes", rel, max)
	}
	return data, nil
}
