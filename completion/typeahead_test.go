package completion

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/model"
)

func TestTypingAheadServesTheRest(t *testing.T) {
	g := &scripted{chunks: []string{"a + b"}}
	e := newTestEngine(g)
	doc := "func add(a, b int) int {\n\treturn \n}\n"
	cur := len("func add(a, b int) int {\n\treturn ")
	typeAt := func(typed string) Request {
		return Request{Text: doc[:cur] + typed + doc[cur:], Offset: cur + len(typed)}
	}
	if r, err := e.Complete(context.Background(), typeAt("")); err != nil || r.Text != "a + b" {
		t.Fatalf("first: %+v %v", r, err)
	}
	for _, tc := range []struct{ typed, want string }{{"a", " + b"}, {"a +", " b"}, {"a + ", "b"}} {
		r, err := e.Complete(context.Background(), typeAt(tc.typed))
		if err != nil || r.Source != SourceTypeahead || r.Text != tc.want {
			t.Fatalf("typed %q: %+v %v; want %q from typing-ahead", tc.typed, r, err, tc.want)
		}
	}
	if g.calls.Load() != 1 {
		t.Fatalf("model calls = %d, want 1", g.calls.Load())
	}
	// Typing something else asks the model.
	if r, _ := e.Complete(context.Background(), typeAt("x")); r.Source != SourceModel {
		t.Fatalf("diverging text: source %s", r.Source)
	}
	// Typing the whole suggestion leaves nothing to reuse: ask again.
	if r, _ := e.Complete(context.Background(), typeAt("a + b")); r.Source != SourceModel {
		t.Fatalf("fully typed: source %s", r.Source)
	}
	// A different text after the cursor (suffix) is another context.
	other := Request{Text: doc[:cur] + "a" + "\n\tpanic(1)\n}\n", Offset: cur + 1}
	if r, _ := e.Complete(context.Background(), other); r.Source == SourceTypeahead {
		t.Fatal("typing-ahead served across a different suffix")
	}
	st := e.Stats()
	if st.BySource[SourceTypeahead] != 3 || int64(st.ModelCalls) != g.calls.Load() {
		t.Fatalf("stats = %+v", st)
	}
}

func TestTypingAheadWaitsForAStreamingSuggestion(t *testing.T) {
	g := &scripted{chunks: []string{"a", " + ", "b"}, delay: 150 * time.Millisecond}
	e := newTestEngine(g)
	doc := "x := \n"
	first := make(chan Result)
	go func() {
		r, _ := e.Complete(context.Background(), Request{Text: doc, Offset: 5})
		first <- r
	}()
	for g.calls.Load() == 0 { // the first request is now waiting on the model
		time.Sleep(time.Millisecond)
	}
	r, err := e.Complete(context.Background(), Request{Text: "x := a\n", Offset: 6})
	if err != nil || r.Source != SourceTypeahead || r.Text != " + b" {
		t.Fatalf("typed during streaming: %+v %v", r, err)
	}
	if f := <-first; f.Text != "a + b" {
		t.Fatalf("first = %+v", f)
	}
	if g.calls.Load() != 1 {
		t.Fatalf("model calls = %d, want 1", g.calls.Load())
	}
}

// TestSupersededRequestKeepsTheCallForTheNextKeystroke: the editor cancels request 1 when the
// user types; request 2 continues the same model call instead of starting another.
func TestSupersededRequestKeepsTheCallForTheNextKeystroke(t *testing.T) {
	g := &scripted{chunks: []string{"a + b"}, delay: 100 * time.Millisecond}
	e := newTestEngine(g)
	ctx1, cancel1 := context.WithCancel(context.Background())
	first := make(chan error)
	go func() {
		_, err := e.Complete(ctx1, Request{Text: "x := \n", Offset: 5})
		first <- err
	}()
	for g.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel1()
	if err := <-first; err == nil {
		t.Fatal("cancelled request returned no error")
	}
	r, err := e.Complete(context.Background(), Request{Text: "x := a\n", Offset: 6})
	if err != nil || r.Source != SourceTypeahead || r.Text != " + b" {
		t.Fatalf("next keystroke: %+v %v", r, err)
	}
	if g.calls.Load() != 1 {
		t.Fatalf("model calls = %d, want 1", g.calls.Load())
	}
}

// blocking answers prompts containing "A" only when cancelled, and "B" at once.
type blocking struct {
	aCancelled chan struct{}
}

func (g *blocking) Generate(ctx context.Context, req model.GenerateRequest, _ func(string, string) bool) (model.Generation, error) {
	if strings.Contains(req.Prompt, "A") {
		<-ctx.Done()
		close(g.aCancelled)
		return model.Generation{}, &model.Error{Kind: model.KindCancelled, Err: ctx.Err()}
	}
	return model.Generation{Text: "b"}, nil
}

// TestNewCallCancelsIdleCalls: an abandoned call in its grace period is cancelled at once when
// another model call starts (Ollama would otherwise serve it first).
func TestNewCallCancelsIdleCalls(t *testing.T) {
	g := &blocking{aCancelled: make(chan struct{})}
	e := newTestEngine(g)
	ctxA, cancelA := context.WithCancel(context.Background())
	doneA := make(chan struct{})
	go func() { _, _ = e.Complete(ctxA, Request{Text: "A := ", Offset: 5}); close(doneA) }()
	waitUntil(t, func() bool { e.fmu.Lock(); defer e.fmu.Unlock(); return len(e.flights) == 1 })
	cancelA()
	<-doneA // A's only request is gone: its call is idle, in the grace period
	if _, err := e.Complete(context.Background(), Request{Text: "B := ", Offset: 5}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-g.aCancelled:
	case <-time.After(abandonGrace / 2):
		t.Fatal("the idle call was not cancelled when a new call started")
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("condition not reached")
		}
	}
}

// controlled streams "zzz" for prompts with "A" when emit is closed, then holds until release.
type controlled struct {
	emit, release chan struct{}
	calls         atomic.Int64
}

func (g *controlled) Generate(ctx context.Context, req model.GenerateRequest, on func(string, string) bool) (model.Generation, error) {
	g.calls.Add(1)
	if !strings.Contains(req.Prompt, "A := <|fim_suffix|>") {
		return model.Generation{Text: "b"}, nil
	}
	<-g.emit
	on("zzz", "zzz")
	select {
	case <-g.release:
	case <-ctx.Done():
	}
	return model.Generation{Text: "zzz"}, nil
}

// TestWaitStopsWhenTheStreamDisagrees: a request waiting on a streaming suggestion stops
// waiting when the streamed text stops agreeing with what was typed, instead of waiting for
// the end of a suggestion it cannot use.
func TestWaitStopsWhenTheStreamDisagrees(t *testing.T) {
	g := &controlled{emit: make(chan struct{}), release: make(chan struct{})}
	defer close(g.release)
	e := newTestEngine(g)
	go func() { _, _ = e.Complete(context.Background(), Request{Text: "A := \n", Offset: 5}) }()
	waitUntil(t, func() bool { return g.calls.Load() == 1 })
	refs := func() int {
		e.fmu.Lock()
		defer e.fmu.Unlock()
		for _, f := range e.flights {
			f.mu.Lock()
			n := f.refs
			f.mu.Unlock()
			return n
		}
		return 0
	}
	second := make(chan Result, 1)
	go func() {
		r, _ := e.Complete(context.Background(), Request{Text: "A := a\n", Offset: 6})
		second <- r
	}()
	waitUntil(t, func() bool { return refs() == 2 }) // the second request waits on the stream
	close(g.emit)                                    // the stream says "zzz": not what was typed
	select {
	case r := <-second:
		if r.Source != SourceModel || r.Text != "b" {
			t.Fatalf("second = %+v", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the second request kept waiting on a disagreeing stream")
	}
}
