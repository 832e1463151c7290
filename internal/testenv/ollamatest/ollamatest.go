// Package ollamatest runs a private, real Ollama server (built from its Go module by
// scripts/build-ollama.sh) on a free loopback port with the tiny deterministic models from
// internal/tinymodel served under the default model names.
package ollamatest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Default model names the tiny models are served under (the server's defaults).
const (
	CompletionModel = "qwen2.5-coder:1.5b"
	ActionModel     = "qwen3-coder:30b"
	EmbedModel      = "nomic-embed-text"
	// Answer is what the completion model says after <|fim_middle|>.
	Answer = "a + b"
	// ActionAnswer is what the action model answers to any chat: a fenced Go function.
	ActionAnswer = "Here it is:\n\n```go\nfunc add(a, b int) int {\n\treturn a + b\n}\n```\n"
	// SlowActionModel answers ActionAnswer, then spaces until num_predict: a generation long
	// enough to cancel.
	SlowActionModel = "mimi-slow-action"
)

// chatTemplate is ChatML, as qwen3-coder's: the prompt ends "<|im_start|>assistant\n".
const chatTemplate = `{{- range .Messages }}<|im_start|>{{ .Role }}
{{ .Content }}<|im_end|>
{{ end }}<|im_start|>assistant
`

// fimTemplate mirrors qwen2.5-coder's: a template that uses .Suffix gives the "insert" capability.
const fimTemplate = `{{- if .Suffix }}<|fim_prefix|>{{ .Prompt }}<|fim_suffix|>{{ .Suffix }}<|fim_middle|>
{{- else }}{{ .Prompt }}{{ end }}`

// Server is a running private Ollama.
type Server struct {
	URL  string // http://127.0.0.1:PORT
	Host string // 127.0.0.1:PORT (OLLAMA_HOST form)
	Bin  string
	Dir  string
	cmd  *exec.Cmd
	done chan error
	Log  string // path of the server log
}

// FindBinary returns the Ollama binary: $MIMI_OLLAMA_BIN, else <repo>/.cache/bin/ollama.
func FindBinary() (string, error) {
	if p := os.Getenv("MIMI_OLLAMA_BIN"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("MIMI_OLLAMA_BIN=%s: %w", p, err)
		}
		return p, nil
	}
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, ".cache", "bin", "ollama")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("no Ollama binary at %s: run scripts/build-ollama.sh (make ollama)", p)
	}
	return p, nil
}

func repoRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("cannot locate repository root")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..")), nil
}

// Start starts `ollama serve` in dir and creates the tiny models under the default names.
func Start(ctx context.Context, bin, dir string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{
		Host: fmt.Sprintf("127.0.0.1:%d", port),
		Bin:  bin,
		Dir:  dir,
		done: make(chan error, 1),
		Log:  filepath.Join(dir, "ollama.log"),
	}
	s.URL = "http://" + s.Host
	logf, err := os.Create(s.Log)
	if err != nil {
		return nil, err
	}
	s.cmd = exec.Command(bin, "serve")
	s.cmd.Env = s.env()
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start ollama: %w", err)
	}
	go func() { s.done <- s.cmd.Wait(); logf.Close() }()
	if err := s.waitReady(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	if err := s.createModels(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Server) env() []string {
	return append(os.Environ(),
		"OLLAMA_HOST="+s.Host,
		"OLLAMA_MODELS="+filepath.Join(s.Dir, "models"),
		"HOME="+s.Dir,
		"OLLAMA_NOPRUNE=1",
		"OLLAMA_KEEP_ALIVE=10m",
	)
}

func (s *Server) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			return fmt.Errorf("ollama exited early (%v); log: %s", err, s.Tail())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		resp, err := http.Get(s.URL + "/api/version")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return fmt.Errorf("ollama not ready after 30s; log: %s", s.Tail())
}

func (s *Server) createModels(ctx context.Context) error {
	type m struct {
		name, file, modelfile string
	}
	models := []m{
		{CompletionModel, "fim.gguf", "TEMPLATE \"\"\"" + fimTemplate + "\"\"\"\n"},
		{ActionModel, "action.gguf", "TEMPLATE \"\"\"" + chatTemplate + "\"\"\"\n"},
		{SlowActionModel, "slow.gguf", "TEMPLATE \"\"\"" + chatTemplate + "\"\"\"\n"},
		{EmbedModel, "embed.gguf", ""},
	}
	if err := WriteModels(s.Dir); err != nil {
		return err
	}
	for _, mm := range models {
		mf := filepath.Join(s.Dir, strings.NewReplacer(":", "_", "/", "_").Replace(mm.name)+".Modelfile")
		body := "FROM " + filepath.Join(s.Dir, mm.file) + "\n" + mm.modelfile
		if err := os.WriteFile(mf, []byte(body), 0o644); err != nil {
			return err
		}
		cmd := exec.CommandContext(ctx, s.Bin, "create", mm.name, "-f", mf)
		cmd.Env = s.env()
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("ollama create %s: %w: %s", mm.name, err, out)
		}
	}
	return nil
}

// Stop ends the server.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// Tail returns the end of the server log (for test failure messages).
func (s *Server) Tail() string {
	b, _ := os.ReadFile(s.Log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
