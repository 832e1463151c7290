package lsp

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/mimi-lsp/mimi-lsp/completion"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/lsptest"
)

// prefetchService records its Prefetch calls.
type prefetchService struct {
	problemService
	mu   sync.Mutex
	reqs []completion.Request
}

func (p *prefetchService) Prefetch(r completion.Request) {
	p.mu.Lock()
	p.reqs = append(p.reqs, r)
	p.mu.Unlock()
}

// TestPrefetchFollowsTheEdits: opening a document prefetches at its top, each change where
// the change ends (in the new text), so the completion that follows finds retrieval ready.
func TestPrefetchFollowsTheEdits(t *testing.T) {
	x := &prefetchService{}
	c := startServiceSession(t, x)
	ctx := context.Background()
	if _, err := c.Initialize(ctx, "file:///w", nil, nil); err != nil {
		t.Fatal(err)
	}
	text := strings.Repeat("line\n", 40)
	_ = c.DidOpen("file:///w/a.go", "go", text)
	_ = c.DidChange("file:///w/a.go", 2, lsptest.Change{StartLine: 30, StartChar: 2, EndLine: 30, EndChar: 2, Text: "XY"})
	// A request after the notifications: they were handled (in order) by the time it answers.
	var list lsptest.CompletionList
	if err := c.Call(ctx, "textDocument/completion", lsptest.PositionParams("file:///w/a.go", 0, 0), &list); err != nil {
		t.Fatal(err)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(x.reqs) != 2 {
		t.Fatalf("%d prefetches, want 2 (open, change)", len(x.reqs))
	}
	if r := x.reqs[0]; r.Offset != 0 || r.Text != text || r.File == "" || r.Path != "a.go" {
		t.Errorf("open prefetch %+v", r)
	}
	want := 30*len("line\n") + 2 + len("XY")
	if r := x.reqs[1]; r.Offset != want || r.Text[r.Offset-2:r.Offset] != "XY" {
		t.Errorf("change prefetch at %d, want %d", r.Offset, want)
	}
}
