package ollamatest

import (
	"context"
	"os"
	"testing"
)

// RequireAll reports whether MIMI_REQUIRE_ALL=1 (CI): missing real components fail instead of skip.
func RequireAll() bool { return os.Getenv("MIMI_REQUIRE_ALL") == "1" }

// StartT starts a private Ollama for a test, or skips loudly (fails under MIMI_REQUIRE_ALL=1)
// when no binary was built.
func StartT(t testing.TB) *Server {
	t.Helper()
	bin, err := FindBinary()
	if err != nil {
		if RequireAll() {
			t.Fatalf("real Ollama required (MIMI_REQUIRE_ALL=1): %v", err)
		}
		t.Skipf("SKIPPING real-Ollama test: %v", err)
	}
	s, err := Start(context.Background(), bin, t.TempDir())
	if err != nil {
		t.Fatalf("start real ollama: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}
