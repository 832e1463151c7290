package completion

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/cache"
	"github.com/mimi-lsp/mimi-lsp/model"
)

// scripted is a Generator that streams fixed chunks and counts calls.
type scripted struct {
	chunks  []string
	delay   time.Duration
	calls   atomic.Int64
	sent    atomic.Int64 // chunks delivered (to see early stops)
	lastReq model.GenerateRequest
	mu      sync.Mutex
}

func (s *scripted) Generate(ctx context.Context, req model.GenerateRequest, on func(string, string) bool) (model.Generation, error) {
	s.calls.Add(1)
	s.mu.Lock()
	s.lastReq = req
	s.mu.Unlock()
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return model.Generation{}, &model.Error{Kind: model.KindCancelled, Err: ctx.Err()}
	}
	var b strings.Builder
	for _, c := range s.chunks {
		b.WriteString(c)
		s.sent.Add(1)
		if !on(c, b.String()) {
			return model.Generation{Text: b.String(), DoneReason: "client"}, nil
		}
	}
	return model.Generation{Text: b.String(), DoneReason: "stop"}, nil
}

func testConfig() Config {
	return Config{Model: "qwen2.5-coder:1.5b", Template: "auto", Options: model.Options{NumCtx: 4096, NumPredict: 64, Temperature: 0.2, TopP: 0.9},
		PrefixTokens: 1024, SuffixTokens: 256, MultiLine: true, MaxLines: 12}
}

func newTestEngine(g Generator) *Engine {
	return New(g, cache.NewTiered(cache.NewMemory(1<<20, cache.TTLs{}), nil, nil), testConfig(), slog.New(slog.DiscardHandler))
}

func TestCompleteCachesAnswers(t *testing.T) {
	g := &scripted{chunks: []string{"a + ", "b"}}
	e := newTestEngine(g)
	req := Request{Text: "return \n", Offset: 7}
	for i, want := range []Source{SourceModel, SourceMemory} {
		res, err := e.Complete(context.Background(), req)
		if err != nil || res.Text != "a + b" || res.Source != want {
			t.Fatalf("call %d: %+v, %v; want source %s", i, res, err, want)
		}
	}
	if g.calls.Load() != 1 {
		t.Fatalf("model calls = %d, want 1", g.calls.Load())
	}
	if g.lastReq.Options.NumPredict != 64 || len(g.lastReq.Stop) == 0 {
		t.Fatalf("request lacks num_predict/stop: %+v", g.lastReq)
	}
}

func TestConcurrentIdenticalRequestsShareOneCall(t *testing.T) {
	g := &scripted{chunks: []string{"x"}, delay: 100 * time.Millisecond}
	e := newTestEngine(g)
	req := Request{Text: "y := ", Offset: 5}
	var wg sync.WaitGroup
	sources := make([]Source, 4)
	for i := range sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := e.Complete(context.Background(), req)
			if err != nil {
				t.Error(err)
			}
			sources[i] = res.Source
		}()
	}
	wg.Wait()
	if g.calls.Load() != 1 {
		t.Fatalf("model calls = %d, want 1 (singleflight)", g.calls.Load())
	}
	shared := 0
	for _, s := range sources {
		if s == SourceShared {
			shared++
		}
	}
	if shared < 3 {
		t.Fatalf("sources = %v, want the joiners marked %s", sources, SourceShared)
	}
}

func TestMidLineStopsStreamingAtFirstNewline(t *testing.T) {
	g := &scripted{chunks: []string{"a, b", "\n", "more", "\n", "lines"}}
	e := newTestEngine(g)
	// At the end of a line the whole multi-line answer is kept…
	res, err := e.Complete(context.Background(), Request{Text: "f(\n", Offset: 2})
	if err != nil || res.Text != "a, b\nmore\nlines" {
		t.Fatalf("%+v %v", res, err)
	}
	// …mid-line, streaming stops at the first newline.
	g2 := &scripted{chunks: []string{"a, b", "\n", "more", "\n", "lines"}}
	e2 := newTestEngine(g2)
	if _, err := e2.Complete(context.Background(), Request{Text: "f()\n", Offset: 2}); err != nil {
		t.Fatal(err)
	}
	if g2.sent.Load() != 2 {
		t.Fatalf("chunks consumed mid-line = %d, want 2 (stop at the newline)", g2.sent.Load())
	}
	if !containsStr(g2.lastReq.Stop, "\n") {
		t.Fatalf("mid-line request should stop at a newline: %q", g2.lastReq.Stop)
	}
}

func TestCancelledLeaderDoesNotFailJoiner(t *testing.T) {
	g := &scripted{chunks: []string{"ok"}, delay: 200 * time.Millisecond}
	e := newTestEngine(g)
	req := Request{Text: "v := ", Offset: 5}
	leaderCtx, cancel := context.WithCancel(context.Background())
	go func() { _, _ = e.Complete(leaderCtx, req) }()
	time.Sleep(20 * time.Millisecond)
	done := make(chan Result)
	go func() {
		r, err := e.Complete(context.Background(), req)
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	if r := <-done; r.Text != "ok" {
		t.Fatalf("joiner got %+v after the leader was cancelled", r)
	}
}

func TestOffsetOutsideDocument(t *testing.T) {
	e := newTestEngine(&scripted{})
	if _, err := e.Complete(context.Background(), Request{Text: "abc", Offset: 9}); err == nil {
		t.Fatal("want an error for an offset past the end")
	}
}

func containsStr(l []string, s string) bool {
	for _, v := range l {
		if v == s {
			return true
		}
	}
	return false
}

// BenchmarkPrepareAndPostprocess is the CPU cost of one completion outside the model:
// windows + prompt + key, then the post-processing pipeline on a typical multi-line answer.
func BenchmarkPrepareAndPostprocess(b *testing.B) {
	var sb strings.Builder
	for i := range 400 {
		sb.WriteString("func f")
		sb.WriteString(strings.Repeat("x", i%7))
		sb.WriteString("(a, b int) int {\n\tif a > b {\n\t\treturn a - b\n\t}\n\treturn b - a\n}\n\n")
	}
	text := sb.String()
	off := len(text) / 2
	e := newTestEngine(&scripted{})
	answer := "if x := compute(a, b); x > 0 {\n\t\treturn x\n\t}\n\treturn 0\n}\n\nfunc next() {"
	b.ReportAllocs()
	for b.Loop() {
		p, err := e.Prepare(Request{Text: text, Offset: off, Path: "main.go"})
		if err != nil {
			b.Fatal(err)
		}
		_ = postprocess(answer, p.pp, nil)
	}
}
