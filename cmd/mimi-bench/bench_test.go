package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// TestReplaySmoke runs the replay benchmark on two functions of Go's own source against the
// fake backend and checks that it measures what it claims.
func TestReplaySmoke(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "mimi-lsp")
	if out, err := exec.Command("go", "build", "-o", bin, "../mimi-lsp").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	o := options{
		src: filepath.Join(runtime.GOROOT(), "src", "strings"), server: bin, backend: "fake",
		functions: 2, maxKeys: 120, maxBody: 1200, seed: 3,
		p50: 5 * time.Millisecond, p99: 40 * time.Millisecond, delay: 20 * time.Millisecond,
		accept: 0.5, retype: 0.05, wrong: 0.2,
	}
	var logw io.Writer = io.Discard
	if testing.Verbose() {
		logw = os.Stderr
	}
	rep, err := run(context.Background(), o, logw)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Functions != 2 || rep.Keystrokes == 0 || rep.Answered == 0 || rep.P50 <= 0 || rep.RSSKiB == 0 {
		t.Fatalf("report = %+v", rep)
	}
	if rep.ModelCalls == 0 || rep.ModelCalls >= rep.Keystrokes || rep.BySource["typing-ahead"] == 0 {
		t.Fatalf("reuse not measured: %+v", rep)
	}
	// A suggestion accepted again after a retype is one suggestion: counted once by the server.
	if rep.Accepted == 0 || rep.ServerAccepted == 0 || rep.ServerAccepted > rep.Accepted || rep.ServerShown < rep.ServerAccepted {
		t.Fatalf("accepts: the replay took %d, the server counted %d accepted of %d shown", rep.Accepted, rep.ServerAccepted, rep.ServerShown)
	}
	if rep.Requests != rep.Keystrokes {
		t.Fatalf("%d requests for %d keystrokes: one completion per keystroke expected", rep.Requests, rep.Keystrokes)
	}
}
