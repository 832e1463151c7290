package completion

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/cache"
	"github.com/mimi-lsp/mimi-lsp/model"
)

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
	if r := g.last(); r.Options.NumPredict != 64 || len(r.Stop) == 0 {
		t.Fatalf("request lacks num_predict/stop: %+v", r)
	}
}

// TestConcurrentIdenticalRequestsShareOneCall: the request that starts the call is answered by
// the model, the others joined it (in-flight); one model call in all.
func TestConcurrentIdenticalRequestsShareOneCall(t *testing.T) {
	g := &scripted{chunks: []string{"x"}, hold: make(chan struct{})}
	e := newTestEngine(g)
	req := Request{Text: "y := ", Offset: 5}
	key := e.key(t, req)
	const n = 4
	var outs []<-chan outcome
	for range n {
		outs = append(outs, goComplete(context.Background(), e, req))
	}
	waitUntil(t, func() bool { return e.refs(key) == n }) // all four wait on one call
	close(g.hold)
	count := map[Source]int{}
	for _, o := range outs {
		r := recv(t, o)
		if r.err != nil || r.res.Text != "x" {
			t.Fatalf("%+v %v", r.res, r.err)
		}
		count[r.res.Source]++
	}
	if g.calls.Load() != 1 {
		t.Fatalf("model calls = %d, want 1", g.calls.Load())
	}
	if count[SourceModel] != 1 || count[SourceShared] != n-1 {
		t.Fatalf("sources = %v, want 1 %s and %d %s", count, SourceModel, n-1, SourceShared)
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
	if !containsStr(g2.last().Stop, "\n") {
		t.Fatalf("mid-line request should stop at a newline: %q", g2.last().Stop)
	}
}

func TestCancelledLeaderDoesNotFailJoiner(t *testing.T) {
	g := &scripted{chunks: []string{"ok"}, hold: make(chan struct{}), entered: make(chan struct{}, 1)}
	e := newTestEngine(g)
	req := Request{Text: "v := ", Offset: 5}
	key := e.key(t, req)
	leaderCtx, cancel := context.WithCancel(context.Background())
	leader := goComplete(leaderCtx, e, req)
	recv(t, g.entered)
	joiner := goComplete(context.Background(), e, req)
	waitUntil(t, func() bool { return e.refs(key) == 2 })
	cancel()
	if o := recv(t, leader); o.err == nil {
		t.Fatalf("cancelled leader answered %+v", o.res)
	}
	close(g.hold)
	if o := recv(t, joiner); o.err != nil || o.res.Text != "ok" || o.res.Source != SourceShared {
		t.Fatalf("joiner got %+v %v after the leader was cancelled", o.res, o.err)
	}
}

func TestOffsetOutsideDocument(t *testing.T) {
	e := newTestEngine(&scripted{})
	if _, err := e.Complete(context.Background(), Request{Text: "abc", Offset: 9}); err == nil {
		t.Fatal("want an error for an offset past the end")
	}
}

// TestCutAnswersAreTrimmedAndNotCached: an answer num_predict cut off is shown up to what is
// whole, and is not cached as if complete (the next identical request asks again).
func TestCutAnswersAreTrimmedAndNotCached(t *testing.T) {
	cases := []struct {
		name   string
		multi  bool
		text   string
		off    int
		chunks []string
		want   string
	}{
		{"multi-line keeps whole lines", true, "func f() {\n\t\n}\n", len("func f() {\n\t"),
			[]string{"a := 1\n", "\tb := 2\n", "\tc := compu"}, "a := 1\n\tb := 2"},
		{"one line cut mid-word", false, "x := \n", 5, []string{"strings.ToUp"}, "strings."},
		{"one word cut: nothing left", false, "x := \n", 5, []string{"computeTheAnsw"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := &scripted{chunks: tc.chunks, done: "length"}
			e := newTestEngine(g)
			cfg := testConfig()
			cfg.MultiLine = tc.multi
			e.SetConfig(cfg)
			req := Request{Text: tc.text, Offset: tc.off}
			for i := range 2 {
				res, err := e.Complete(context.Background(), req)
				if err != nil || res.Text != tc.want || res.Source != SourceModel {
					t.Fatalf("call %d: %+v %v; want %q from the model", i, res, err, tc.want)
				}
			}
			if _, tier, _ := e.cache.GetTier(context.Background(), cache.KindCompletion, e.key(t, req)); tier != "" {
				t.Fatalf("a cut answer was cached (tier %s)", tier)
			}
			if g.calls.Load() != 2 {
				t.Fatalf("model calls = %d; want 2 (a cut answer is not reused)", g.calls.Load())
			}
		})
	}
}

// TestSetBackendKeepsStateAndCallsInFlight: a new model backend and cache (Ollama host or Redis
// changed) and a new configuration apply to new requests; the call in flight finishes on the
// old backend and its joiners get its answer; typing-ahead and statistics carry on.
func TestSetBackendKeepsStateAndCallsInFlight(t *testing.T) {
	g1 := &scripted{chunks: []string{"a + b"}, hold: make(chan struct{}), entered: make(chan struct{}, 1)}
	e := newTestEngine(g1)
	req := Request{Text: "x := \n", Offset: 5}
	key := e.key(t, req)
	first := goComplete(context.Background(), e, req)
	recv(t, g1.entered)

	g2 := &scripted{chunks: []string{"other"}}
	c2 := newMemCache()
	e.SetBackend(g2, c2)
	joiner := goComplete(context.Background(), e, req)
	waitUntil(t, func() bool { return e.refs(key) == 2 })
	close(g1.hold)
	if o := recv(t, first); o.err != nil || o.res.Text != "a + b" || o.res.Source != SourceModel {
		t.Fatalf("first: %+v %v", o.res, o.err)
	}
	if o := recv(t, joiner); o.err != nil || o.res.Text != "a + b" || o.res.Source != SourceShared {
		t.Fatalf("joiner: %+v %v", o.res, o.err)
	}
	// Typing-ahead still knows the suggestion.
	if r, err := e.Complete(context.Background(), Request{Text: "x := a\n", Offset: 6}); err != nil || r.Source != SourceTypeahead || r.Text != " + b" {
		t.Fatalf("typing-ahead after SetBackend: %+v %v", r, err)
	}
	// A new request asks the new backend with the new configuration and fills the new cache.
	cfg := testConfig()
	cfg.Options.NumPredict = 32
	e.SetConfig(cfg)
	other := Request{Text: "y := \n", Offset: 5}
	if r, err := e.Complete(context.Background(), other); err != nil || r.Text != "other" || r.Source != SourceModel {
		t.Fatalf("new request: %+v %v", r, err)
	}
	if g1.calls.Load() != 1 || g2.calls.Load() != 1 || g2.last().Options.NumPredict != 32 {
		t.Fatalf("calls old/new = %d/%d, new num_predict %d", g1.calls.Load(), g2.calls.Load(), g2.last().Options.NumPredict)
	}
	if _, tier, _ := c2.GetTier(context.Background(), cache.KindCompletion, e.key(t, other)); tier != cache.TierMemory {
		t.Fatalf("the new cache lacks the new answer (tier %q)", tier)
	}
}

// backendFunc adapts a function to model.Backend (generation only).
type backendFunc func(ctx context.Context, req model.GenerateRequest) (model.Generation, error)

func (f backendFunc) Generate(ctx context.Context, req model.GenerateRequest, _ func(string, string) bool) (model.Generation, error) {
	return f(ctx, req)
}

func (backendFunc) Embed(context.Context, string, []string, time.Duration) ([][]float32, error) {
	return nil, nil
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

// stageLog records the stages an engine reports.
type stageLog struct {
	mu     sync.Mutex
	stages []string
	total  time.Duration
}

func (l *stageLog) CompletionStage(stage string, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stages = append(l.stages, stage)
	l.total += d
}

func (l *stageLog) take() ([]string, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out, total := l.stages, l.total
	l.stages, l.total = nil, 0
	return out, total
}

// stepClock advances a millisecond each time it is read.
type stepClock struct{ n atomic.Int64 }

func (c *stepClock) now() time.Time {
	return time.Unix(0, 0).Add(time.Duration(c.n.Add(1)) * time.Millisecond)
}

// TestStagesReported: each path through Complete reports the stages it went through, once
// each, and they add up to the request's whole time (nothing counted twice): a model answer
// (context, cache, postprocess, model), a cache hit (context, cache, postprocess), typing-ahead
// (context, cache). A cancelled request reports nothing.
func TestStagesReported(t *testing.T) {
	g := &scripted{chunks: []string{"a + b"}}
	log := &stageLog{}
	e := newTestEngine(g, WithObserver(log))
	clk := &stepClock{}
	e.now = clk.now
	req := Request{Text: "x := \n", Offset: 5}
	for _, want := range [][]string{
		{StageContext, StageCache, StagePostprocess, StageModel}, // the model answers
		{StageContext, StageCache, StagePostprocess},             // the memory tier answers
	} {
		before := clk.n.Load()
		if _, err := e.Complete(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		// The clock was read once more than there are intervals between the reads.
		elapsed := time.Duration(clk.n.Load()-before-1) * time.Millisecond
		got, total := log.take()
		if !slices.Equal(got, want) || total != elapsed {
			t.Fatalf("stages %v adding up to %v, want %v adding up to %v", got, total, want, elapsed)
		}
	}
	if r, err := e.Complete(context.Background(), Request{Text: "x := a\n", Offset: 6}); err != nil || r.Source != SourceTypeahead {
		t.Fatalf("%+v %v", r, err)
	}
	if got, _ := log.take(); !slices.Equal(got, []string{StageContext, StageCache}) {
		t.Fatalf("typing-ahead stages %v", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Complete(ctx, Request{Text: "y := \n", Offset: 5}); err == nil {
		t.Fatal("a cancelled request answered")
	}
	if got, _ := log.take(); len(got) != 0 {
		t.Fatalf("a cancelled request reported %v", got)
	}
}
