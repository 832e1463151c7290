package embed

import (
	"fmt"
	"hash/fnv"
	"regexp"
)

var storeDeclName = regexp.MustCompile(`^(?:func (?:\([^)]*\) )?|type )(\w+)`)

// storeFakeEmbed is a deterministic embedder: a bag of hashed identifier terms, so texts that share
// identifiers are close.
func storeFakeEmbed(text string, dims int) []float32 {
	v := make([]float32, dims)
	tokenize(text, func(t string) {
		h := fnv.New64a()
		h.Write([]byte(t))
		x := h.Sum64()
		sign := float32(1)
		if x>>63 == 1 {
			sign = -1
		}
		v[x%uint64(dims)] += sign
	})
	return v
}

// storeFixtureFile is one file of the retrieval storeFixture.
type storeFixtureFile struct {
	path   string
	chunks []string
}

var storeFixture = []storeFixtureFile{
	{"http/server.go", []string{
		"func (s *Server) ListenAndServe(addr string) error { ln, err := net.Listen(\"tcp\", addr); return s.Serve(ln) }",
		"func (s *Server) Shutdown(ctx context.Context) error { s.closeIdleConns(); return nil }",
		"type Server struct { Addr string; Handler Handler; ReadTimeout time.Duration }",
	}},
	{"http/request.go", []string{
		"func parseHTTPRequest(r *bufio.Reader) (*Request, error) { line, err := r.ReadString('\\n'); return parseRequestLine(line) }",
		"type Request struct { Method string; URL *url.URL; Header Header; Body io.ReadCloser }",
	}},
	{"cache/lru.go", []string{
		"func (c *lruCache) Get(key string) (value []byte, ok bool) { e, ok := c.items[key]; c.moveToFront(e); return e.value, ok }",
		"func (c *lruCache) evictOldest() { e := c.tail; delete(c.items, e.key); c.unlink(e) }",
		"func newLRUCache(capacity int) *lruCache { return &lruCache{items: map[string]*entry{}, capacity: capacity} }",
	}},
	{"store/sqlite.go", []string{
		"func openSQLiteDatabase(path string) (*sql.DB, error) { return sql.Open(\"sqlite\", path) }",
		"func (s *Store) InsertUserRecord(ctx context.Context, u User) error { _, err := s.db.ExecContext(ctx, insertUserSQL, u.Name, u.Email); return err }",
	}},
	{"auth/token.go", []string{
		"func signJWTToken(claims Claims, key []byte) (string, error) { return jwt.Sign(claims, key) }",
		"func verify_refresh_token(tok string) bool { return strings.HasPrefix(tok, \"rt_\") }",
	}},
	{"util/strings.go", []string{
		"func reverseString(s string) string { r := []rune(s); slices.Reverse(r); return string(r) }",
		"func toSnakeCase(name string) string { return strings.ToLower(name) }",
	}},
	{"math/matrix.go", []string{
		"func multiplyMatrix(a, b [][]float64) [][]float64 { out := make([][]float64, len(a)); return out }",
		"func transposeMatrix(m [][]float64) [][]float64 { return m }",
	}},
	{"log/logger.go", []string{
		"func (l *Logger) Infof(format string, args ...any) { l.output(levelInfo, fmt.Sprintf(format, args...)) }",
		"func (l *Logger) SetOutputWriter(w io.Writer) { l.mu.Lock(); l.w = w; l.mu.Unlock() }",
	}},
}

func storeFixtureChunks(f storeFixtureFile) []Chunk {
	out := make([]Chunk, len(f.chunks))
	for i, t := range f.chunks {
		name := ""
		if m := storeDeclName.FindStringSubmatch(t); m != nil {
			name = m[1]
		}
		out[i] = Chunk{ID: ChunkID(t), Path: f.path, StartLine: i * 10, EndLine: i*10 + 5, Kind: "func", Name: name, Text: t}
	}
	return out
}

func storeFixtureVectors(chunks []Chunk, dims int) [][]float32 {
	vs := make([][]float32, len(chunks))
	for i, c := range chunks {
		vs[i] = storeFakeEmbed(c.Text, dims)
	}
	return vs
}

// newStoreFixtureIndex indexes the storeFixture with fake vectors of dims dimensions.
func newStoreFixtureIndex(opts Options, dims int) (*Index, error) {
	ix := NewIndex(opts)
	for _, f := range storeFixture {
		cs := storeFixtureChunks(f)
		if err := ix.Upsert(f.path, cs, storeFixtureVectors(cs, dims)); err != nil {
			return nil, fmt.Errorf("upsert %s: %w", f.path, err)
		}
	}
	return ix, nil
}

func storeHitTexts(hits []Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.Chunk.Path + ":" + h.Chunk.Name
	}
	return out
}
