// Package e2e runs real processes: the built mimi-lsp binary, a real Ollama (built from its Go
// module, serving the project's tiny deterministic models) and a real Neovim.
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

var binary string // the mimi-lsp binary under test

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mimi-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "mimi-lsp")
	build := exec.Command("go", "build", "-o", binary, "../cmd/mimi-lsp")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building mimi-lsp:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
