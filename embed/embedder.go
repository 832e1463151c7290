package embed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"github.com/mimi-lsp/mimi-lsp/cache"
	"github.com/mimi-lsp/mimi-lsp/model"
)

// EmbedBackend embeds one batch of inputs in one call (*model.Scheduler satisfies it: each
// call is admitted on its own at the lowest priority, so completions go between batches).
type EmbedBackend interface {
	Embed(ctx context.Context, modelName string, inputs []string, keepAlive time.Duration) ([][]float32, error)
}

// Cache is the part of the cache tiers the embedder uses (*cache.Tiered satisfies it).
type Cache interface {
	GetTier(ctx context.Context, kind cache.Kind, key string) ([]byte, string, error)
	Set(ctx context.Context, kind cache.Kind, key string, val []byte) error
}

// EmbedderConfig configures an Embedder; zero values take the defaults.
type EmbedderConfig struct {
	Model      string // Ollama model name, e.g. "nomic-embed-text" (required)
	BatchSize  int    // inputs per call; default 16
	BatchBytes int    // bytes of input per call (one longer input still goes alone); default 64 KiB
	// ContextTokens overrides the model family's context (nomic-embed-text: 2048); inputs are
	// cut to ContextTokens×3 bytes, task prefix included.
	ContextTokens int
	// Dims, when set, is the dimension every vector must have; 0 learns it from the model.
	Dims      int
	KeepAlive time.Duration // passed to Ollama; 0 = its default
	Log       *slog.Logger
}

const (
	defaultBatchSize  = 16
	defaultBatchBytes = 64 << 10
	// embedKeyVersion is in every embedding cache key: bump it when what is sent for a text
	// changes in a way the sent text itself does not show.
	embedKeyVersion = "embed/v1"
)

// ErrDimensionChanged: the model answered with vectors of another dimension than earlier in
// the run (or than EmbedderConfig.Dims): the model behind the name changed.
var ErrDimensionChanged = errors.New("embedding dimension changed")

// errBadVector marks a vector from the model that cannot be used (empty, NaN or Inf).
var errBadVector = errors.New("model returned an unusable vector")

// Embedder turns chunks and queries into vectors: cached by (model, prefix version, text
// sent), misses sent in batches through the backend. It is safe for concurrent use.
type Embedder struct {
	b       EmbedBackend
	c       Cache // nil: no caching
	cfg     EmbedderConfig
	fam     embedFamily
	model   string // canonical name, for cache keys
	maxIn   int    // bytes per input, prefix included
	lastDim atomic.Int64
}

// NewEmbedder builds an Embedder; c may be nil (no caching).
func NewEmbedder(b EmbedBackend, c Cache, cfg EmbedderConfig) (*Embedder, error) {
	if b == nil {
		return nil, errors.New("embedder: no backend")
	}
	if cfg.Model == "" {
		return nil, errors.New("embedder: no embedding model configured")
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = defaultBatchSize
	}
	if cfg.BatchBytes <= 0 {
		cfg.BatchBytes = defaultBatchBytes
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	fam := familyOf(cfg.Model)
	if cfg.ContextTokens > 0 {
		fam.contextTokens = cfg.ContextTokens
	}
	maxIn := fam.contextTokens * bytesPerToken
	if maxIn <= len(fam.docPrefix) || maxIn <= len(fam.queryPrefix) {
		return nil, fmt.Errorf("embedder: context of %d tokens leaves no room for text", fam.contextTokens)
	}
	return &Embedder{b: b, c: c, cfg: cfg, fam: fam, model: canonicalModel(cfg.Model), maxIn: maxIn}, nil
}

// Model returns the embedding model name.
func (e *Embedder) Model() string { return e.cfg.Model }

// Stats describes one EmbedDocuments run.
type Stats struct {
	Chunks    int   // chunks asked for
	CacheHits int   // chunks answered from the cache
	Calls     int   // embedding calls (batches, and single-item retries)
	Inputs    int   // inputs sent to the model (over all calls)
	Bytes     int64 // bytes of input sent
	Dims      int   // the vectors' dimension (0 when there were none)
	Skipped   []SkippedChunk
}

// SkippedChunk is a chunk the model refused (its vector is nil).
type SkippedChunk struct {
	Index int // in the chunks given
	ID    string
	Path  string
	Err   error
}

// document and query are the texts sent for a chunk and a query: prefix + text, cut to fit.
func (e *Embedder) document(text string) string {
	return truncateUTF8(e.fam.docPrefix+text, e.maxIn)
}

func (e *Embedder) query(text string) string {
	return truncateUTF8(e.fam.queryPrefix+text, e.maxIn)
}

// key is the cache key of a sent text.
func (e *Embedder) key(sent string) string {
	return cache.Key(embedKeyVersion, e.model, e.fam.name, sent)
}

// lookup returns a usable cached vector for key, or nil. Redis is shared and untrusted:
// undecodable, empty, non-finite or not unit-length vectors are misses.
func (e *Embedder) lookup(ctx context.Context, key string) []float32 {
	if e.c == nil {
		return nil
	}
	b, tier, err := e.c.GetTier(ctx, cache.KindEmbedding, key)
	if err != nil || tier == "" {
		return nil
	}
	v, err := cache.DecodeFloat32s(b)
	if err != nil || !usable(v) || !unitLength(v) {
		e.cfg.Log.Debug("cached embedding rejected", "tier", tier, "bytes", len(b))
		return nil
	}
	return v
}

// store writes a vector to the cache (failures are logged: the vector is still used).
func (e *Embedder) store(ctx context.Context, key string, v []float32) {
	if e.c == nil {
		return
	}
	if err := e.c.Set(ctx, cache.KindEmbedding, key, cache.EncodeFloat32s(v)); err != nil {
		e.cfg.Log.Debug("embedding not cached", "err", err)
	}
}

// usable: non-empty and finite.
func usable(v []float32) bool {
	if len(v) == 0 {
		return false
	}
	for _, f := range v {
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			return false
		}
	}
	return true
}

// unitLength: Ollama's /api/embed returns L2-normalised vectors, so a cached one that is not
// was not written by us.
func unitLength(v []float32) bool {
	var s float64
	for _, f := range v {
		s += float64(f) * float64(f)
	}
	return math.Abs(s-1) < 1e-3
}

// EmbedQuery embeds a search query (with the family's query prefix), from the cache when it
// can.
func (e *Embedder) EmbedQuery(ctx context.Context, text string) ([]float32, error) {
	sent := e.query(text)
	key := e.key(sent)
	want := e.cfg.Dims
	if want == 0 {
		want = int(e.lastDim.Load())
	}
	if v := e.lookup(ctx, key); v != nil && (want == 0 || len(v) == want) {
		return v, nil
	}
	vs, err := e.b.Embed(ctx, e.cfg.Model, []string{sent}, e.cfg.KeepAlive)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("embed query: %w", ctx.Err())
		}
		return nil, fmt.Errorf("embed query with %s: %w", e.cfg.Model, err)
	}
	if len(vs) != 1 {
		return nil, fmt.Errorf("embed query with %s: %d vectors for 1 input", e.cfg.Model, len(vs))
	}
	v := vs[0]
	if !usable(v) {
		return nil, fmt.Errorf("embed query with %s: %w", e.cfg.Model, errBadVector)
	}
	if e.cfg.Dims > 0 && len(v) != e.cfg.Dims {
		return nil, fmt.Errorf("embed query with %s: %w: %d dimensions, configured %d", e.cfg.Model, ErrDimensionChanged, len(v), e.cfg.Dims)
	}
	e.lastDim.Store(int64(len(v)))
	e.store(ctx, key, v)
	return v, nil
}

// EmbedDocuments returns one vector per chunk (nil for a chunk the model refused, listed in
// Stats.Skipped). Each distinct text sent is looked up in the cache first; only misses reach
// the backend, in batches of at most BatchSize inputs and BatchBytes bytes, one backend call
// each. Vectors are cached as they arrive, so a cancelled run keeps what it paid for. A batch
// the model rejects as a bad request is retried item by item to find and skip the bad item;
// any other error (or the context ending) ends the run with that error and no vectors.
func (e *Embedder) EmbedDocuments(ctx context.Context, chunks []Chunk) ([][]float32, Stats, error) {
	r := &docRun{e: e, chunks: chunks, st: Stats{Chunks: len(chunks)}, seen: map[string]int{}}
	for i, c := range chunks {
		sent := e.document(c.Text)
		u, ok := r.seen[sent]
		if !ok {
			u = len(r.items)
			r.seen[sent] = u
			r.items = append(r.items, docItem{sent: sent, key: e.key(sent)})
		}
		r.items[u].users = append(r.items[u].users, i)
	}
	if err := r.lookupAll(ctx); err != nil {
		return nil, r.st, err
	}
	if err := r.sendAll(ctx); err != nil {
		return nil, r.st, err
	}
	out := make([][]float32, len(chunks))
	for _, it := range r.items {
		for _, i := range it.users {
			out[i] = it.vec
			if it.cached {
				r.st.CacheHits++
			}
			if it.vec != nil {
				r.st.Dims = r.dim
			}
		}
	}
	if r.trusted && r.dim > 0 {
		e.lastDim.Store(int64(r.dim))
	}
	return out, r.st, nil
}

// docRun is one EmbedDocuments call.
type docRun struct {
	e      *Embedder
	chunks []Chunk
	st     Stats
	seen   map[string]int // sent text → index in items
	items  []docItem      // distinct texts
	queue  []int          // items still to send
	// dim is the run's dimension. It is trusted once the model (or EmbedderConfig.Dims)
	// gave it; before that it is a guess from the cache (the last run's or the majority of
	// hits), and the first vector from the model may overrule it.
	dim     int
	trusted bool
}

type docItem struct {
	sent, key string
	users     []int // chunk indices with this text
	vec       []float32
	cached    bool
}

// lookupAll consults the cache for every item and queues the misses.
func (r *docRun) lookupAll(ctx context.Context) error {
	e := r.e
	r.dim, r.trusted = e.cfg.Dims, e.cfg.Dims > 0
	if r.dim == 0 {
		r.dim = int(e.lastDim.Load())
	}
	counts := map[int]int{}
	for u := range r.items {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("embed: %w", err)
		}
		it := &r.items[u]
		it.vec = e.lookup(ctx, it.key)
		if it.vec == nil || (r.trusted && len(it.vec) != r.dim) {
			it.vec = nil
			r.queue = append(r.queue, u)
			continue
		}
		it.cached = true
		counts[len(it.vec)]++
	}
	if !r.trusted && len(r.queue) > 0 {
		return nil // the model's first vector decides: checkDim queues hits of another dimension
	}
	if r.dim == 0 { // no guess yet: the dimension most hits share
		for d, n := range counts {
			if n > counts[r.dim] || (n == counts[r.dim] && d < r.dim) {
				r.dim = d
			}
		}
	}
	for u := range r.items {
		if it := &r.items[u]; it.cached && len(it.vec) != r.dim {
			it.vec, it.cached = nil, false
			r.queue = append(r.queue, u)
		}
	}
	return nil
}

// sendAll sends the queued items in batches until none is left.
func (r *docRun) sendAll(ctx context.Context) error {
	e := r.e
	for len(r.queue) > 0 {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("embed: %w", err)
		}
		n, size := 0, 0
		for n < len(r.queue) && n < e.cfg.BatchSize {
			l := len(r.items[r.queue[n]].sent)
			if n > 0 && size+l > e.cfg.BatchBytes {
				break
			}
			n, size = n+1, size+l
		}
		batch := r.queue[:n:n]
		r.queue = r.queue[n:]
		err := r.send(ctx, batch)
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return fmt.Errorf("embed: %w", ctx.Err())
		}
		if model.KindOf(err) != model.KindBadRequest {
			return err
		}
		if len(batch) == 1 {
			r.skip(batch[0], err)
			continue
		}
		// One bad item fails the whole batch: find it by sending the items one by one. When
		// none of them passes alone the items are not to blame (Ollama also answers 400 when
		// its runner crashes): the run ends with the error.
		ok, bad := 0, make(map[int]error, 1)
		for _, u := range batch {
			if err := r.send(ctx, []int{u}); err != nil {
				if ctx.Err() != nil {
					return fmt.Errorf("embed: %w", ctx.Err())
				}
				if model.KindOf(err) != model.KindBadRequest {
					return err
				}
				bad[u] = err
				continue
			}
			ok++
		}
		if ok == 0 {
			return fmt.Errorf("every item of a rejected batch also fails alone: %w", err)
		}
		for _, u := range batch {
			if err := bad[u]; err != nil {
				r.skip(u, err)
			}
		}
	}
	return nil
}

// send makes one backend call for items and records the vectors.
func (r *docRun) send(ctx context.Context, items []int) error {
	e := r.e
	inputs := make([]string, len(items))
	for k, u := range items {
		inputs[k] = r.items[u].sent
		r.st.Bytes += int64(len(inputs[k]))
	}
	r.st.Calls++
	r.st.Inputs += len(inputs)
	vs, err := e.b.Embed(ctx, e.cfg.Model, inputs, e.cfg.KeepAlive)
	if err != nil {
		return fmt.Errorf("embed %d inputs with %s: %w", len(inputs), e.cfg.Model, err)
	}
	if len(vs) != len(inputs) {
		return fmt.Errorf("embed with %s: %d vectors for %d inputs", e.cfg.Model, len(vs), len(inputs))
	}
	for k, u := range items {
		v := vs[k]
		if !usable(v) {
			r.skip(u, fmt.Errorf("embed with %s: %w", e.cfg.Model, errBadVector))
			continue
		}
		if err := r.checkDim(len(v)); err != nil {
			return err
		}
		r.items[u].vec = v
		e.store(ctx, r.items[u].key, v)
	}
	return nil
}

// checkDim accepts a dimension from the model: the first one settles the run's dimension
// (cache hits of another dimension are queued again); after that any other is an error.
func (r *docRun) checkDim(d int) error {
	if r.trusted {
		if d != r.dim {
			return fmt.Errorf("embed with %s: %w: %d dimensions, expected %d", r.e.cfg.Model, ErrDimensionChanged, d, r.dim)
		}
		return nil
	}
	r.trusted, r.dim = true, d
	for u := range r.items {
		if it := &r.items[u]; it.cached && len(it.vec) != d {
			it.vec, it.cached = nil, false
			r.queue = append(r.queue, u)
		}
	}
	return nil
}

// skip records an item the model refused or answered with an unusable vector.
func (r *docRun) skip(u int, err error) {
	it := &r.items[u]
	it.vec = nil
	for _, i := range it.users {
		c := r.chunks[i]
		r.st.Skipped = append(r.st.Skipped, SkippedChunk{Index: i, ID: c.ID, Path: c.Path, Err: err})
		r.e.cfg.Log.Warn("chunk not embedded", "path", c.Path, "line", c.StartLine+1, "err", err)
	}
}
