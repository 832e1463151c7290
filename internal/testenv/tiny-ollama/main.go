// Command tiny-ollama runs the real Ollama server built by scripts/build-ollama.sh with the
// project's tiny deterministic models under the default model names, on a free loopback port.
// It prints OLLAMA_HOST=… on stdout and serves until interrupted. For demos, benchmarks and
// poking at the server by hand; tests use internal/ollamatest directly.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/mimi-lsp/mimi-lsp/internal/testenv/ollamatest"
)

func main() {
	bin, err := ollamatest.FindBinary()
	if err != nil {
		fmt.Fprintln(os.Stderr, "tiny-ollama:", err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "tiny-ollama-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "tiny-ollama:", err)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := ollamatest.Start(ctx, bin, dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tiny-ollama:", err)
		os.Exit(1)
	}
	defer s.Stop()
	fmt.Printf("OLLAMA_HOST=%s\n", s.URL)
	fmt.Fprintf(os.Stderr, "tiny-ollama: serving %s, %s, %s (answer %q) at %s; log %s\n",
		ollamatest.CompletionModel, ollamatest.ActionModel, ollamatest.EmbedModel, ollamatest.Answer, s.URL, s.Log)
	<-ctx.Done()
}
