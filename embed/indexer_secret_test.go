package embed

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pemKey is a private key in PEM form, built at run time (so this file holds none).
func pemKey() string {
	return "-----BEGIN RSA PRIVATE KEY-----\n" + strings.Repeat(strings.Repeat("Qm9n", 16)+"\n", 4) + "-----END RSA PRIVATE KEY-----\n"
}

// TestIndexerLeavesOutFilesHoldingCredentials: a file with an innocent name that holds a
// private key is not indexed and none of its text reaches the embedding model; a file that
// gains one later leaves the index on its next update.
func TestIndexerLeavesOutFilesHoldingCredentials(t *testing.T) {
	root, dir := t.TempDir(), t.TempDir()
	writeFiles(t, root, map[string]string{
		"config.go": "package config\n\n// KeyMarker\nconst key = `" + pemKey() + "`\n",
		"main.go":   "package main\n\nfunc MainMarker() {}\n",
	})
	back := &fakeEmbedBackend{dim: 16}
	x := indexedTestRoot(t, root, dir, back, WalkOptions{})
	if _, ok := x.ix.File("config.go"); ok || strings.Contains(sentText(back), "KeyMarker") || strings.Contains(sentText(back), "PRIVATE") {
		t.Fatal("a file holding a private key was indexed")
	}
	if _, ok := x.ix.File("main.go"); !ok {
		t.Fatal("main.go not indexed")
	}
	p := filepath.Join(root, "main.go")
	if err := os.WriteFile(p, []byte("package main\n\n// MainMarker\nvar k = `"+pemKey()+"`\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := x.Update(context.Background(), []string{p}); err != nil {
		t.Fatal(err)
	}
	if _, ok := x.ix.File("main.go"); ok {
		t.Fatal("a file that gained a private key stayed in the index")
	}
	hits, err := x.Search(context.Background(), "MainMarker KeyMarker", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) > 0 {
		t.Fatalf("search returned %v", hits)
	}
}
