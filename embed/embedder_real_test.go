package embed

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/cache"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/ollamatest"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/redistest"
	"github.com/mimi-lsp/mimi-lsp/model"
)

// sharedTier is one process's cache: a fresh memory tier in front of its own client of the
// shared Redis.
func sharedTier(t *testing.T, ctx context.Context, url string) *cache.Tiered {
	t.Helper()
	// Generous per-operation timeout: the race detector on two shared cores is slow, and a
	// lookup that times out would be a (correct, but here unwanted) miss.
	r, err := cache.NewRedis(cache.RedisConfig{URL: url, Timeout: 5 * time.Second, ConnectTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	if err := r.WaitReady(ctx); err != nil {
		t.Fatalf("redis not ready: %v", err)
	}
	return cache.NewTiered(cache.NewMemory(64<<20, nil), r, nil)
}

// TestEmbedderSharedRedisTeammate: a teammate's process (fresh Embedder, fresh memory tier,
// its own client of the same real Redis) embeds the same chunks with zero embedding calls.
func TestEmbedderSharedRedisTeammate(t *testing.T) {
	rd := redistest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	chunks := testChunks(20)

	fb1 := &fakeEmbedBackend{dim: 768}
	c1 := sharedTier(t, ctx, rd.URL())
	first, st := embedAll(t, newTestEmbedder(t, fb1, c1, EmbedderConfig{}), chunks)
	if st.Calls == 0 || st.Inputs != 20 {
		t.Fatalf("first process: %+v", st)
	}
	c1.Flush() // the shared writes are made in the background
	keys, err := rd.Cli("--scan", "--pattern", "mimi:v1:embedding:*")
	if err != nil || len(strings.Fields(keys)) != 20 {
		t.Fatalf("embedding keys in Redis: %q, %v", keys, err)
	}

	fb2 := &fakeEmbedBackend{dim: 768}
	got, st := embedAll(t, newTestEmbedder(t, fb2, sharedTier(t, ctx, rd.URL()), EmbedderConfig{}), chunks)
	if n := len(fb2.recorded()); n != 0 || st.Calls != 0 || st.CacheHits != 20 {
		t.Fatalf("teammate: %d embedding calls, stats %+v", n, st)
	}
	for i := range got {
		if !slices.Equal(got[i], first[i]) {
			t.Fatalf("chunk %d: vector from Redis differs", i)
		}
	}
}

// TestEmbedderRealOllama embeds through the real client and scheduler against a real Ollama
// serving the tiny embedding model as nomic-embed-text: several batches, unit vectors of one
// dimension, and a query closest to the document that shares its identifiers.
func TestEmbedderRealOllama(t *testing.T) {
	srv := ollamatest.StartT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cl, err := model.New(model.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	s := model.NewScheduler(cl, 1, nil)
	t.Cleanup(s.Close)
	e := newTestEmbedder(t, s, memTier(), EmbedderConfig{Model: ollamatest.EmbedModel, BatchSize: 2})

	texts := []string{
		"func parseConfigFile(path string) (*Config, error) { return loadConfigFromDisk(path) }",
		"func renderHTMLTemplate(w io.Writer, page *Page) error { return tmpl.Execute(w, page) }",
		"type RedisConnectionPool struct { conns []*redisConn; maxIdleConns int }",
		"func (q *PriorityQueue) Push(item *queueItem) { heap.Push(&q.items, item) }",
		"SELECT user_id, email FROM accounts WHERE created_at > now() - interval '7 days'",
	}
	chunks := make([]Chunk, len(texts))
	for i, tx := range texts {
		chunks[i] = Chunk{ID: ChunkID(tx), Path: "f.go", Text: tx}
	}
	vs, st, err := e.EmbedDocuments(ctx, chunks)
	if err != nil && strings.Contains(err.Error(), "do embedding request") && !ollamatest.RequireAll() {
		// Seen with Ollama v0.17.4: the runner aborts (GGML_ASSERT in get_rows) on every
		// /api/embed for the tiny model and the server answers 400 "do embedding request: EOF".
		t.Skipf("SKIPPING: Ollama's runner crashes embedding with the tiny model: %v", err)
	}
	if err != nil {
		t.Fatalf("EmbedDocuments: %v\n%s", err, srv.Tail())
	}
	if st.Calls != 3 || st.Inputs != 5 || st.Dims == 0 || len(st.Skipped) != 0 {
		t.Fatalf("stats %+v", st)
	}
	for i, v := range vs {
		if len(v) != st.Dims {
			t.Fatalf("chunk %d: %d dimensions, run says %d", i, len(v), st.Dims)
		}
		var n float64
		for _, f := range v {
			n += float64(f) * float64(f)
		}
		if math.Abs(math.Sqrt(n)-1) > 1e-3 {
			t.Fatalf("chunk %d: norm %f, want 1", i, math.Sqrt(n))
		}
	}
	q, err := e.EmbedQuery(ctx, "parseConfigFile loadConfigFromDisk Config path")
	if err != nil || len(q) != st.Dims {
		t.Fatalf("query: %d dimensions, %v", len(q), err)
	}
	best, bestScore := -1, math.Inf(-1)
	for i, v := range vs {
		var dot float64
		for k := range v {
			dot += float64(v[k]) * float64(q[k])
		}
		if dot > bestScore {
			best, bestScore = i, dot
		}
	}
	if best != 0 {
		t.Fatalf("query closest to chunk %d (%q), want 0", best, texts[best])
	}
	// Again: all from the cache, no call.
	if _, st, err = e.EmbedDocuments(ctx, chunks); err != nil || st.Calls != 0 || st.CacheHits != 5 {
		t.Fatalf("second run: %+v, %v", st, err)
	}
}
