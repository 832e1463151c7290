package main

import (
	"log/slog"
	"net/http"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/internal/wiring"
	"github.com/mimi-lsp/mimi-lsp/metrics"
)

func healthy(addr string) bool {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// TestSidecarFollowsTheEditorsSettings: the workspace name labels the target file; a new
// metricsAddr moves the server (the old address stops answering); "off" stops it and removes
// the file; close leaves nothing running and no file behind.
func TestSidecarFollowsTheEditorsSettings(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	dir := t.TempDir()
	cfg := config.Default()
	cfg.OllamaHost = "http://127.0.0.1:1"
	cfg.MetricsAddr, cfg.MetricsTargetsDir = "127.0.0.1:0", dir
	cfg.Indexing = false
	log := slog.New(slog.DiscardHandler)
	w := wiring.New(cfg, log)
	defer w.Close(time.Second)
	s := newSidecar(w, cfg, log)
	defer s.close()

	first := s.addr()
	if first == "" || !healthy(first) {
		t.Fatalf("sidecar not serving at %q", first)
	}
	if ts := metrics.Targets(dir); len(ts) != 1 || ts[0].Addr != first || ts[0].Workspace != "" {
		t.Fatalf("targets before initialize: %+v", ts)
	}
	s.apply("my-project", cfg)
	if ts := metrics.Targets(dir); len(ts) != 1 || ts[0].Addr != first || ts[0].Workspace != "my-project" {
		t.Fatalf("targets after initialize: %+v", ts)
	}

	moved := cfg
	moved.MetricsAddr = "127.0.0.1:0" // unchanged text: no restart
	s.apply("my-project", moved)
	if s.addr() != first {
		t.Fatalf("restarted without a change: %s → %s", first, s.addr())
	}
	moved.MetricsAddr = "localhost:0"
	s.apply("my-project", moved)
	second := s.addr()
	if second == "" || second == first || !healthy(second) || healthy(first) {
		t.Fatalf("after a new metricsAddr: old %s (answers %v), new %q (answers %v)", first, healthy(first), second, healthy(second))
	}
	if ts := metrics.Targets(dir); len(ts) != 1 || ts[0].Addr != second || ts[0].Workspace != "my-project" {
		t.Fatalf("targets after the move: %+v", ts)
	}

	// A new token restarts the server on the same port; an address this machine does not
	// have keeps the old server serving.
	tok := moved
	tok.MetricsToken = "t0ken"
	s.apply("my-project", tok)
	if s.addr() != second || !healthy(second) {
		t.Fatalf("after a new token: %q (was %s)", s.addr(), second)
	}
	bad := tok
	bad.MetricsAddr = "192.0.2.1:9464" // TEST-NET-1: not an address of this machine
	s.apply("my-project", bad)
	if s.addr() != second || !healthy(second) {
		t.Fatalf("a failed move left %q (was %s)", s.addr(), second)
	}
	if ts := metrics.Targets(dir); len(ts) != 1 || ts[0].Addr != second {
		t.Fatalf("targets after a failed move: %+v", ts)
	}

	off := moved
	off.MetricsAddr = "off"
	s.apply("my-project", off)
	if s.addr() != "" || healthy(second) {
		t.Fatal("metricsAddr=off left the server running")
	}
	if ts := metrics.Targets(dir); len(ts) != 0 {
		t.Fatalf("metricsAddr=off left a target: %+v", ts)
	}
	s.apply("my-project", moved)
	if s.addr() == "" {
		t.Fatal("not restarted after off")
	}
	s.close()
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Fatalf("files left after close: %v", files)
	}
}
