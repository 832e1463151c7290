package lsp_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/mimi-lsp/mimi-lsp/internal/testenv/lsptest"
)

// TestBadIncrementalChangeDropsTheDocument: an edit that cannot be applied (range past the
// end) must not leave the old text in place, where every later suggestion would be built from
// text the user no longer sees. The document answers nothing, one message says why, and a
// full change brings it back.
func TestBadIncrementalChangeDropsTheDocument(t *testing.T) {
	f := newFake(t, "a + b")
	s := start(t, f.URL, nil)
	s.init(t)
	uri := "file:///work/add.go"
	_ = s.c.DidOpen(uri, "go", goDoc)
	_ = s.c.DidChange(uri, 2, lsptest.Change{StartLine: 40, StartChar: 0, EndLine: 41, EndChar: 0, Text: "x"})
	for range 3 {
		_ = s.c.DidChange(uri, 3, lsptest.Change{StartLine: 0, StartChar: 0, EndLine: 0, EndChar: 0, Text: "y"})
		if list := s.complete(t, uri, 3, 8); len(list.Items) != 0 {
			t.Fatalf("a document out of sync answered %+v", list)
		}
	}
	if n := f.Calls.Load(); n != 0 {
		t.Fatalf("%d model calls for a document out of sync", n)
	}
	msgs := s.c.Notifications("window/showMessage")
	if len(msgs) != 1 || !strings.Contains(string(msgs[0].Params), "lost track") {
		t.Fatalf("want one showMessage about the lost document, got %v", msgs)
	}
	// A full change resynchronises.
	if err := s.c.Notify("textDocument/didChange", map[string]any{
		"textDocument":   map[string]any{"uri": uri, "version": 9},
		"contentChanges": []map[string]any{{"text": goDoc}},
	}); err != nil {
		t.Fatal(err)
	}
	if list := s.complete(t, uri, 3, 8); len(list.Items) != 1 || list.Items[0].TextEdit.NewText != "a + b" {
		t.Fatalf("after a full change: %+v", list)
	}
}

// TestRequestsRightAfterExitAreNotTracked: requests that race with `exit` must not be added to
// the WaitGroup Serve is waiting on (run with -race).
func TestRequestsRightAfterExitAreNotTracked(t *testing.T) {
	f := newFake(t, "x")
	for range 20 {
		s := start(t, f.URL, nil)
		s.init(t)
		uri := "file:///work/a.go"
		_ = s.c.DidOpen(uri, "go", "y := ")
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				if _, err := s.c.Send("textDocument/completion", lsptest.PositionParams(uri, 0, 5)); err != nil {
					return
				}
			}
		}()
		_ = s.c.Notify("exit", nil)
		if code := waitCode(t, s); code != 1 {
			t.Fatalf("exit without shutdown = %d", code)
		}
		wg.Wait()
	}
}
