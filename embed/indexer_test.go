package embed

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, text := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// indexedTestRoot opens an indexer of root (saved under dir) over back and runs it once.
func indexedTestRoot(t *testing.T, root, dir string, back *fakeEmbedBackend, walk WalkOptions) *Indexer {
	t.Helper()
	emb := newTestEmbedder(t, back, nil, EmbedderConfig{Model: "nomic-embed-text"})
	x, err := OpenIndexer(context.Background(), IndexerConfig{Root: root, Dir: dir, Walk: walk}, emb)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	if _, err := x.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return x
}

func sentText(b *fakeEmbedBackend) string {
	var all []string
	for _, call := range b.recorded() {
		all = append(all, call...)
	}
	return strings.Join(all, "\n")
}

// TestIndexerIncrementalAndRestart: a workspace is indexed once; secret and ignored files never
// reach the model; an unchanged re-run and a restarted process make zero embedding calls; an
// edit re-embeds only the changed chunk; a deleted file leaves the index.
func TestIndexerIncrementalAndRestart(t *testing.T) {
	root, dir := t.TempDir(), t.TempDir()
	writeFiles(t, root, map[string]string{
		"a.go":       "package a\n\n// Add adds.\nfunc Add(a, b int) int { return a + b }\n\n// Sub subtracts.\nfunc Sub(a, b int) int { return a - b }\n",
		"b/b.go":     "package b\n\nfunc ParseConfig(path string) error { return nil }\n",
		".env":       "API_KEY=sk-live-SECRET\n",
		"id_rsa":     "-----BEGIN OPENSSH PRIVATE KEY-----\nKEYMATERIAL\n",
		".gitignore": "build/\n",
		"build/x.go": "package build\n\nfunc IgnoredBuildOutput() {}\n",
	})
	back := &fakeEmbedBackend{dim: 16}
	emb := newTestEmbedder(t, back, nil, EmbedderConfig{Model: "nomic-embed-text"})
	ctx := context.Background()
	open := func() *Indexer {
		x, err := OpenIndexer(ctx, IndexerConfig{Root: root, Dir: dir}, emb)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	x := open()
	var reports int
	st, err := x.Run(ctx, func(done, total int) { reports++ })
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != 3 || st.Indexed != 3 || st.Embedded == 0 || reports == 0 { // a.go, b/b.go, .gitignore
		t.Fatalf("first run = %+v (reports %d)", st, reports)
	}
	sent := sentText(back)
	for _, secret := range []string{"sk-live-SECRET", "KEYMATERIAL", "IgnoredBuildOutput"} {
		if strings.Contains(sent, secret) {
			t.Fatalf("%q reached the embedding model", secret)
		}
	}
	if hits, _ := x.Search(ctx, "ParseConfig", 3); len(hits) == 0 || hits[0].Chunk.Path != "b/b.go" {
		t.Fatalf("search = %+v", hits)
	}

	calls := len(back.recorded())
	if st, err = x.Run(ctx, nil); err != nil || st.Unchanged != 3 || st.Embedded != 0 || len(back.recorded()) != calls {
		t.Fatalf("unchanged re-run = %+v, %v (calls %d → %d)", st, err, calls, len(back.recorded()))
	}

	// Edit one function: only its chunk is embedded again.
	time.Sleep(10 * time.Millisecond) // a new mtime on filesystems with coarse timestamps
	writeFiles(t, root, map[string]string{"a.go": "package a\n\n// Add adds.\nfunc Add(a, b int) int { return a + b }\n\n// Sub subtracts b.\nfunc Sub(a, b int) int { return a - b - 0 }\n"})
	before := len(back.recorded())
	st, err = x.Run(ctx, nil)
	if err != nil || st.Indexed != 1 || st.Embedded != 1 {
		t.Fatalf("after an edit = %+v, %v; want one file re-chunked and one chunk embedded", st, err)
	}
	if got := sentText(&fakeEmbedBackend{calls: back.recorded()[before:]}); !strings.Contains(got, "a - b - 0") || strings.Contains(got, "a + b") {
		t.Fatalf("re-embedded %q", got)
	}

	// Delete a file.
	if err := os.Remove(filepath.Join(root, "b", "b.go")); err != nil {
		t.Fatal(err)
	}
	if st, err = x.Run(ctx, nil); err != nil || st.Removed != 1 {
		t.Fatalf("after a delete = %+v, %v", st, err)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}

	// A restarted process: loads the saved index, zero embedding calls.
	before = len(back.recorded())
	y := open()
	defer y.Close()
	if y.ReadOnly() {
		t.Fatal("the claim was not released")
	}
	if st, err = y.Run(ctx, nil); err != nil || st.Embedded != 0 || len(back.recorded()) != before || st.Chunks == 0 {
		t.Fatalf("after a restart = %+v, %v (calls %d → %d)", st, err, before, len(back.recorded()))
	}
	// A second process on the same workspace reads the owner's index.
	z := open()
	defer z.Close()
	if !z.ReadOnly() {
		t.Fatal("two writers on one index directory")
	}
	if st, err = z.Run(ctx, nil); err != nil || !st.ReadOnly || st.Chunks != y.Index().Stats().Chunks {
		t.Fatalf("read-only run = %+v, %v", st, err)
	}
}

// TestIndexerRemovesStaleTempFiles: a save that crashed leaves index-*.tmp behind (it can be
// hundreds of MB); the next owner removes it.
func TestIndexerRemovesStaleTempFiles(t *testing.T) {
	root, dir := t.TempDir(), t.TempDir()
	stale := filepath.Join(dir, "index-123.tmp")
	if err := os.WriteFile(stale, []byte("half a save"), 0o600); err != nil {
		t.Fatal(err)
	}
	emb := newTestEmbedder(t, &fakeEmbedBackend{dim: 8}, nil, EmbedderConfig{Model: "nomic-embed-text"})
	x, err := OpenIndexer(context.Background(), IndexerConfig{Root: root, Dir: dir}, emb)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("stale temp file still there: %v", err)
	}
}

// TestSearchTextsComeFromTheFiles: the index keeps no texts; a hit's text is read back from its
// file, and a hit whose file changed (edited, replaced by a secret, removed) since it was
// indexed is left out rather than returning text that was never indexed.
func TestSearchTextsComeFromTheFiles(t *testing.T) {
	root, dir := t.TempDir(), t.TempDir()
	const parse = "func ParseConfig(path string) error {\n\treturn nil\n}"
	writeFiles(t, root, map[string]string{
		"a.go": "package a\n\n" + parse + "\n",
		"b.go": "package b\n\nfunc LoadConfig() error { return ParseConfig(\"x\") }\n",
		"c.go": "package c\n\nfunc ParseConfigFile() {}\n",
	})
	ctx := context.Background()
	x := indexedTestRoot(t, root, dir, &fakeEmbedBackend{dim: 16}, WalkOptions{})
	for i := range x.ix.chunks {
		if x.ix.chunks[i].Text != "" {
			t.Fatalf("the index holds a text: %q", x.ix.chunks[i].Text)
		}
	}
	find := func(path string) (Hit, int) { // the hit of path's function (not its header)
		hits, err := x.Search(ctx, "ParseConfig", 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hits {
			if h.Chunk.Path == path && h.Chunk.Kind == "func" {
				return h, len(hits)
			}
		}
		return Hit{}, len(hits)
	}
	if h, _ := find("a.go"); h.Chunk.Text != parse {
		t.Fatalf("a.go hit text %q, want %q", h.Chunk.Text, parse)
	}
	// Replaced on disk, not re-indexed yet: the old hit is gone, the others stay.
	writeFiles(t, root, map[string]string{"a.go": "package a\n\nAPI_KEY=sk-live-SECRET\nfunc ParseConfig(path string) error {\n"})
	h, n := find("a.go")
	if h.Chunk.Path != "" || n == 0 {
		t.Fatalf("stale hit %+v (of %d)", h, n)
	}
	if h, _ := find("c.go"); !strings.Contains(h.Chunk.Text, "ParseConfigFile") {
		t.Fatalf("c.go hit %+v", h)
	}
	if err := os.Remove(filepath.Join(root, "c.go")); err != nil {
		t.Fatal(err)
	}
	if h, _ := find("c.go"); h.Chunk.Path != "" {
		t.Fatalf("hit of a removed file %+v", h)
	}
}
