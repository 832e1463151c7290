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
