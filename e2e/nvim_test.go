package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/internal/testenv/ollamatest"
)

// runNeovim runs a Lua script in a real headless Neovim whose LSP client starts mimi-lsp on a
// copy of examples/add.go, against a private Ollama; it returns what the script wrote.
func runNeovim(t *testing.T, script string) (string, *ollamatest.Server) {
	t.Helper()
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
	for name, text := range map[string]string{"other.go": "package main\n", "other.c": "int one(void) { return 1; }\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	scriptPath, _ := filepath.Abs(script)
	rtp, _ := filepath.Abs("../editors/neovim") // the shipped config, not a copy
	outFile := filepath.Join(dir, "out.txt")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, nvim, "--headless", "--clean", "-n", "-i", "NONE", "-c", "luafile "+scriptPath)
	cmd.Env = append(os.Environ(),
		"MIMI_NVIM_OUT="+outFile, "MIMI_NVIM_FILE="+file, "MIMI_NVIM_ROOT="+dir, "MIMI_NVIM_RTP="+rtp,
		"MIMI_BIN="+binary, "OLLAMA_HOST="+ol.URL, "HOME="+dir, "XDG_STATE_HOME="+dir, "XDG_CACHE_HOME="+dir)
	combined, err := cmd.CombinedOutput()
	got, _ := os.ReadFile(outFile)
	if err != nil {
		t.Fatalf("nvim: %v\n%s\nscript output:\n%s", err, combined, got)
	}
	t.Logf("neovim:\n%s", got)
	return string(got), ol
}

// TestNeovimGetsCompletion starts mimi-lsp through a real headless Neovim's LSP client.
func TestNeovimGetsCompletion(t *testing.T) {
	got, ol := runNeovim(t, "testdata/nvim_completion.lua")
	want := "item " + ollamatest.Answer + "|" + ollamatest.Answer
	if !strings.Contains(got, "initialized true") || !strings.Contains(got, want) {
		t.Fatalf("Neovim did not get the completion %q; script output:\n%s\nollama log tail:\n%s", want, got, ol.Tail())
	}
}

// TestNeovimRunsCodeAction: Neovim's own client lists mimi's AI actions, resolves "AI: Rewrite
// add" on the real Ollama (the tiny action model) and applies the edit itself.
func TestNeovimRunsCodeAction(t *testing.T) {
	got, ol := runNeovim(t, "testdata/nvim_action.lua")
	if !strings.Contains(got, "action AI: Rewrite add") || !strings.Contains(got, "\treturn a + b\\n}") {
		t.Fatalf("Neovim did not apply the rewrite; script output:\n%s\nollama log tail:\n%s", got, ol.Tail())
	}
}

// TestNeovimAcceptsWithTheShippedConfig: Neovim 0.7 loads editors/neovim as a user would
// (require('mimi').setup), runs one mimi-lsp for two files of one workspace, and a suggestion
// accepted from the completion menu (<C-x><C-o>, <C-y>) is counted by the server.
func TestNeovimAcceptsWithTheShippedConfig(t *testing.T) {
	got, ol := runNeovim(t, "testdata/nvim_accept.lua")
	for _, want := range []string{"native config cmd mimi-lsp on_attach function", "clients 1 buffers of the first 2", "line \treturn " + ollamatest.Answer, "accepted=1",
		"c omnifunc v:lua.vim.lsp.omnifunc clients 1"} {
		if !strings.Contains(got, want) {
			t.Fatalf("want %q; script output:\n%s\nollama log tail:\n%s", want, got, ol.Tail())
		}
	}
}
