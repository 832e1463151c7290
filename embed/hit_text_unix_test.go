//go:build unix

package embed

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestIndexerNeverLeavesTheRoot: a file reached through a symlinked directory is not indexed
// by an update (it may be anything outside the workspace), and a search does not open what an
// indexed path became: a FIFO (which would block), a link out of the root (even to the same
// text), or a file under a directory swapped for a symlink.
func TestIndexerNeverLeavesTheRoot(t *testing.T) {
	root, dir, outside := t.TempDir(), t.TempDir(), t.TempDir()
	const fifoText = "package f\n\nfunc FifoTarget() {}\n"
	const linkText = "package l\n\nfunc LinkTarget() {}\n"
	const subText = "package s\n\nfunc SubTarget() {}\n"
	writeFiles(t, root, map[string]string{"f.go": fifoText, "l.go": linkText, "sub/s.go": subText})
	writeFiles(t, outside, map[string]string{"credentials": "aws_secret_access_key = OUTSIDESECRET\n", "l.go": linkText, "s.go": subText})
	if err := os.Symlink(outside, filepath.Join(root, "ext")); err != nil {
		t.Fatal(err)
	}
	back := &fakeEmbedBackend{dim: 16}
	ctx := context.Background()
	x := indexedTestRoot(t, root, dir, back, WalkOptions{})
	if _, err := x.Update(ctx, []string{filepath.Join(root, "ext", "credentials")}); err != nil {
		t.Fatal(err)
	}
	if _, ok := x.ix.File("ext/credentials"); ok || strings.Contains(sentText(back), "OUTSIDESECRET") {
		t.Fatal("a file behind a symlinked directory was indexed")
	}

	// Swap what the indexed paths are, without telling the indexer.
	if err := os.Remove(filepath.Join(root, "f.go")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "f.go"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(root, "l.go")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "l.go"), filepath.Join(root, "l.go")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(root, "sub")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "sub")); err != nil {
		t.Fatal(err)
	}
	var opened []string
	x.walker.openFile = func(name string) (*os.File, error) {
		opened = append(opened, name)
		return x.walker.openBeneath(name)
	}
	done := make(chan []Hit)
	go func() {
		hits, _ := x.Search(ctx, "FifoTarget LinkTarget SubTarget", 10)
		done <- hits
	}()
	select {
	case hits := <-done:
		for _, h := range hits {
			if h.Chunk.Kind == "func" {
				t.Errorf("hit %s %q read through a swapped path", h.Chunk.Path, h.Chunk.Text)
			}
		}
	case <-time.After(10 * time.Second):
		t.Fatal("search blocked on a FIFO")
	}
	for _, o := range opened {
		if strings.HasSuffix(o, "l.go") || strings.HasSuffix(o, "s.go") {
			t.Errorf("opened %s through a link out of the root", o)
		}
	}
}
