package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/internal/testenv/fakeollama"
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
		firstToken: 5 * time.Millisecond, perToken: time.Millisecond, delay: 20 * time.Millisecond,
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
	if rep.Errors != 0 {
		t.Fatalf("%d requests failed", rep.Errors)
	}
	// An editor asks again after each accept, except one that finishes a function.
	if rep.AfterAccept > rep.Accepted || rep.AfterAccept < rep.Accepted-rep.Functions {
		t.Fatalf("%d requests after %d accepts in %d functions", rep.AfterAccept, rep.Accepted, rep.Functions)
	}
	if rep.Requests != rep.Keystrokes+rep.AfterAccept {
		t.Fatalf("%d requests for %d keystrokes and %d accepts: one completion per keystroke and after each accept expected", rep.Requests, rep.Keystrokes, rep.AfterAccept)
	}
}

// TestOracleAnswersTheTrueMiddle: the fake model answers what lies between the prompt's prefix
// and suffix in the file being typed, cut to num_predict tokens, streamed a token at a time
// after the first-token delay; a wrong answer is as long and different.
func TestOracleAnswersTheTrueMiddle(t *testing.T) {
	file := "package p\n\nfunc f() int {\n\tx := 1\n\ty := 2\n\treturn x + y\n}\n"
	prompt := func(cur, sufFrom int) fakeollama.Request {
		return fakeollama.Request{Prompt: "<|fim_prefix|>" + file[:cur] + "<|fim_suffix|>" + file[sufFrom:] + "<|fim_middle|>"}
	}
	cur := strings.Index(file, "\tx")
	end := strings.Index(file, "\n}")
	o := &oracle{text: file, firstToken: 250 * time.Millisecond, perToken: 8 * time.Millisecond}
	b := o.behave(prompt(cur, end))
	if got, want := strings.Join(b.Chunks, ""), file[cur:end]; got != want {
		t.Fatalf("answer %q, want %q", got, want)
	}
	if b.Delay != 258*time.Millisecond || b.ChunkDelay != 8*time.Millisecond || len(b.Chunks[0]) != tokenBytes {
		t.Fatalf("timing %v/%v, first chunk %q", b.Delay, b.ChunkDelay, b.Chunks[0])
	}
	if b.DoneReason != "stop" {
		t.Fatalf("a whole answer ends with %q", b.DoneReason)
	}
	r := prompt(cur, end)
	r.Options = map[string]any{"num_predict": float64(2)}
	if b := o.behave(r); strings.Join(b.Chunks, "") != file[cur:cur+2*tokenBytes] || b.DoneReason != "length" {
		t.Fatalf("num_predict 2: %q, done %q", strings.Join(b.Chunks, ""), b.DoneReason)
	}
	// The cut never splits a character: "é" is bytes 7–8 of the answer.
	uni := "func g() {\n\tx := \"éa\"\n}\n"
	o.text = uni
	c2 := strings.Index(uni, "\tx")
	r = fakeollama.Request{Prompt: "<|fim_prefix|>" + uni[:c2] + "<|fim_suffix|>" + uni[strings.Index(uni, "\n}"):] + "<|fim_middle|>",
		Options: map[string]any{"num_predict": float64(2)}}
	if got := strings.Join(o.behave(r).Chunks, ""); got != "\tx := \"" {
		t.Fatalf("cut inside a character: %q", got)
	}
	// At the end of the file the whole rest is the suffix, even when it also occurs earlier.
	eof := "func h() {\n\ts := `\n}\n`\n\t_ = s\n}\n"
	o.text = eof
	c3 := strings.Index(eof, "\ts")
	if got := strings.Join(o.behave(fakeollama.Request{Prompt: "<|fim_prefix|>" + eof[:c3] + "<|fim_suffix|>\n}\n<|fim_middle|>"}).Chunks, ""); got != "\ts := `\n}\n`\n\t_ = s" {
		t.Fatalf("end of file: %q", got)
	}
	o.text = file
	o.wrong = 1
	if got := strings.Join(o.behave(prompt(cur, end)).Chunks, ""); got == file[cur:end] || len(got) != end-cur {
		t.Fatalf("wrong answer %q", got)
	}
	if b := o.behave(fakeollama.Request{Prompt: "<|fim_prefix|>elsewhere<|fim_suffix|>x<|fim_middle|>"}); len(b.Chunks) != 0 {
		t.Fatalf("a prompt from another file got %q", b.Chunks)
	}
}
