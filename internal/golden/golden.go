// Package golden reads and writes the txtar golden files of tests: named sections and an
// "options" section of key=value lines.
package golden

import (
	"strings"

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
