package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/internal/ollamatest"
)

// TestNeovimGetsCompletion starts mimi-lsp through a real headless Neovim's LSP client.
func TestNeovimGetsCompletion(t *testing.T) {
	nvim, err := exec.LookPath("nvim")
	if err != nil {
		if ollamatest.RequireAll() {
			t.Fatal("Neovim required (MIMI_REQUIRE_ALL=1): apt-get install -y neovim")
		}
		t.Skip("SKIPPING Neovim test: nvim not installed (apt-get install -y neovim)")
	}
	ol := ollamatest.StartT(t)
	dir := t.TempDir()
	src, err := os.ReadFile("../examples/add.go")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "add.go")
	if err := os.WriteFile(file, src, 0o644); err != nil {
		t.Fatal(err)
	}
	script, _ := filepath.Abs("testdata/nvim_completion.lua")
	outFile := filepath.Join(dir, "out.txt")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, nvim, "--headless", "--clean", "-n", "-i", "NONE", "-c", "luafile "+script)
	cmd.Env = append(os.Environ(),
		"MIMI_NVIM_OUT="+outFile, "MIMI_NVIM_FILE="+file, "MIMI_NVIM_ROOT="+dir,
		"MIMI_BIN="+binary, "OLLAMA_HOST="+ol.URL, "HOME="+dir, "XDG_STATE_HOME="+dir, "XDG_CACHE_HOME="+dir)
	combined, err := cmd.CombinedOutput()
	got, _ := os.ReadFile(outFile)
	if err != nil {
		t.Fatalf("nvim: %v\n%s\nscript output:\n%s", err, combined, got)
	}
	want := "item " + ollamatest.Answer + "|" + ollamatest.Answer
	if !strings.Contains(string(got), "initialized true") || !strings.Contains(string(got), want) {
		t.Fatalf("Neovim did not get the completion %q; script output:\n%s\nnvim output:\n%s\nollama log tail:\n%s", want, got, combined, ol.Tail())
	}
	t.Logf("neovim:\n%s", got)
}
