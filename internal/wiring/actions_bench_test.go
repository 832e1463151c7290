package wiring

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/fakeollama"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/lsptest"
	"github.com/mimi-lsp/mimi-lsp/lsp"
)

// BenchmarkCodeActionWhileBusy: textDocument/codeAction round trips (LSP over a pipe, a real
// session and catalogue on a 600-line Go file) while the action model is busy with another
// action (its /api/chat hangs). Reports p50 and p99.
func BenchmarkCodeActionWhileBusy(b *testing.B) {
	fake := fakeollama.New("")
	defer fake.Close()
	fake.SetBehaviour(func(r fakeollama.Request) fakeollama.Behaviour { return fakeollama.Behaviour{Hang: r.Chat} })
	cfg := config.Default()
	cfg.OllamaHost, cfg.Indexing = fake.URL, false
	w := New(cfg, slog.New(slog.DiscardHandler))
	defer w.Close(time.Second)
	s, err := lsp.New(w.ServerOptions(cfg, "bench"))
	if err != nil {
		b.Fatal(err)
	}
	a, pb := net.Pipe()
	done := make(chan struct{})
	go func() { s.Serve(context.Background(), a, a); close(done) }()
	defer func() { pb.Close(); <-done }()
	c := lsptest.New(pb, pb)
	ctx := context.Background()
	caps := map[string]any{"textDocument": map[string]any{"codeAction": map[string]any{"resolveSupport": map[string]any{"properties": []string{"edit"}}}}}
	if err := c.Call(ctx, "initialize", map[string]any{"processId": nil, "rootUri": "file:///w", "capabilities": caps}, nil); err != nil {
		b.Fatal(err)
	}
	_ = c.Notify("initialized", map[string]any{})
	var src strings.Builder
	src.WriteString("package p\n\n")
	for i := range 60 {
		fmt.Fprintf(&src, "// F%d does things.\nfunc F%d(xs []int) int {\n\tt := 0\n\tfor _, x := range xs {\n\t\tt += x * %d\n\t}\n\treturn t\n}\n\n", i, i, i)
	}
	_ = c.DidOpen("file:///w/p.go", "go", src.String())
	list := func(line int) []map[string]any {
		var out []map[string]any
		pos := map[string]any{"line": line, "character": 2}
		if err := c.Call(ctx, "textDocument/codeAction", map[string]any{"textDocument": map[string]any{"uri": "file:///w/p.go"},
			"range": map[string]any{"start": pos, "end": pos}, "context": map[string]any{"diagnostics": []any{}}}, &out); err != nil {
			b.Fatal(err)
		}
		return out
	}
	busy, err := c.Send("codeAction/resolve", list(4 + 9*30)[0]) // the model is busy with this one
	if err != nil {
		b.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); fake.Calls.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatal("the busy action never reached the model")
		}
	}
	var lat []time.Duration
	k := 0
	for b.Loop() {
		k = (k + 7) % 60
		st := time.Now()
		if len(list(4+9*k)) == 0 { // inside F_k's body
			b.Fatal("no actions")
		}
		lat = append(lat, time.Since(st))
	}
	_ = c.Cancel(busy)
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
