package embed

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

const storeDims = 64

func TestTokenize(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"parseHTTPRequest", []string{"parsehttprequest", "parse", "http", "request"}},
		{"verify_refresh_token", []string{"verify_refresh_token", "verify", "refresh", "token"}},
		{"utf8Decode2", []string{"utf8decode2", "utf", "decode"}},
		{"x := a + b", nil},
		{"Server", []string{"server"}},
		{"__init__ foo", []string{"init", "foo"}},
		{"ListenAndServe(addr)", []string{"listenandserve", "listen", "and", "serve", "addr"}},
	}
	for _, tt := range tests {
		var got []string
		tokenize(tt.in, func(s string) { got = append(got, s) })
		if !slices.Equal(got, tt.want) {
			t.Errorf("tokenize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestInt8CosineError: the cosine over the stored int8 vector is within 2e-3 of the exact one
// for random 768-dim unit vectors, and a stored vector reads back within half a step.
func TestInt8CosineError(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	worst := 0.0
	for range 200 {
		a, b := make([]float32, 768), make([]float32, 768)
		for i := range a {
			a[i], b[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
			b[i] = 0.7*a[i] + 0.3*b[i] // correlated: cosines near the ones that rank
		}
		qa, qb := normalize(a), normalize(b)
		var exact float64
		for i := range qa {
			exact += float64(qa[i]) * float64(qb[i])
		}
		v := make([]int8, 768)
		k := quantize(v, b, normScale(b))
		got := float64(dotI8(qa, v) * k)
		worst = max(worst, math.Abs(got-exact))
		for i, x := range v {
			if d := math.Abs(float64(x)*float64(k) - float64(qb[i])); d > float64(k)/2+1e-6 {
				t.Fatalf("component %d off by %g (step %g)", i, d, k)
			}
		}
	}
	if worst > 2e-3 {
		t.Errorf("worst cosine error %g", worst)
	}
	if k := quantize(make([]int8, 3), []float32{0, 0, 0}, 1); k != 0 {
		t.Errorf("zero vector scale %g", k)
	}
}

// TestSearchRecallAt5: for each query with a known answer, the answer is among the first 5
// hits, hybrid and each side alone.
func TestSearchRecallAt5(t *testing.T) {
	ix, err := newStoreFixtureIndex(Options{}, storeDims)
	if err != nil {
		t.Fatal(err)
	}
	queries := []struct{ query, want string }{
		{"parse the http request line", "http/request.go:parseHTTPRequest"},
		{"lru cache evict oldest entry", "cache/lru.go:evictOldest"},
		{"open sqlite database", "store/sqlite.go:openSQLiteDatabase"},
		{"sign a JWT token with claims", "auth/token.go:signJWTToken"},
		{"refresh token verify", "auth/token.go:verify_refresh_token"},
		{"server shutdown context", "http/server.go:Shutdown"},
		{"multiply matrix", "math/matrix.go:multiplyMatrix"},
		{"logger output writer", "log/logger.go:SetOutputWriter"},
		{"reverse a string runes", "util/strings.go:reverseString"},
		{"insert user record", "store/sqlite.go:InsertUserRecord"},
	}
	modes := []struct {
		name       string
		text, vect bool
	}{{"hybrid", true, true}, {"keyword", true, false}, {"vector", false, true}}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			found := 0
			for _, q := range queries {
				text := ""
				var vec []float32
				if m.text {
					text = q.query
				}
				if m.vect {
					vec = storeFakeEmbed(q.query, storeDims)
				}
				hits := ix.Search(context.Background(), text, vec, 5)
				if slices.Contains(storeHitTexts(hits), q.want) {
					found++
				} else {
					t.Logf("%s: %q: want %s in %q", m.name, q.query, q.want, storeHitTexts(hits))
				}
			}
			recall := float64(found) / float64(len(queries))
			min := 1.0
			if m.name == "vector" {
				min = 0.8 // hashed bags collide; the fused result must still be perfect
			}
			if recall < min {
				t.Errorf("%s recall@5 = %.2f, want >= %.2f", m.name, recall, min)
			}
		})
	}
}

func TestSearchKeywordOnlyAndVectorOnly(t *testing.T) {
	ix, err := newStoreFixtureIndex(Options{}, storeDims)
	if err != nil {
		t.Fatal(err)
	}
	target := storeFixtureChunks(storeFixture[2])[1] // evictOldest
	tests := []struct {
		name string
		text string
		vec  []float32
		want string
	}{
		{"camelCase part", "evict", nil, "cache/lru.go:evictOldest"},
		{"whole identifier", "parseHTTPRequest", nil, "http/request.go:parseHTTPRequest"},
		{"snake part", "refresh", nil, "auth/token.go:verify_refresh_token"},
		{"exact vector", "", storeFakeEmbed(target.Text, storeDims), "cache/lru.go:evictOldest"},
		{"vector of other dims ignored, text used", "transposeMatrix", make([]float32, 3), "math/matrix.go:transposeMatrix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits := ix.Search(context.Background(), tt.text, tt.vec, 3)
			if len(hits) == 0 || storeHitTexts(hits)[0] != tt.want {
				t.Fatalf("first hit %q, want %s", storeHitTexts(hits), tt.want)
			}
		})
	}
	if hits := ix.Search(context.Background(), "", nil, 5); hits != nil {
		t.Errorf("empty query: %d hits, want none", len(hits))
	}
	if hits := ix.Search(context.Background(), "zzqqxx", nil, 5); len(hits) != 0 {
		t.Errorf("unknown word: %q", storeHitTexts(hits))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if hits := ix.Search(ctx, "evict", nil, 5); hits != nil {
		t.Errorf("cancelled: %d hits", len(hits))
	}
}

func TestSearchPerFileCap(t *testing.T) {
	tests := []struct{ perFile, want int }{{1, 1}, {2, 2}, {0, 3}}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.perFile), func(t *testing.T) {
			ix := NewIndex(Options{PerFile: tt.perFile})
			var cs []Chunk
			for i := range 10 {
				cs = append(cs, Chunk{Text: fmt.Sprintf("func handleWidget%d() { widget() }", i)})
			}
			if err := ix.Upsert("a.go", cs, nil); err != nil {
				t.Fatal(err)
			}
			if err := ix.Upsert("b.go", []Chunk{{Text: "func widgetB() {}"}}, nil); err != nil {
				t.Fatal(err)
			}
			hits := ix.Search(context.Background(), "widget", nil, 10)
			per := map[string]int{}
			for _, h := range hits {
				per[h.Chunk.Path]++
			}
			if per["a.go"] != tt.want || per["b.go"] != 1 {
				t.Errorf("per file %v, want a.go %d and b.go 1", per, tt.want)
			}
		})
	}
}

func TestUpsertReplacesAndRemove(t *testing.T) {
	ix, err := newStoreFixtureIndex(Options{}, storeDims)
	if err != nil {
		t.Fatal(err)
	}
	before := ix.Stats()
	cs := []Chunk{{Text: "func brandNewGizmo() {}", Name: "brandNewGizmo"}}
	if err := ix.Upsert("cache/lru.go", cs, storeFixtureVectors(cs, storeDims)); err != nil {
		t.Fatal(err)
	}
	if hits := ix.Search(context.Background(), "evictOldest", nil, 5); slices.Contains(storeHitTexts(hits), "cache/lru.go:evictOldest") {
		t.Errorf("replaced chunk still found: %q", storeHitTexts(hits))
	}
	hits := ix.Search(context.Background(), "gizmo", storeFakeEmbed("gizmo brand new", storeDims), 5)
	if len(hits) == 0 || hits[0].Chunk.Name != "brandNewGizmo" || hits[0].Chunk.ID != ChunkID(cs[0].Text) {
		t.Errorf("new chunk not found first: %+v", hits)
	}
	if st := ix.Stats(); st.Chunks != before.Chunks-2 || st.Files != before.Files || st.Dims != storeDims || st.Bytes <= 0 {
		t.Errorf("stats %+v, before %+v", st, before)
	}
	if m, ok := ix.File("cache/lru.go"); !ok || !slices.Equal(m.ChunkIDs, []string{ChunkID(cs[0].Text)}) {
		t.Errorf("manifest %+v %v", m, ok)
	}

	ix.Remove("cache/lru.go")
	ix.Remove("no/such.go")
	if hits := ix.Search(context.Background(), "gizmo", storeFakeEmbed("gizmo", storeDims), 10); slices.ContainsFunc(hits, func(h Hit) bool { return h.Chunk.Path == "cache/lru.go" }) {
		t.Errorf("removed file still found: %q", storeHitTexts(hits))
	}
	if _, ok := ix.File("cache/lru.go"); ok {
		t.Error("removed file still in manifest")
	}
	if st := ix.Stats(); st.Files != before.Files-1 {
		t.Errorf("files %d, want %d", st.Files, before.Files-1)
	}
}

func TestUpsertErrors(t *testing.T) {
	ix := NewIndex(Options{})
	cs := []Chunk{{Text: "func a() {}"}}
	if err := ix.Upsert("a.go", cs, [][]float32{{1, 0, 0}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		chunks  []Chunk
		vectors [][]float32
		is      error
	}{
		{"other dims", cs, [][]float32{{1, 0}}, ErrDims},
		{"mixed dims", []Chunk{{Text: "x1"}, {Text: "x2"}}, [][]float32{{1, 0, 0}, {1, 0}}, ErrDims},
		{"count mismatch", cs, [][]float32{{1, 0, 0}, {0, 1, 0}}, nil},
	}
	for _, tt := range tests {
		err := ix.Upsert("b.go", tt.chunks, tt.vectors)
		if err == nil || tt.is != nil && !errors.Is(err, tt.is) {
			t.Errorf("%s: err %v, want %v", tt.name, err, tt.is)
		}
	}
	if _, ok := ix.File("b.go"); ok {
		t.Error("failed upsert changed the index")
	}
	// A zero vector is keyword-only, not an error.
	if err := ix.Upsert("c.go", []Chunk{{Text: "zeroVector"}}, [][]float32{{0, 0, 0}}); err != nil {
		t.Fatal(err)
	}
	if _, ok := ix.Vector("c.go", ChunkID("zeroVector")); ok {
		t.Error("zero vector stored")
	}
	if v, ok := ix.Vector("a.go", ChunkID("func a() {}")); !ok || math.Abs(float64(v[0])-1) > 1e-6 {
		t.Errorf("vector %v %v", v, ok)
	}
}

// TestCompaction churns files until slots are renumbered; searches stay right.
func TestCompaction(t *testing.T) {
	ix := NewIndex(Options{})
	for round := range 6 {
		for f := range 200 {
			text := fmt.Sprintf("func round%dFile%d() { commonWord() }", round, f)
			cs := []Chunk{{Text: text}, {Text: fmt.Sprintf("var unique%d_%d", round, f)}}
			if err := ix.Upsert(fmt.Sprintf("f%d.go", f), cs, storeFixtureVectors(cs, storeDims)); err != nil {
				t.Fatal(err)
			}
		}
	}
	ix.mu.RLock()
	slots, dead := len(ix.chunks), ix.dead
	ix.mu.RUnlock()
	if slots >= 6*400 || dead*4 > slots {
		t.Errorf("no compaction: %d slots, %d dead", slots, dead)
	}
	hits := ix.Search(context.Background(), "unique5_17", nil, 3)
	if len(hits) == 0 || hits[0].Chunk.ID != ChunkID("var unique5_17") || hits[0].Chunk.Path != "f17.go" {
		t.Errorf("after compaction: %q", storeHitTexts(hits))
	}
	if hits := ix.Search(context.Background(), "round2File3", nil, 3); len(hits) != 0 && hits[0].Chunk.Path == "f3.go" {
		t.Errorf("stale chunk found: %+v", hits[0].Chunk)
	}
	if st := ix.Stats(); st.Chunks != 400 || st.Files != 200 {
		t.Errorf("stats %+v", st)
	}
}

// TestConcurrentSearchDuringUpsert is for -race: many searches while one writer churns.
func TestConcurrentSearchDuringUpsert(t *testing.T) {
	ix, err := newStoreFixtureIndex(Options{}, storeDims)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var found sync.Map
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				q := storeFixture[(g+i)%len(storeFixture)].chunks[0]
				for _, h := range ix.Search(ctx, q, storeFakeEmbed(q, storeDims), 5) {
					if h.Chunk.ID == "" || h.Chunk.Path == "" {
						t.Errorf("empty hit %+v", h)
					}
					found.Store(h.Chunk.Path, true)
				}
				_ = ix.Stats()
			}
		}()
	}
	for i := range 300 {
		f := storeFixture[i%len(storeFixture)]
		cs := storeFixtureChunks(f)
		if i%3 == 0 {
			ix.Remove(f.path)
		}
		if err := ix.Upsert(f.path, cs, storeFixtureVectors(cs, storeDims)); err != nil {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
	if _, ok := found.Load("http/server.go"); !ok {
		t.Error("searches found nothing")
	}
}
