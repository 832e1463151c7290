package embed

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mimi-lsp/mimi-lsp/cache"
	"github.com/mimi-lsp/mimi-lsp/model"
)

// The real components satisfy the consumer-side interfaces.
var (
	_ EmbedBackend = (*model.Scheduler)(nil)
	_ Cache        = (*cache.Tiered)(nil)
)

// fakeEmbedBackend answers deterministic unit vectors, records every call, and fails the
// whole batch (bad request, as Ollama does) when an input contains bad.
type fakeEmbedBackend struct {
	mu    sync.Mutex
	dim   int
	bad   string
	calls [][]string
	// hook runs before each call is answered (n counts from 1); an error is returned as is.
	hook func(ctx context.Context, n int, inputs []string) error
}

func (f *fakeEmbedBackend) Embed(ctx context.Context, modelName string, inputs []string, _ time.Duration) ([][]float32, error) {
	f.mu.Lock()
	f.calls = append(f.calls, slices.Clone(inputs))
	n, dim, hook := len(f.calls), f.dim, f.hook
	f.mu.Unlock()
	if hook != nil {
		if err := hook(ctx, n, inputs); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, &model.Error{Kind: model.KindCancelled, Model: modelName, Err: err}
	}
	out := make([][]float32, len(inputs))
	for i, in := range inputs {
		if f.bad != "" && strings.Contains(in, f.bad) {
			return nil, &model.Error{Kind: model.KindBadRequest, Model: modelName, Err: errors.New("input cannot be embedded")}
		}
		out[i] = fakeVector(in, dim)
	}
	return out, nil
}

func (f *fakeEmbedBackend) recorded() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fakeEmbedBackend) setDim(d int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dim = d
}

// fakeVector is a unit vector derived from text.
func fakeVector(text string, dim int) []float32 {
	v := make([]float32, dim)
	var s float64
	for i := range v {
		h := sha256.Sum256([]byte(fmt.Sprintf("%d|%s", i, text)))
		v[i] = float32(binary.LittleEndian.Uint32(h[:])%2001)/1000 - 1
		s += float64(v[i]) * float64(v[i])
	}
	for i := range v {
		v[i] = float32(float64(v[i]) / math.Sqrt(s))
	}
	return v
}

func testChunks(n int) []Chunk {
	out := make([]Chunk, n)
	for i := range out {
		text := fmt.Sprintf("func f%d() int { return %d }", i, i)
		out[i] = Chunk{ID: ChunkID(text), Path: fmt.Sprintf("pkg/f%d.go", i), StartLine: i, EndLine: i, Kind: "func", Name: fmt.Sprintf("f%d", i), Text: text}
	}
	return out
}

func memTier() *cache.Tiered { return cache.NewTiered(cache.NewMemory(64<<20, nil), nil, nil) }

func newTestEmbedder(t *testing.T, b EmbedBackend, c Cache, cfg EmbedderConfig) *Embedder {
	t.Helper()
	if cfg.Model == "" {
		cfg.Model = "nomic-embed-text"
	}
	e, err := NewEmbedder(b, c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func embedAll(t *testing.T, e *Embedder, chunks []Chunk) ([][]float32, Stats) {
	t.Helper()
	vs, st, err := e.EmbedDocuments(context.Background(), chunks)
	if err != nil {
		t.Fatalf("EmbedDocuments: %v", err)
	}
	if len(vs) != len(chunks) {
		t.Fatalf("%d vectors for %d chunks", len(vs), len(chunks))
	}
	return vs, st
}

// TestEmbedderSecondRunFromCache: a second run, and a fresh Embedder on the same cache, make
// zero embedding calls and get the same vectors.
func TestEmbedderSecondRunFromCache(t *testing.T) {
	chunks := testChunks(40)
	fb := &fakeEmbedBackend{dim: 8}
	c := memTier()
	e := newTestEmbedder(t, fb, c, EmbedderConfig{BatchSize: 16})
	first, st := embedAll(t, e, chunks)
	if st.Calls != 3 || st.Inputs != 40 || st.CacheHits != 0 || st.Chunks != 40 || st.Dims != 8 {
		t.Fatalf("first run stats: %+v", st)
	}
	for i, v := range first {
		if want := fakeVector("search_document: "+chunks[i].Text, 8); !slices.Equal(v, want) {
			t.Fatalf("chunk %d: vector %v, want %v", i, v, want)
		}
	}
	for name, e2 := range map[string]*Embedder{"same embedder": e, "fresh embedder": newTestEmbedder(t, fb, c, EmbedderConfig{})} {
		before := len(fb.recorded())
		again, st := embedAll(t, e2, chunks)
		if n := len(fb.recorded()) - before; n != 0 || st.Calls != 0 || st.CacheHits != 40 || st.Bytes != 0 {
			t.Fatalf("%s: %d backend calls, stats %+v", name, n, st)
		}
		for i := range again {
			if !slices.Equal(again[i], first[i]) {
				t.Fatalf("%s: chunk %d differs from the first run", name, i)
			}
		}
	}
}

// TestEmbedderPrefixesAndTruncation: the family table decides the prefixes; inputs are cut to
// the context estimate at a rune boundary.
func TestEmbedderPrefixesAndTruncation(t *testing.T) {
	long := strings.Repeat("é世x", 5000) // 6 bytes a round: multi-byte runes at every cut
	cases := []struct {
		model, doc, query string
		ctxTokens, max    int
	}{
		{model: "nomic-embed-text", doc: "search_document: ", query: "search_query: ", max: 2048 * 3},
		{model: "nomic-embed-text:v1.5", doc: "search_document: ", query: "search_query: ", max: 2048 * 3},
		{model: "registry.local:5000/library/nomic-embed-text:latest", doc: "search_document: ", query: "search_query: ", max: 2048 * 3},
		{model: "mxbai-embed-large", ctxTokens: 512, max: 512 * 3},
		{model: "all-minilm", max: defaultContextTokens * 3},
		{model: "nomic-embed-text", ctxTokens: 11, doc: "search_document: ", query: "search_query: ", max: 33},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%d", tc.model, tc.ctxTokens), func(t *testing.T) {
			fb := &fakeEmbedBackend{dim: 4}
			e := newTestEmbedder(t, fb, nil, EmbedderConfig{Model: tc.model, ContextTokens: tc.ctxTokens})
			_, _ = embedAll(t, e, []Chunk{{Text: "short"}, {Text: long}})
			if _, err := e.EmbedQuery(context.Background(), "where is short"); err != nil {
				t.Fatal(err)
			}
			calls := fb.recorded()
			if len(calls) != 2 || len(calls[0]) != 2 || len(calls[1]) != 1 {
				t.Fatalf("calls: %d", len(calls))
			}
			if got := calls[0][0]; got != tc.doc+"short" {
				t.Fatalf("short document sent as %q", got)
			}
			if got := calls[1][0]; got != tc.query+"where is short" {
				t.Fatalf("query sent as %q", got)
			}
			cut := calls[0][1]
			if len(cut) > tc.max || len(cut) < tc.max-3 || !utf8.ValidString(cut) || !strings.HasPrefix(tc.doc+long, cut) {
				t.Fatalf("long input: %d bytes (max %d), valid UTF-8 %v", len(cut), tc.max, utf8.ValidString(cut))
			}
		})
	}
}

// TestEmbedderBatchSizes: batches respect the input count and the byte budget (an input
// larger than the budget goes alone), every distinct text is sent once, stats add up.
func TestEmbedderBatchSizes(t *testing.T) {
	var chunks []Chunk
	for i := range 23 {
		chunks = append(chunks, Chunk{Text: fmt.Sprintf("%d:%s", i, strings.Repeat("x", (i*37)%90))})
	}
	chunks = append(chunks, Chunk{Text: strings.Repeat("y", 300)}, chunks[3], chunks[5]) // one oversize, two duplicates
	fb := &fakeEmbedBackend{dim: 4}
	const size, budget = 3, 150
	e := newTestEmbedder(t, fb, memTier(), EmbedderConfig{Model: "all-minilm", BatchSize: size, BatchBytes: budget})
	vs, st := embedAll(t, e, chunks)
	calls := fb.recorded()
	sent := map[string]int{}
	var inputs, bytes int
	for _, c := range calls {
		n := 0
		for _, in := range c {
			sent[in]++
			n += len(in)
		}
		if len(c) > size || (len(c) > 1 && n > budget) {
			t.Fatalf("batch of %d inputs, %d bytes (limits %d, %d)", len(c), n, size, budget)
		}
		inputs, bytes = inputs+len(c), bytes+n
	}
	if len(sent) != 24 {
		t.Fatalf("%d distinct inputs sent, want 24", len(sent))
	}
	for in, n := range sent {
		if n != 1 {
			t.Fatalf("%q sent %d times", in, n)
		}
	}
	if st.Calls != len(calls) || st.Inputs != inputs || st.Bytes != int64(bytes) || st.Chunks != 26 {
		t.Fatalf("stats %+v; recorded %d calls, %d inputs, %d bytes", st, len(calls), inputs, bytes)
	}
	if !slices.Equal(vs[24], vs[3]) || !slices.Equal(vs[25], vs[5]) {
		t.Fatal("duplicate chunks got different vectors")
	}
}

// TestEmbedderIsolatesBadItem: a bad item fails Ollama's whole batch; its items are retried
// one by one, the bad one is skipped and reported, the others are embedded and cached.
func TestEmbedderIsolatesBadItem(t *testing.T) {
	chunks := testChunks(10)
	chunks[5].Text += " BAD"
	fb := &fakeEmbedBackend{dim: 8, bad: "BAD"}
	e := newTestEmbedder(t, fb, memTier(), EmbedderConfig{BatchSize: 4})
	vs, st := embedAll(t, e, chunks)
	// batch 0-3 ok; batch 4-7 fails, then 4, 5 (fails), 6, 7 alone; batch 8-9.
	if calls := fb.recorded(); len(calls) != 7 || st.Calls != 7 || len(calls[1]) != 4 || len(calls[3]) != 1 || !strings.Contains(calls[3][0], "BAD") {
		t.Fatalf("calls %q, stats %+v", calls, st)
	}
	if len(st.Skipped) != 1 || st.Skipped[0].Index != 5 || st.Skipped[0].Path != chunks[5].Path || st.Skipped[0].ID != chunks[5].ID ||
		model.KindOf(st.Skipped[0].Err) != model.KindBadRequest {
		t.Fatalf("skipped: %+v", st.Skipped)
	}
	for i, v := range vs {
		if (v == nil) != (i == 5) {
			t.Fatalf("chunk %d: vector %v", i, v)
		}
	}
	// Only the bad item is tried again next time.
	_, st = embedAll(t, e, chunks)
	if st.Calls != 1 || st.Inputs != 1 || st.CacheHits != 9 || len(st.Skipped) != 1 {
		t.Fatalf("second run: %+v", st)
	}
}

// TestEmbedderBadRequestForAll: when every item of a rejected batch also fails alone, the
// items are not to blame (Ollama answers 400 when its runner crashes): the run fails.
func TestEmbedderBadRequestForAll(t *testing.T) {
	fb := &fakeEmbedBackend{dim: 8, bad: "func"}
	e := newTestEmbedder(t, fb, memTier(), EmbedderConfig{BatchSize: 4})
	vs, st, err := e.EmbedDocuments(context.Background(), testChunks(8))
	if model.KindOf(err) != model.KindBadRequest || vs != nil || st.Calls != 5 {
		t.Fatalf("err %v, stats %+v", err, st)
	}
}

// TestEmbedderOtherErrorsAbort: an error that is not a bad request ends the run at once (no
// item-by-item retries); the batches already embedded stay cached.
func TestEmbedderOtherErrorsAbort(t *testing.T) {
	chunks := testChunks(12)
	fb := &fakeEmbedBackend{dim: 8}
	fb.hook = func(_ context.Context, n int, _ []string) error {
		if n == 2 {
			return &model.Error{Kind: model.KindServer, Model: "nomic-embed-text", Err: errors.New("runner crashed")}
		}
		return nil
	}
	e := newTestEmbedder(t, fb, memTier(), EmbedderConfig{BatchSize: 4})
	vs, st, err := e.EmbedDocuments(context.Background(), chunks)
	if model.KindOf(err) != model.KindServer || vs != nil || st.Calls != 2 || len(fb.recorded()) != 2 {
		t.Fatalf("err %v, vectors %v, stats %+v", err, vs != nil, st)
	}
	_, st = embedAll(t, e, chunks)
	if st.CacheHits != 4 || st.Inputs != 8 {
		t.Fatalf("rerun: %+v", st)
	}
}

// TestEmbedderCancelMidRun: the context ends during a batch: the run returns the context's
// error without starting another batch.
func TestEmbedderCancelMidRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fb := &fakeEmbedBackend{dim: 8}
	fb.hook = func(ctx context.Context, n int, _ []string) error {
		if n == 2 {
			cancel()
		}
		return nil
	}
	e := newTestEmbedder(t, fb, memTier(), EmbedderConfig{BatchSize: 4})
	_, st, err := e.EmbedDocuments(ctx, testChunks(16))
	if !errors.Is(err, context.Canceled) || st.Calls != 2 || len(fb.recorded()) != 2 {
		t.Fatalf("err %v, stats %+v, calls %d", err, st, len(fb.recorded()))
	}
}

// blockingModelBackend is a model.Backend whose embed calls block until their context ends.
type blockingModelBackend struct{ started chan struct{} }

func (b *blockingModelBackend) Generate(context.Context, model.GenerateRequest, func(string, string) bool) (model.Generation, error) {
	return model.Generation{}, errors.New("not used")
}

func (b *blockingModelBackend) Embed(ctx context.Context, _ string, _ []string, _ time.Duration) ([][]float32, error) {
	b.started <- struct{}{}
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestEmbedderCancelThroughScheduler: with the real scheduler, cancelling a run whose batch
// is in flight returns the context's error (the test would hang otherwise).
func TestEmbedderCancelThroughScheduler(t *testing.T) {
	mb := &blockingModelBackend{started: make(chan struct{}, 1)}
	s := model.NewScheduler(mb, 1, nil)
	e := newTestEmbedder(t, s, memTier(), EmbedderConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-mb.started; cancel() }()
	_, st, err := e.EmbedDocuments(ctx, testChunks(40))
	if !errors.Is(err, context.Canceled) || st.Calls != 1 {
		t.Fatalf("err %v, stats %+v", err, st)
	}
}

// TestEmbedderRejectsBadCacheValues: the shared cache is untrusted; undecodable, NaN/Inf,
// not unit-length and wrong-dimension vectors are misses, re-embedded and overwritten.
func TestEmbedderRejectsBadCacheValues(t *testing.T) {
	chunks := testChunks(6)
	fb := &fakeEmbedBackend{dim: 8}
	c := memTier()
	good, _ := embedAll(t, newTestEmbedder(t, fb, c, EmbedderConfig{}), chunks)

	nan := slices.Clone(good[1])
	nan[0] = float32(math.NaN())
	inf := slices.Clone(good[2])
	inf[3] = float32(math.Inf(1))
	planted := map[int][]byte{
		1: cache.EncodeFloat32s(nan),
		2: cache.EncodeFloat32s(inf),
		3: {1, 2, 3, 4, 5, 6, 7},                                      // not whole float32s
		4: cache.EncodeFloat32s(fakeVector("short", 5)),               // unit length, wrong dimension
		5: cache.EncodeFloat32s(append(slices.Clone(good[5][:7]), 3)), // right dimension, not unit length
	}
	e := newTestEmbedder(t, fb, c, EmbedderConfig{}) // fresh: it knows no dimension yet
	for i, v := range planted {
		if err := c.Set(context.Background(), cache.KindEmbedding, e.key(e.document(chunks[i].Text)), v); err != nil {
			t.Fatal(err)
		}
	}
	before := len(fb.recorded())
	vs, st := embedAll(t, e, chunks)
	// One batch for the four undecodable/non-finite/non-unit values; the wrong-dimension one
	// is known to be wrong once the model's first answer gives the dimension: a second call.
	if st.CacheHits != 1 || st.Inputs != 5 || st.Calls != 2 || len(fb.recorded()) != before+2 {
		t.Fatalf("stats %+v", st)
	}
	for i := range vs {
		if !slices.Equal(vs[i], good[i]) {
			t.Fatalf("chunk %d: %v, want %v", i, vs[i], good[i])
		}
	}
	// The cache holds good vectors again.
	if _, st = embedAll(t, newTestEmbedder(t, fb, c, EmbedderConfig{}), chunks); st.CacheHits != 6 || st.Calls != 0 {
		t.Fatalf("after repair: %+v", st)
	}
}

// TestEmbedderDimensionChange: the model answering another dimension mid-run (or one that
// differs from the configured one) is an error.
func TestEmbedderDimensionChange(t *testing.T) {
	fb := &fakeEmbedBackend{dim: 8}
	fb.hook = func(_ context.Context, n int, _ []string) error {
		if n == 1 { // the next call answers 16 dimensions
			fb.setDim(16)
		}
		return nil
	}
	e := newTestEmbedder(t, fb, memTier(), EmbedderConfig{BatchSize: 4})
	if _, _, err := e.EmbedDocuments(context.Background(), testChunks(8)); !errors.Is(err, ErrDimensionChanged) {
		t.Fatalf("mid-run change: %v", err)
	}
	e = newTestEmbedder(t, &fakeEmbedBackend{dim: 8}, nil, EmbedderConfig{Dims: 768})
	if _, _, err := e.EmbedDocuments(context.Background(), testChunks(2)); !errors.Is(err, ErrDimensionChanged) {
		t.Fatalf("configured 768, model gives 8: %v", err)
	}
	if _, err := e.EmbedQuery(context.Background(), "q"); !errors.Is(err, ErrDimensionChanged) {
		t.Fatalf("query: %v", err)
	}
}

// TestEmbedQueryCached: a repeated query is answered from the cache; a cancelled query
// returns the context's error.
func TestEmbedQueryCached(t *testing.T) {
	fb := &fakeEmbedBackend{dim: 8}
	e := newTestEmbedder(t, fb, memTier(), EmbedderConfig{})
	v1, err := e.EmbedQuery(context.Background(), "parse config")
	if err != nil {
		t.Fatal(err)
	}
	v2, err := e.EmbedQuery(context.Background(), "parse config")
	if err != nil || !slices.Equal(v1, v2) || len(fb.recorded()) != 1 {
		t.Fatalf("err %v, equal %v, calls %d", err, slices.Equal(v1, v2), len(fb.recorded()))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.EmbedQuery(ctx, "another"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled query: %v", err)
	}
}

func TestNewEmbedderValidates(t *testing.T) {
	if _, err := NewEmbedder(&fakeEmbedBackend{}, nil, EmbedderConfig{}); err == nil {
		t.Fatal("no model accepted")
	}
	if _, err := NewEmbedder(&fakeEmbedBackend{}, nil, EmbedderConfig{Model: "nomic-embed-text", ContextTokens: 5}); err == nil {
		t.Fatal("a context smaller than the prefix accepted")
	}
}
