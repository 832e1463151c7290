package lsp_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/internal/testenv/fakeollama"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/lsptest"
)

const goDoc = "package main\n\nfunc add(a, b int) int {\n\treturn \n}\n"

func TestInitializeNegotiatesEncoding(t *testing.T) {
	for _, tc := range []struct {
		offered []string
		want    string
	}{
		{nil, "utf-16"},
		{[]string{"utf-16"}, "utf-16"},
		{[]string{"utf-32", "utf-8", "utf-16"}, "utf-8"},
	} {
		s := start(t, "http://127.0.0.1:1", nil)
		raw, err := s.c.Initialize(ctx(t), "file:///w", tc.offered, nil)
		if err != nil {
			t.Fatal(err)
		}
		var res struct {
			Capabilities struct {
				PositionEncoding         string `json:"positionEncoding"`
				InlineCompletionProvider bool   `json:"inlineCompletionProvider"`
				TextDocumentSync         struct {
					Change int `json:"change"`
				} `json:"textDocumentSync"`
				CompletionProvider *struct{} `json:"completionProvider"`
			} `json:"capabilities"`
			ServerInfo struct{ Name string } `json:"serverInfo"`
		}
		if err := json.Unmarshal(raw, &res); err != nil {
			t.Fatal(err)
		}
		c := res.Capabilities
		if c.PositionEncoding != tc.want || !c.InlineCompletionProvider || c.TextDocumentSync.Change != 2 || c.CompletionProvider == nil || res.ServerInfo.Name != "mimi-lsp" {
			t.Errorf("offered %v: got %s", tc.offered, raw)
		}
	}
}

func TestCompletionAfterIncrementalNonASCIIChange(t *testing.T) {
	f := newFake(t, "a + b")
	s := start(t, f.URL, nil)
	s.init(t)
	uri := "file:///work/add.go"
	if err := s.c.DidOpen(uri, "go", goDoc); err != nil {
		t.Fatal(err)
	}
	// Insert a comment with a non-BMP character (2 UTF-16 units) above the return, then
	// replace the text after the emoji using UTF-16 columns.
	if err := s.c.DidChange(uri, 2,
		lsptest.Change{StartLine: 3, StartChar: 0, EndLine: 3, EndChar: 0, Text: "\t// héllo 👋 wörld\n"},
		lsptest.Change{StartLine: 3, StartChar: 13, EndLine: 3, EndChar: 18, Text: "earth"},
	); err != nil {
		t.Fatal(err)
	}
	list := s.complete(t, uri, 4, 8)
	if len(list.Items) != 1 || list.Items[0].TextEdit == nil || list.Items[0].TextEdit.NewText != "a + b" ||
		list.Items[0].FilterText != "a + b" || !strings.Contains(list.Items[0].Detail, "qwen2.5-coder:1.5b") {
		t.Fatalf("completion = %+v", list)
	}
	reqs := f.Requests()
	if len(reqs) != 1 {
		t.Fatalf("model calls = %d, want 1", len(reqs))
	}
	r := reqs[0]
	wantPrompt := "<|fim_prefix|>package main\n\nfunc add(a, b int) int {\n\t// héllo 👋 earth\n\treturn <|fim_suffix|>\n}\n<|fim_middle|>"
	if r.Prompt != wantPrompt || !r.Raw || r.Suffix != "" {
		t.Fatalf("prompt = %q raw=%v", r.Prompt, r.Raw)
	}
	for _, k := range []string{"num_predict", "num_ctx", "temperature", "stop", "top_p"} {
		if _, ok := r.Options[k]; !ok {
			t.Errorf("option %s not sent: %v", k, r.Options)
		}
	}
	if r.KeepAlive == nil {
		t.Error("keep_alive not sent")
	}

	// Same position through inlineCompletion: served from the cache (no second model call).
	var inl lsptest.InlineList
	if err := s.c.Call(ctx(t), "textDocument/inlineCompletion", lsptest.PositionParams(uri, 4, 8), &inl); err != nil {
		t.Fatal(err)
	}
	if len(inl.Items) != 1 || inl.Items[0].InsertText != "a + b" {
		t.Fatalf("inline = %+v", inl)
	}
	if n := f.Calls.Load(); n != 1 {
		t.Fatalf("model calls after inline = %d, want 1 (cache)", n)
	}
}

func TestWordPrefixBecomesPartOfTheEdit(t *testing.T) {
	f := newFake(t, "urn a + b")
	s := start(t, f.URL, nil)
	s.init(t)
	uri := "file:///work/add.go"
	_ = s.c.DidOpen(uri, "go", "func add(a, b int) int {\n\tret\n}\n")
	list := s.complete(t, uri, 1, 4)
	it := list.Items[0]
	if it.TextEdit.NewText != "return a + b" || it.FilterText != "return a + b" || it.Label != "return a + b" {
		t.Fatalf("item = %+v", it)
	}
	var rng struct{ Start, End struct{ Line, Character int } }
	_ = json.Unmarshal(it.TextEdit.Range, &rng)
	if rng.Start.Line != 1 || rng.Start.Character != 1 || rng.End.Character != 4 {
		t.Fatalf("range = %s", it.TextEdit.Range)
	}
}

func TestCancelRequestStopsTheModelCall(t *testing.T) {
	f := newFake(t, "")
	f.SetBehaviour(func(fakeollama.Request) fakeollama.Behaviour { return fakeollama.Behaviour{Hang: true} })
	s := start(t, f.URL, nil)
	s.init(t)
	uri := "file:///work/add.go"
	_ = s.c.DidOpen(uri, "go", goDoc)
	p, err := s.c.Send("textDocument/completion", lsptest.PositionParams(uri, 3, 8))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return f.Calls.Load() == 1 })
	if err := s.c.Cancel(p); err != nil {
		t.Fatal(err)
	}
	err = p.Wait(ctx(t), nil)
	var rpcErr *lsptest.RPCError
	if !errors.As(err, &rpcErr) || rpcErr.Code != -32800 {
		t.Fatalf("cancelled request reply = %v, want RequestCancelled (-32800)", err)
	}
	waitFor(t, func() bool { return f.Cancelled.Load() == 1 })
}

func TestNewerCompletionCancelsOlder(t *testing.T) {
	f := newFake(t, "")
	f.SetBehaviour(func(r fakeollama.Request) fakeollama.Behaviour {
		if strings.Contains(r.Prompt, "first") {
			return fakeollama.Behaviour{Hang: true}
		}
		return fakeollama.Behaviour{Chunks: []string{"x"}}
	})
	s := start(t, f.URL, nil)
	s.init(t)
	uri := "file:///work/a.go"
	_ = s.c.DidOpen(uri, "go", "first ")
	old, _ := s.c.Send("textDocument/completion", lsptest.PositionParams(uri, 0, 6))
	waitFor(t, func() bool { return f.Calls.Load() == 1 })
	_ = s.c.DidChange(uri, 2, lsptest.Change{StartLine: 0, StartChar: 0, EndLine: 0, EndChar: 5, Text: "second"})
	list := s.complete(t, uri, 0, 7)
	// RequestCancelled is for the client's own cancel; a superseded request gets an empty,
	// incomplete list (the editor asks again and shows no error).
	var oldList lsptest.CompletionList
	if err := old.Wait(ctx(t), &oldList); err != nil || len(oldList.Items) != 0 || !oldList.IsIncomplete {
		t.Fatalf("older request = %+v, %v; want an empty incomplete list", oldList, err)
	}
	if len(list.Items) != 1 || list.Items[0].TextEdit.NewText != "x" {
		t.Fatalf("newer = %+v", list)
	}
}

func TestShutdownExitCodes(t *testing.T) {
	s := start(t, "http://127.0.0.1:1", nil)
	s.init(t)
	if err := s.c.Shutdown(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if code := waitCode(t, s); code != 0 {
		t.Fatalf("exit after shutdown = %d, want 0", code)
	}

	s = start(t, "http://127.0.0.1:1", nil)
	s.init(t)
	_ = s.c.Notify("exit", nil)
	if code := waitCode(t, s); code != 1 {
		t.Fatalf("exit without shutdown = %d, want 1", code)
	}
}

func waitCode(t *testing.T, s *session) int {
	t.Helper()
	select {
	case c := <-s.code:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("server did not exit")
		return -1
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
