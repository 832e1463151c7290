//go:build unix

package lsp

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/mimi-lsp/mimi-lsp/config"
)

func testFileServer(t *testing.T, remote bool, root string) *Server {
	t.Helper()
	s, err := New(Options{Config: config.Default(), Remote: remote,
		NewService: func(config.Config) (Service, error) { return &problemService{}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	s.roots, s.root = []string{root}, root
	return s
}

// TestTestFileReadThroughTheWalkRules: "Generate tests" reads an existing test file only when
// the workspace walk would: a test file that is a link to a credentials file outside the
// workspace, a link to a secret inside it, or a FIFO is refused (never read, never blocks),
// even when the editor has it open; an ordinary one is read; a missing one is new.
func TestTestFileReadThroughTheWalkRules(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	write := func(p, text string) {
		t.Helper()
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte(text), 0o644))
	}
	write(filepath.Join(outside, "credentials"), "[default]\nOUTSIDESECRET\n")
	write(filepath.Join(root, ".env"), "INSIDESECRET=1\n")
	write(filepath.Join(root, "ok", "ok_test.go"), "package ok\n\nfunc TestOK(t *testing.T) {}\n")
	must(t, os.MkdirAll(filepath.Join(root, "out"), 0o755))
	must(t, os.Symlink(filepath.Join(outside, "credentials"), filepath.Join(root, "out", "out_test.go")))
	must(t, os.MkdirAll(filepath.Join(root, "env"), 0o755))
	must(t, os.Symlink(filepath.Join(root, ".env"), filepath.Join(root, "env", "env_test.go")))
	must(t, os.MkdirAll(filepath.Join(root, "fifo"), 0o755))
	must(t, syscall.Mkfifo(filepath.Join(root, "fifo", "fifo_test.go"), 0o644))
	must(t, os.MkdirAll(filepath.Join(root, "new"), 0o755))

	s := testFileServer(t, false, root)
	doc := func(dir string) *Document {
		return NewDocument(fileURI(filepath.Join(root, dir, dir+".go")), "go", 1, "package "+dir+"\n")
	}
	for _, dir := range []string{"out", "env", "fifo"} {
		tf, err := s.findTestFile(doc(dir))
		if err == nil || strings.Contains(tf.text, "SECRET") {
			t.Errorf("%s: test file read (%q, %v); want refused", dir, tf.text, err)
		}
	}
	// Open in the editor (which followed the link): the path's rules still apply.
	open := NewDocument(fileURI(filepath.Join(root, "out", "out_test.go")), "go", 3, "[default]\nOUTSIDESECRET\n")
	s.docs.put(open)
	if tf, err := s.findTestFile(doc("out")); err == nil || strings.Contains(tf.text, "SECRET") {
		t.Errorf("open link out of the workspace: %q, %v; want refused", tf.text, err)
	}
	if tf, err := s.findTestFile(doc("ok")); err != nil || !strings.Contains(tf.text, "TestOK") || tf.version != nil {
		t.Errorf("ordinary test file: %+v, %v", tf, err)
	}
	if tf, err := s.findTestFile(doc("new")); err != nil || tf.text != "" {
		t.Errorf("missing test file: %+v, %v; want a new one", tf, err)
	}
}

// TestRemoteSessionReadsNoTestFile: over TCP (Options.Remote) the test file on disk is never
// read, whatever it is; the editor's open copy is used.
func TestRemoteSessionReadsNoTestFile(t *testing.T) {
	root := t.TempDir()
	must(t, os.WriteFile(filepath.Join(root, "p_test.go"), []byte("package p\n\nfunc TestOnDisk(t *testing.T) {}\n"), 0o644))
	s := testFileServer(t, true, root)
	d := NewDocument(fileURI(filepath.Join(root, "p.go")), "go", 1, "package p\n")
	if tf, err := s.findTestFile(d); err != nil || tf.text != "" {
		t.Fatalf("remote session read the disk: %+v, %v", tf, err)
	}
	s.docs.put(NewDocument(fileURI(filepath.Join(root, "p_test.go")), "go", 7, "package p\n\nfunc TestInEditor(t *testing.T) {}\n"))
	if tf, err := s.findTestFile(d); err != nil || !strings.Contains(tf.text, "TestInEditor") || tf.version == nil || *tf.version != 7 {
		t.Fatalf("remote session, open test file: %+v, %v", tf, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
