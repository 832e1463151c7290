package redistest_test

import (
	"strings"
	"testing"

	"github.com/mimi-lsp/mimi-lsp/internal/testenv/redistest"
)

// TestStartTLS: the server answers over TLS only, verified against the test CA.
func TestStartTLS(t *testing.T) {
	s := redistest.StartTLS(t)
	if out, err := s.Cli("SET", "k", "v"); err != nil || strings.TrimSpace(out) != "OK" {
		t.Fatalf("SET over TLS: %v %s", err, out)
	}
	if !strings.HasPrefix(s.URL(), "rediss://localhost:") {
		t.Fatalf("URL = %s", s.URL())
	}
}
