package wiring

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/mimi-lsp/mimi-lsp/completion"
	"github.com/mimi-lsp/mimi-lsp/internal/secretfiles"
)

// BenchmarkRetrievalOnTheCompletionPath is what retrieval adds to a completion once the
// region's snippets are ready: the secret-file check and the region lookup (a 2,000-line file,
// cursor near the end).
func BenchmarkRetrievalOnTheCompletionPath(b *testing.B) {
	rt := newRetriever(slog.New(slog.DiscardHandler), func(context.Context, string, int) ([]searchHit, error) {
		return []searchHit{{rel: "x/y.go", file: "/w/x/y.go", text: "func Y() {}"}}, nil
	})
	defer rt.close()
	deny, err := secretfiles.New(nil)
	if err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat("\tresult = append(result, compute(value, index))\n", 2000)
	req := completion.Request{Text: text, Offset: len(text) - 10, File: "/w/pkg/file.go", Path: "pkg/file.go"}
	for rt.snippets(req, 3000) == nil { // wait for the region's search to land
	}
	b.ReportAllocs()
	for b.Loop() {
		if deny.Match(req.File) || deny.Match(req.Path) {
			b.Fatal("denied")
		}
		if rt.snippets(req, 3000) == nil {
			b.Fatal("no snippets")
		}
	}
}
