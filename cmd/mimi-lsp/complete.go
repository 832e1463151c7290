package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mimi-lsp/mimi-lsp/completion"
	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/internal/wiring"
	"github.com/mimi-lsp/mimi-lsp/lsp"
	"github.com/mimi-lsp/mimi-lsp/model"
)

// complete prints the suggestion an editor would get at FILE:LINE:COL (1-based; COL counts
// bytes, as compilers print it). The suggestion goes to stdout, details to stderr.
func complete(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer, log *slog.Logger) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: mimi-lsp complete [flags] FILE:LINE:COL   (1-based, e.g. main.go:12:9)")
		return 2
	}
	file, line, col, err := parseLocation(args[0])
	if err != nil {
		fmt.Fprintf(stderr, "mimi-lsp complete: %v\n", err)
		return 2
	}
	data, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintf(stderr, "mimi-lsp complete: %v\n", err)
		return 1
	}
	doc := lsp.NewDocument(fileURIOf(file), languageOf(file), 1, string(data))
	if line > doc.LineCount() {
		fmt.Fprintf(stderr, "mimi-lsp complete: line %d is past the end of %s (%d lines)\n", line, file, doc.LineCount())
		return 2
	}
	off, err := doc.Offset(lsp.Position{Line: uint32(line - 1), Character: uint32(col - 1)}, lsp.UTF8)
	if err != nil {
		fmt.Fprintf(stderr, "mimi-lsp complete: %v\n", err)
		return 2
	}
	w := wiring.New(cfg, log)
	defer w.Close(time.Second)
	eng, err := w.Engine(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "mimi-lsp complete: %v\n", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	start := time.Now()
	res, err := eng.Complete(ctx, completion.Request{Text: doc.Text, Offset: off, Path: filepath.Base(file), File: file, Language: doc.LanguageID})
	if err != nil {
		printFailure(stderr, "complete", err, cfg)
		return 1
	}
	if res.Notice != "" {
		fmt.Fprintln(stderr, "mimi-lsp complete: "+res.Notice)
		return 0
	}
	fmt.Fprintf(stderr, "model %s, template %s, %s, %d ms\n", res.Model, res.Template, res.Source, time.Since(start).Milliseconds())
	if res.Text == "" {
		fmt.Fprintln(stderr, "(no suggestion)")
		return 0
	}
	fmt.Fprintln(stdout, res.Text)
	return 0
}

// parseLocation splits FILE:LINE:COL (FILE may itself contain colons).
func parseLocation(s string) (file string, line, col int, err error) {
	parts := strings.Split(s, ":")
	if len(parts) < 3 {
		return "", 0, 0, fmt.Errorf("%q is not FILE:LINE:COL", s)
	}
	col, err1 := strconv.Atoi(parts[len(parts)-1])
	line, err2 := strconv.Atoi(parts[len(parts)-2])
	if err1 != nil || err2 != nil || line < 1 || col < 1 {
		return "", 0, 0, fmt.Errorf("%q: LINE and COL must be positive integers (1-based)", s)
	}
	file, err = filepath.Abs(strings.Join(parts[:len(parts)-2], ":"))
	return file, line, col, err
}

// languageOf guesses an LSP languageId from a file extension (for comment syntax in prompts).
func languageOf(file string) string {
	switch strings.ToLower(filepath.Ext(file)) {
	case ".go":
		return "go"
	case ".py":
		return "python"
	case ".js", ".mjs", ".cjs":
		return "javascript"
	case ".ts":
		return "typescript"
	case ".rs":
		return "rust"
	case ".lua":
		return "lua"
	case ".rb":
		return "ruby"
	case ".sh":
		return "shellscript"
	case ".c", ".h":
		return "c"
	case ".cc", ".cpp", ".hpp":
		return "cpp"
	case ".java":
		return "java"
	default:
		return "plaintext"
	}
}

// startOllamaHelp is the exact set-up for a machine without a running Ollama.
func startOllamaHelp(cfg config.Config) string {
	return fmt.Sprintf(`To start Ollama and pull the models:
  ollama serve &                      # or: docker compose up -d  (see docker-compose.yml)
  ollama pull %-22s # completions (needed now)
  ollama pull %-22s # code actions
  ollama pull %-22s # workspace index
Ollama on another machine: OLLAMA_HOST=http://gpu-box:11434 make run
No Ollama at all: make demo (a private Ollama with tiny test models)
`, cfg.CompletionModel, cfg.ActionModel, cfg.EmbedModel)
}

// printFailure prints a command's error: a model error as its hint (and how to start Ollama
// when it is unreachable), anything else as it is.
func printFailure(stderr io.Writer, cmd string, err error, cfg config.Config) {
	var me *model.Error
	if !errors.As(err, &me) {
		fmt.Fprintf(stderr, "mimi-lsp %s: %v\n", cmd, err)
		return
	}
	fmt.Fprintf(stderr, "mimi-lsp %s: %s\n", cmd, me.Hint())
	if me.Kind == model.KindUnreachable {
		fmt.Fprint(stderr, startOllamaHelp(cfg))
	}
}

// fileURIOf is the file: URI of file (made absolute: the URI names the file, not the cwd).
func fileURIOf(file string) string {
	if abs, err := filepath.Abs(file); err == nil {
		file = abs
	}
	return lsp.FileURI(file)
}
