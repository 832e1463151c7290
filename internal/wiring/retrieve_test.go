package wiring

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/completion"
)

// TestRetrieverNeverWaits: the first completion in a region gets no snippets and starts one
// search; later ones get its snippets at once (not the file's own code, within the budget);
// another region searches again; close ends a search in flight.
func TestRetrieverNeverWaits(t *testing.T) {
	var searches atomic.Int32
	release := make(chan struct{})
	rt := newRetriever(slog.New(slog.DiscardHandler), func(ctx context.Context, query string, limit int) ([]searchHit, error) {
		searches.Add(1)
		if !strings.Contains(query, "ParseConfig") {
			t.Errorf("query %q lacks the identifier at the cursor", query)
		}
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return []searchHit{
			{rel: "cmd/main.go", file: "/w/cmd/main.go", text: "the file being edited"},
			{rel: "config/load.go", file: "/w/config/load.go", text: "func ParseConfig() {}"},
			{rel: "big.go", file: "/w/big.go", text: strings.Repeat("x", 5000)},
		}, nil
	})
	text := "package main\n\nfunc main() {\n\tcfg := ParseConfig(\"a\")\n\t\n}\n"
	req := completion.Request{Text: text, Offset: strings.Index(text, "\t\n") + 1, File: "/w/cmd/main.go"}
	if got := rt.snippets(req, 3000); got != nil {
		t.Fatalf("first completion got %v; it must not wait for the search", got)
	}
	for deadline := time.Now().Add(10 * time.Second); searches.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no search started")
		}
	}
	if got := rt.snippets(req, 3000); got != nil || searches.Load() != 1 {
		t.Fatalf("a second search started (%d) or snippets before it ended: %v", searches.Load(), got)
	}
	close(release)
	var got []completion.Snippet
	for deadline := time.Now().Add(10 * time.Second); got == nil; got = rt.snippets(req, 3000) {
		if time.Now().After(deadline) {
			t.Fatal("the search's snippets never arrived")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if len(got) != 1 || got[0].Path != "config/load.go" {
		t.Fatalf("snippets = %+v; want only config/load.go (not the file itself, not over the budget)", got)
	}
	if searches.Load() != 1 {
		t.Fatalf("%d searches for one region", searches.Load())
	}
	// close ends a search in flight (goleak checks nothing is left).
	blocked := newRetriever(slog.New(slog.DiscardHandler), func(ctx context.Context, _ string, _ int) ([]searchHit, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	blocked.snippets(req, 3000)
	blocked.close()
}

// TestQueryAround: the query starts with the current function's declaration (even when it
// opens far above the cursor), then the identifiers near the cursor.
func TestQueryAround(t *testing.T) {
	body := strings.Repeat("\tx := 1\n", 30)
	tests := []struct {
		name, text, want string
	}{
		{"go method far above", "package p\n\n// Start runs.\nfunc (s *Server) Start(ctx context.Context, opts Options) error {\n" + body + "\tcfg := loadSettings(opts)\n\t|\n}\n",
			"Server Start ctx context Context opts Options cfg loadSettings"},
		{"python", "import os\n\nclass Widget:\n    def render(self, canvas):\n        canvas.drawRect(|)\n",
			"Widget render canvas drawRect"},
		{"after a closed function", "func a() {\n}\n\n// b\nfunc handleRequest(req *Request) {\n\treq.|\n}\n",
			"handleRequest req Request"},
		{"top of a file", "package main\n|", "main"},
		{"just inside the second of two long functions", "package p\n\nfunc loadUsers(db *Database) []User {\n" + body + "\treturn nil\n}\n\nfunc renderInvoice(inv Invoice) string {\n\ttotal := inv.Sum()\n\t|\n}\n",
			"renderInvoice inv Invoice total Sum"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			off := strings.Index(tt.text, "|")
			text := tt.text[:off] + tt.text[off+1:]
			if got := queryAround(text, off); got != tt.want {
				t.Errorf("queryAround = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestRetrieverQueuesTheLatestRegion: regions asked for while a search runs wait in one slot,
// the latest winning, and start by themselves when it ends.
func TestRetrieverQueuesTheLatestRegion(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var queries []string
	rt := newRetriever(slog.New(slog.DiscardHandler), func(ctx context.Context, query string, _ int) ([]searchHit, error) {
		mu.Lock()
		queries = append(queries, query)
		mu.Unlock()
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return nil, nil
	})
	defer rt.close()
	var text strings.Builder
	for i := range 100 {
		fmt.Fprintf(&text, "x := identFromLine%d\n", i)
	}
	at := func(line int) completion.Request {
		doc := text.String()
		off := 0
		for range line {
			off += strings.IndexByte(doc[off:], '\n') + 1
		}
		return completion.Request{Text: doc, Offset: off, File: "/w/a.go"}
	}
	rt.snippets(at(0), 3000)  // runs
	rt.snippets(at(25), 3000) // waits
	rt.snippets(at(45), 3000) // replaces it: the user moved on
	close(release)
	got := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), queries...)
	}
	for deadline := time.Now().Add(10 * time.Second); len(got()) < 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the waiting region never searched: %q", got())
		}
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		rt.mu.Lock()
		idle := !rt.running
		rt.mu.Unlock()
		if idle {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("searches never ended")
		}
	}
	q := got()
	if len(q) != 2 || !strings.Contains(q[1], "identFromLine44") || strings.Contains(q[1], "identFromLine24 ") {
		t.Fatalf("queries %q; want the first region, then the latest one (line 45)", q)
	}
}
