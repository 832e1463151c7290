//go:build unix

package embed

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestIndexerReadsWhatTheWalkChecked: files swapped between the walk's checks and the read
// that indexes them: a FIFO (which would block the indexer and its shutdown), a symlink
// re-pointed out of the root, a regular file replaced by a link to a secret inside the root.
// None is read; the indexer does not block.
func TestIndexerReadsWhatTheWalkChecked(t *testing.T) {
	root, dir, outside := t.TempDir(), t.TempDir(), t.TempDir()
	writeFiles(t, root, map[string]string{
		"f.go": "package f\n\nfunc Fifo() {}\n", "l.go": "package l\n\nfunc Link() {}\n",
		"target.go": "package l\n\nfunc Target() {}\n", "r.go": "package r\n\nfunc Regular() {}\n",
		".env": "TOKEN=INSIDESECRET\n",
	})
	writeFiles(t, outside, map[string]string{"credentials": "OUTSIDESECRET\n"})
	if err := os.Remove(filepath.Join(root, "l.go")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "target.go"), filepath.Join(root, "l.go")); err != nil {
		t.Fatal(err)
	}
	x := indexedTestRoot(t, root, dir, &fakeEmbedBackend{dim: 16}, WalkOptions{})
	files, err := x.walker.Walk(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]File{}
	for _, f := range files {
		byPath[f.Path] = f
	}
	for _, p := range []string{"f.go", "l.go", "r.go"} {
		if _, ok := byPath[p]; !ok {
			t.Fatalf("the walk did not accept %s: %v", p, files)
		}
		x.ix.Remove(p) // so that prepare reads it again
	}

	// After the walk: f.go becomes a FIFO, l.go points out of the root, r.go is a link to .env.
	must(t, os.Remove(filepath.Join(root, "f.go")))
	must(t, syscall.Mkfifo(filepath.Join(root, "f.go"), 0o644))
	must(t, os.Remove(filepath.Join(root, "l.go")))
	must(t, os.Symlink(filepath.Join(outside, "credentials"), filepath.Join(root, "l.go")))
	must(t, os.Remove(filepath.Join(root, "r.go")))
	must(t, os.Symlink(filepath.Join(root, ".env"), filepath.Join(root, "r.go")))

	done := make(chan string)
	go func() {
		var read []string
		for _, p := range []string{"f.go", "l.go", "r.go"} {
			var st RunStats
			if pend, err := x.prepare(byPath[p], &st); err == nil && pend != nil {
				for _, c := range pend.chunks {
					read = append(read, c.Text)
				}
			}
		}
		done <- strings.Join(read, "\n")
	}()
	select {
	case read := <-done:
		if strings.Contains(read, "SECRET") {
			t.Fatalf("read through a swapped path:\n%s", read)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("indexing blocked on a FIFO swapped in after the walk")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestOpenRefusesASwapDuringTheOpen: the file is replaced by a link to a secret inside the
// workspace after the checks and before the open (os.Root follows links that stay inside);
// Open refuses what it did not check.
func TestOpenRefusesASwapDuringTheOpen(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"a.go": "package a\n", ".env": "TOKEN=INSIDESECRET\n"})
	w, err := NewWalker(root, WalkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.openFile = func(rel string) (*os.File, error) {
		must(t, os.Remove(filepath.Join(root, "a.go")))
		must(t, os.Symlink(filepath.Join(root, ".env"), filepath.Join(root, "a.go")))
		return w.openBeneath(rel)
	}
	if f, err := w.Open("a.go"); err == nil {
		b := make([]byte, 64)
		n, _ := f.Read(b)
		f.Close()
		t.Fatalf("opened the swapped file: %q", b[:n])
	}
}
