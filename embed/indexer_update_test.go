package embed

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestIndexerUpdate: single-file updates index created and changed files, drop deleted files,
// deleted directories and files that became secret or ignored, leave files they were not told
// about alone (no walk), and fall back to a full run for an ignore file or a new directory.
func TestIndexerUpdate(t *testing.T) {
	root, dir := t.TempDir(), t.TempDir()
	writeFiles(t, root, map[string]string{
		"a.go":     "package a\n\nfunc Alpha() {}\n",
		"d/d1.go":  "package d\n\nfunc Delta1() {}\n",
		"d/d2.go":  "package d\n\nfunc Delta2() {}\n",
		"keep.go":  "package k\n\nfunc Keep() {}\n",
		"token.go": "package t\n\nfunc Token() {}\n",
	})
	back := &fakeEmbedBackend{dim: 16}
	ctx := context.Background()
	x := indexedTestRoot(t, root, dir, back, WalkOptions{Ignore: []string{"ignored/"}})
	abs := func(rel string) string { return filepath.Join(root, filepath.FromSlash(rel)) }
	paths := func() []string {
		var out []string
		for p := range x.ix.Files() {
			out = append(out, p)
		}
		slices.Sort(out)
		return out
	}

	time.Sleep(10 * time.Millisecond) // new mtimes on coarse filesystems
	writeFiles(t, root, map[string]string{
		"a.go":           "package a\n\nfunc Alpha() { changed() }\n",
		"b.go":           "package b\n\nfunc Beta() {}\n",
		"unmentioned.go": "package u\n\nfunc Unmentioned() {}\n",
	})
	if err := os.RemoveAll(filepath.Join(root, "d")); err != nil {
		t.Fatal(err)
	}
	// A file renamed to a secret name (the client reports both ends of the move).
	if err := os.Rename(abs("token.go"), abs("id_rsa")); err != nil {
		t.Fatal(err)
	}
	before := len(back.recorded())
	st, err := x.Update(ctx, []string{abs("a.go"), abs("b.go"), abs("d"), abs("token.go"), abs("id_rsa"), "/elsewhere/x.go"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Indexed != 2 || st.Removed != 3 || st.Embedded != 3 || st.CacheHits != 1 {
		t.Fatalf("update = %+v; want 2 indexed (a, b), 3 removed (d/d1, d/d2, token), 3 embedded (Alpha, b's header and Beta), a's header reused", st)
	}
	if got := strings.Join(paths(), " "); got != "a.go b.go keep.go" {
		t.Fatalf("indexed after the update: %s", got)
	}
	for _, call := range back.recorded()[before:] {
		for _, in := range call {
			if strings.Contains(in, "Unmentioned") || strings.Contains(in, "Token") {
				t.Fatalf("%q embedded: the update walked or read a secret", in)
			}
		}
	}
	// A saved index survives a restart with the update in it.
	y := NewIndex(Options{})
	if err := y.Load(ctx, dir); err != nil || len(y.Files()) != 3 {
		t.Fatalf("reloaded %d files, %v", len(y.Files()), err)
	}

	// Folders and ignore files inside ignored folders (git's objects, dependencies) are no
	// reason to re-walk: unmentioned.go stays unindexed.
	writeFiles(t, root, map[string]string{".git/objects/ab/cdef": "blob", "node_modules/pkg/.gitignore": "dist/\n"})
	if st, err := x.Update(ctx, []string{abs(".git/objects/ab"), abs("node_modules/pkg/.gitignore"), abs(".git/index")}); err != nil || st.Changed() {
		t.Fatalf("update for ignored paths = %+v, %v", st, err)
	}
	if slices.Contains(paths(), "unmentioned.go") {
		t.Fatal("an event in an ignored folder re-walked the workspace")
	}

	// An ignore file or a new directory: a full run (which finds unmentioned.go too).
	writeFiles(t, root, map[string]string{".mimiignore": "keep.go\n"})
	if _, err := x.Update(ctx, []string{abs(".mimiignore")}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(paths(), " "); got != ".mimiignore a.go b.go unmentioned.go" {
		t.Fatalf("after an ignore file changed: %s", got)
	}
	writeFiles(t, root, map[string]string{"n/new.go": "package n\n\nfunc New() {}\n"})
	if _, err := x.Update(ctx, []string{abs("n")}); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(paths(), "n/new.go") {
		t.Fatalf("a new directory not indexed: %s", paths())
	}
}
