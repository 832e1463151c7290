package lsp_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/fakeollama"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/lsptest"
)

func rpcCode(err error) int {
	var e *lsptest.RPCError
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

func TestRequestBeforeInitialize(t *testing.T) {
	s := start(t, "http://127.0.0.1:1", nil)
	err := s.c.Call(ctx(t), "textDocument/completion", lsptest.PositionParams("file:///a.go", 0, 0), nil)
	if rpcCode(err) != -32002 {
		t.Fatalf("got %v, want ServerNotInitialized (-32002)", err)
	}
	s.init(t) // still usable
}

func TestUnknownMethodAndNotification(t *testing.T) {
	s := start(t, "http://127.0.0.1:1", nil)
	s.init(t)
	_ = s.c.Notify("$/somethingNew", map[string]any{"x": 1})
	_ = s.c.Notify("custom/notification", nil)
	if err := s.c.Call(ctx(t), "textDocument/hover", lsptest.PositionParams("file:///a.go", 0, 0), nil); rpcCode(err) != -32601 {
		t.Fatalf("got %v, want MethodNotFound", err)
	}
}

func TestMalformedFramesAreAnsweredAndSkipped(t *testing.T) {
	f := newFake(t, "ok")
	s := start(t, f.URL, nil)
	s.init(t)
	for _, body := range []string{`{"jsonrpc":"2.0","id":7,"method":`, `[1,2,3]`, `not json at all`} {
		if err := s.c.WriteRaw([]byte(fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body))); err != nil {
			t.Fatal(err)
		}
	}
	_ = s.c.WriteRaw([]byte("Garbage-Header-Without-Colon\r\n"))
	uri := "file:///work/a.go"
	_ = s.c.DidOpen(uri, "go", "x := ")
	list := s.complete(t, uri, 0, 5)
	if len(list.Items) != 1 {
		t.Fatalf("server did not recover: %+v", list)
	}
	errs := s.c.Notifications("(response)")
	if len(errs) != 3 {
		t.Fatalf("got %d error replies for malformed frames, want 3: %+v", len(errs), errs)
	}
	if !strings.Contains(string(errs[0].Params), "-32700") {
		t.Errorf("first malformed frame reply = %s, want ParseError", errs[0].Params)
	}
}

func TestCompletionOnUnopenedDocument(t *testing.T) {
	s := start(t, "http://127.0.0.1:1", nil)
	s.init(t)
	err := s.c.Call(ctx(t), "textDocument/completion", lsptest.PositionParams("file:///nope.go", 0, 0), nil)
	if rpcCode(err) != -32602 || !strings.Contains(err.Error(), "not open") {
		t.Fatalf("got %v, want InvalidParams naming the unopened document", err)
	}
	err = s.c.Call(ctx(t), "textDocument/completion", map[string]any{"textDocument": map[string]any{"uri": "file:///x"}}, nil)
	if rpcCode(err) != -32602 {
		t.Fatalf("missing position: got %v, want InvalidParams", err)
	}
}

func TestPositionsOutOfRange(t *testing.T) {
	f := newFake(t, "z")
	s := start(t, f.URL, nil)
	s.init(t)
	uri := "file:///work/a.go"
	_ = s.c.DidOpen(uri, "go", "a👋b\nline2")
	// Line past the end: InvalidParams.
	if err := s.c.Call(ctx(t), "textDocument/completion", lsptest.PositionParams(uri, 5, 0), nil); rpcCode(err) != -32602 {
		t.Fatalf("line past end: %v", err)
	}
	// Character past the end of the line clamps to the line end.
	list := s.complete(t, uri, 0, 99)
	if got := f.Requests()[0].Prompt; !strings.HasPrefix(got, "<|fim_prefix|>a👋b<|fim_suffix|>\nline2") {
		t.Fatalf("clamped prompt = %q", got)
	}
	// Between the two halves of the surrogate pair: snaps to the emoji's start.
	if err := s.c.Call(ctx(t), "textDocument/completion", lsptest.PositionParams(uri, 0, 2), &list); err != nil {
		t.Fatal(err)
	}
	if got := f.Requests()[1].Prompt; !strings.HasPrefix(got, "<|fim_prefix|>a<|fim_suffix|>👋b") {
		t.Fatalf("mid-surrogate prompt = %q", got)
	}
}

func TestInvalidUTF8Document(t *testing.T) {
	f := newFake(t, "ok")
	s := start(t, f.URL, nil)
	s.init(t)
	uri := "file:///work/bin.go"
	// Raw bytes 0xff 0xfe inside a JSON string: not valid UTF-8.
	body := `{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"` + uri + `","languageId":"go","version":1,"text":"x` + "\xff\xfe" + ` = "}}}`
	_ = s.c.WriteRaw([]byte(fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body)))
	list := s.complete(t, uri, 0, 6)
	if len(list.Items) != 1 {
		t.Fatalf("no completion on a document with invalid UTF-8: %+v", list)
	}
}

func TestTenMegabyteDocument(t *testing.T) {
	f := newFake(t, "ok")
	s := start(t, f.URL, nil)
	s.init(t)
	uri := "file:///work/big.go"
	var b strings.Builder
	for b.Len() < 10<<20 {
		b.WriteString("var x = 1 // some filler text for a very large generated file\n")
	}
	b.WriteString("y := ")
	_ = s.c.DidOpen(uri, "go", b.String())
	lines := strings.Count(b.String(), "\n")
	_ = s.c.DidChange(uri, 2, lsptest.Change{StartLine: lines, StartChar: 5, EndLine: lines, EndChar: 5, Text: "f("})
	if list := s.complete(t, uri, lines, 7); len(list.Items) != 1 {
		t.Fatalf("no completion in a 10 MB document: %+v", list)
	}
	p := f.Requests()[0].Prompt
	if budget := (s.cfg.PrefixTokens + s.cfg.SuffixTokens) * 3; len(p) > budget+100 || !strings.Contains(p, "y := f(<|fim_suffix|>") {
		t.Fatalf("prompt of %d bytes (budget %d), tail %q", len(p), budget, p[max(0, len(p)-40):])
	}
}

func TestOllamaUnreachableShowsOneMessage(t *testing.T) {
	s := start(t, "http://127.0.0.1:1", nil)
	s.init(t)
	uri := "file:///work/a.go"
	_ = s.c.DidOpen(uri, "go", "x := ")
	for i := range 5 {
		var list lsptest.CompletionList
		if err := s.c.Call(ctx(t), "textDocument/completion", lsptest.PositionParams(uri, 0, 5), &list); err != nil {
			t.Fatalf("keystroke %d: %v", i, err)
		}
		if len(list.Items) != 0 {
			t.Fatalf("items without a model: %+v", list)
		}
	}
	msgs := s.c.Notifications("window/showMessage")
	if len(msgs) != 1 || !strings.Contains(string(msgs[0].Params), "ollama serve") {
		t.Fatalf("want exactly one showMessage telling how to start Ollama, got %d: %v", len(msgs), msgs)
	}
}

func TestModelFailuresGetEmptyAnswers(t *testing.T) {
	cases := []struct {
		name   string
		b      fakeollama.Behaviour
		model  string
		expect string // in the showMessage
	}{
		{"model missing", fakeollama.Behaviour{}, "missing-model:7b", "ollama pull missing-model:7b"},
		{"server 500", fakeollama.Behaviour{Status: http.StatusInternalServerError, Error: "boom"}, "", "failed"},
		{"queue full 503", fakeollama.Behaviour{Status: http.StatusServiceUnavailable, Error: "server busy"}, "", "overloaded"},
		{"error line in stream", fakeollama.Behaviour{Chunks: []string{"par"}, Error: "runner crashed"}, "", "runner crashed"},
		{"slower than the timeout", fakeollama.Behaviour{Delay: 3 * time.Second}, "", "did not answer in time"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, "")
			f.SetBehaviour(func(fakeollama.Request) fakeollama.Behaviour { return tc.b })
			s := start(t, f.URL, func(c *config.Config) {
				c.Timeout = 300 * time.Millisecond
				if tc.model != "" {
					c.CompletionModel = tc.model
				}
			})
			s.init(t)
			uri := "file:///work/a.go"
			_ = s.c.DidOpen(uri, "go", "x := ")
			for range 2 {
				list := s.complete(t, uri, 0, 5)
				if len(list.Items) != 0 {
					t.Fatalf("items on failure: %+v", list)
				}
			}
			msgs := s.c.Notifications("window/showMessage")
			if len(msgs) != 1 || !strings.Contains(string(msgs[0].Params), tc.expect) {
				t.Fatalf("showMessage = %v, want one containing %q", msgs, tc.expect)
			}
		})
	}
}

func TestInvalidInitializationOptionsAreReported(t *testing.T) {
	s := start(t, "http://127.0.0.1:1", nil)
	if _, err := s.c.Initialize(ctx(t), "file:///w", nil, map[string]any{"numPredict": -3, "bogus": true}); err != nil {
		t.Fatal(err)
	}
	msgs := s.c.Notifications("window/showMessage")
	var all string
	for _, m := range msgs {
		all += string(m.Params)
	}
	if len(msgs) != 2 || !strings.Contains(all, "numPredict") || !strings.Contains(all, "bogus") {
		t.Fatalf("showMessage = %s", all)
	}
}

func TestSecondInitializeAndRequestsAfterShutdown(t *testing.T) {
	s := start(t, "http://127.0.0.1:1", nil)
	s.init(t)
	if _, err := s.c.Initialize(ctx(t), "file:///w", nil, nil); rpcCode(err) != -32600 {
		t.Fatalf("second initialize: %v, want InvalidRequest", err)
	}
	if err := s.c.Call(ctx(t), "shutdown", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.c.Call(ctx(t), "textDocument/completion", lsptest.PositionParams("file:///a", 0, 0), nil); rpcCode(err) != -32600 {
		t.Fatalf("request after shutdown: %v, want InvalidRequest", err)
	}
}

// TestFailingSharedCacheIsReportedOnce: when Redis keeps failing, completions still come (memory
// tier and model) and the user is told once what failed and what to check — not once per
// keystroke, and not only in a debug log.
func TestFailingSharedCacheIsReportedOnce(t *testing.T) {
	f := newFake(t, "a + b")
	s := start(t, f.URL, func(c *config.Config) { c.RedisURL = "redis://127.0.0.1:1" })
	s.init(t)
	uri := "file:///work/a.go"
	_ = s.c.DidOpen(uri, "go", "x := ")
	for i := range 8 {
		// A new prompt each time, so every completion looks in Redis.
		_ = s.c.DidChange(uri, i+2, lsptest.Change{StartLine: 0, StartChar: 0, EndLine: 0, EndChar: 0, Text: "y"})
		if list := s.complete(t, uri, 0, 6+i); len(list.Items) != 1 {
			t.Fatalf("keystroke %d: no suggestion while Redis is down: %+v", i, list)
		}
	}
	msgs := s.c.Notifications("window/showMessage")
	if len(msgs) != 1 || !strings.Contains(strings.ToLower(string(msgs[0].Params)), "redis") {
		t.Fatalf("want one showMessage about the shared cache, got %d: %v", len(msgs), msgs)
	}
}
