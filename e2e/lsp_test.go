package e2e

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/internal/testenv/lsptest"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/ollamatest"
)

// syncBuffer is a goroutine-safe stderr sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServer runs the real binary on stdio against host.
func startServer(t *testing.T, host string, extraEnv ...string) (*lsptest.Client, *exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(binary, "--log-level", "debug")
	// Indexing is off unless a test turns it on: these sessions' roots (file:///work, …) may
	// be real folders of this machine, whose embeddings would land in the tests' caches.
	cmd.Env = append(append(cmd.Environ(), "OLLAMA_HOST="+host, "MIMI_INDEXING=false"), extraEnv...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("mimi-lsp stderr:\n%s", stderr.String())
		}
	})
	return lsptest.New(stdout, stdin), cmd, stderr
}

func timeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// TestRealOllamaSession drives the real binary over stdio against a real Ollama.
func TestRealOllamaSession(t *testing.T) {
	ol := ollamatest.StartT(t)
	c, cmd, _ := startServer(t, ol.URL)
	ctx := timeout(t, 60*time.Second)

	if _, err := c.Initialize(ctx, "file:///work", []string{"utf-16"}, nil); err != nil {
		t.Fatal(err)
	}
	uri := "file:///work/add.go"
	if err := c.DidOpen(uri, "go", "package main\n\nfunc add(a, b int) int {\n\treturn \n}\n"); err != nil {
		t.Fatal(err)
	}
	// Incremental change adding a non-ASCII line (UTF-16 columns: 👋 counts 2).
	if err := c.DidChange(uri, 2,
		lsptest.Change{StartLine: 2, StartChar: 0, EndLine: 2, EndChar: 0, Text: "// grüße 👋 from Zürich\n"},
		lsptest.Change{StartLine: 2, StartChar: 12, EndLine: 2, EndChar: 16, Text: "to"},
	); err != nil {
		t.Fatal(err)
	}

	var list lsptest.CompletionList
	if err := c.Call(ctx, "textDocument/completion", lsptest.PositionParams(uri, 4, 8), &list); err != nil {
		t.Fatalf("completion: %v\nollama log: %s", err, ol.Tail())
	}
	if len(list.Items) != 1 || list.Items[0].TextEdit == nil || list.Items[0].TextEdit.NewText != ollamatest.Answer {
		t.Fatalf("completion = %+v, want the model's answer %q\nollama log: %s", list, ollamatest.Answer, ol.Tail())
	}

	// inlineCompletion after another edit (a new prompt: a real model call, not the cache).
	if err := c.DidChange(uri, 3, lsptest.Change{StartLine: 4, StartChar: 8, EndLine: 4, EndChar: 8, Text: "x + "}); err != nil {
		t.Fatal(err)
	}
	var inl lsptest.InlineList
	if err := c.Call(ctx, "textDocument/inlineCompletion", lsptest.PositionParams(uri, 4, 12), &inl); err != nil {
		t.Fatal(err)
	}
	if len(inl.Items) != 1 || inl.Items[0].InsertText != ollamatest.Answer {
		t.Fatalf("inlineCompletion = %+v", inl)
	}

	// A cancelled request still gets a reply: RequestCancelled, or the result if the tiny
	// model finished before the cancel arrived.
	if err := c.DidChange(uri, 4, lsptest.Change{StartLine: 4, StartChar: 12, EndLine: 4, EndChar: 12, Text: "y"}); err != nil {
		t.Fatal(err)
	}
	p, err := c.Send("textDocument/completion", lsptest.PositionParams(uri, 4, 13))
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Cancel(p)
	var rpcErr *lsptest.RPCError
	var cancelled lsptest.CompletionList
	if err := p.Wait(ctx, &cancelled); err != nil && (!errors.As(err, &rpcErr) || rpcErr.Code != -32800) {
		t.Fatalf("cancelled request: %v", err)
	}

	if err := c.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	waitExit(t, cmd, 0)
}

func waitExit(t *testing.T, cmd *exec.Cmd, want int) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != want {
			t.Fatalf("exit code %d, want %d", code, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("mimi-lsp did not exit after shutdown/exit")
	}
}

// TestCompleteAndDoctorCommands runs the README's commands against the real Ollama.
func TestCompleteAndDoctorCommands(t *testing.T) {
	ol := ollamatest.StartT(t)
	run := func(args ...string) (string, string, int) {
		cmd := exec.Command(binary, args...)
		cmd.Env = append(cmd.Environ(), "OLLAMA_HOST="+ol.URL)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		return out.String(), errb.String(), code
	}
	out, errs, code := run("complete", "../examples/add.go:10:8")
	if code != 0 || strings.TrimSpace(out) != ollamatest.Answer {
		t.Fatalf("complete: code %d stdout %q stderr %q", code, out, errs)
	}
	out, _, code = run("doctor")
	if code != 0 || strings.Count(out, "✓") != 4 {
		t.Fatalf("doctor: code %d\n%s", code, out)
	}
	out, _, code = run("doctor", "--action-model", "qwen3-coder:480b")
	if code != 1 || !strings.Contains(out, "ollama pull qwen3-coder:480b") {
		t.Fatalf("doctor with a missing model: code %d\n%s", code, out)
	}
	_, errs, code = run("complete", "--ollama-host", "127.0.0.1:1", "../examples/add.go:10:8")
	if code != 1 || !strings.Contains(errs, "ollama serve") {
		t.Fatalf("complete without Ollama: code %d stderr %q", code, errs)
	}
}
