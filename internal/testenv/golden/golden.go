// Package golden reads and writes the txtar golden files of tests: named sections and an
// "options" section of key=value lines.
package golden

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// Section returns a file's content without the newline txtar adds after it.
func Section(a *txtar.Archive, name string) (string, bool) {
	for _, f := range a.Files {
		if f.Name == name {
			return strings.TrimSuffix(string(f.Data), "\n"), true
		}
	}
	return "", false
}

// SetSection replaces (or appends) a section.
func SetSection(a *txtar.Archive, name, val string) {
	for i, f := range a.Files {
		if f.Name == name {
			a.Files[i].Data = []byte(val + "\n")
			return
		}
	}
	a.Files = append(a.Files, txtar.File{Name: name, Data: []byte(val + "\n")})
}

// Options parses the "options" section's key=value lines.
func Options(a *txtar.Archive) map[string]string {
	out := map[string]string{}
	s, _ := Section(a, "options")
	for _, l := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), "="); ok {
			out[k] = v
		}
	}
	return out
}

// T is the part of testing.TB the runner needs (golden does not import testing).
type T interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Errorf(format string, args ...any)
}

// Check compares got with the archive's "want" section, or (update) writes it into the file.
func Check(t T, file string, a *txtar.Archive, got string, update bool) {
	t.Helper()
	if update {
		SetSection(a, "want", got)
		if err := os.WriteFile(file, txtar.Format(a), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, ok := Section(a, "want")
	if !ok {
		t.Fatal("no want section (run with -update)")
	}
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// Each runs fn as a subtest (named for the file) on every archive matching pattern, after
// checking there are at least min of them.
func Each(t *testing.T, pattern string, min int, fn func(t *testing.T, file string, a *txtar.Archive)) {
	t.Helper()
	files, _ := filepath.Glob(pattern)
	if len(files) < min {
		t.Fatalf("only %d golden files match %s", len(files), pattern)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			a, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			fn(t, file, a)
		})
	}
}
