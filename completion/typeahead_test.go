package completion

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

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
}

func TestTypingAheadWaitsForAStreamingSuggestion(t *testing.T) {
	g := &scripted{chunks: []string{"a", " + ", "b"}, hold: make(chan struct{}), entered: make(chan struct{}, 1)}
	e := newTestEngine(g)
	doc := "x := \n"
	key := e.key(t, Request{Text: doc, Offset: 5})
	first := goComplete(context.Background(), e, Request{Text: doc, Offset: 5})
	recv(t, g.entered) // the first request is now waiting on the model
	second := goComplete(context.Background(), e, Request{Text: "x := a\n", Offset: 6})
	waitUntil(t, func() bool { return e.refs(key) == 2 }) // the second waits on the stream
	close(g.hold)
	if o := recv(t, second); o.err != nil || o.res.Source != SourceTypeahead || o.res.Text != " + b" {
		t.Fatalf("typed during streaming: %+v %v", o.res, o.err)
	}
	if o := recv(t, first); o.res.Text != "a + b" {
		t.Fatalf("first = %+v", o.res)
	}
	if g.calls.Load() != 1 {
		t.Fatalf("model calls = %d, want 1", g.calls.Load())
	}
}

// TestSupersededRequestKeepsTheCallForTheNextKeystroke: the editor cancels request 1 when the
// user types; request 2 continues the same model call instead of starting another, as long as
// it comes within the grace period. Once the grace period has passed, the call is gone.
func TestSupersededRequestKeepsTheCallForTheNextKeystroke(t *testing.T) {
	for _, graceEnds := range []bool{false, true} {
		t.Run(fmt.Sprintf("grace ends first %t", graceEnds), func(t *testing.T) {
			g := &scripted{chunks: []string{"a + b"}, hold: make(chan struct{}), entered: make(chan struct{}, 2)}
			e, clk := newClockedEngine(g, WithAbandonGrace(42))
			key := e.key(t, Request{Text: "x := \n", Offset: 5})
			ctx1, cancel1 := context.WithCancel(context.Background())
			first := goComplete(ctx1, e, Request{Text: "x := \n", Offset: 5})
			recv(t, g.entered)
			cancel1()
			if o := recv(t, first); o.err == nil {
				t.Fatal("cancelled request returned no error")
			}
			if graceEnds {
				if ds := clk.fire(); len(ds) != 1 || ds[0] != 42 {
					t.Fatalf("grace timers = %v, want one of the configured 42ns", ds)
				}
				waitUntil(t, func() bool { return e.refs(key) == -1 }) // the call ended, and left the registry
			}
			second := goComplete(context.Background(), e, Request{Text: "x := a\n", Offset: 6})
			if graceEnds {
				recv(t, g.entered) // a new call: the old one was given up
			} else {
				waitUntil(t, func() bool { return e.refs(key) == 1 }) // request 2 waits on the same call
			}
			close(g.hold)
			o := recv(t, second)
			switch {
			case o.err != nil:
				t.Fatal(o.err)
			case !graceEnds && (o.res.Source != SourceTypeahead || o.res.Text != " + b" || g.calls.Load() != 1):
				t.Fatalf("next keystroke within the grace period: %+v, %d calls", o.res, g.calls.Load())
			case graceEnds && (o.res.Source != SourceModel || g.calls.Load() != 2):
				t.Fatalf("next keystroke after the grace period: %+v, %d calls", o.res, g.calls.Load())
			}
			e.running.Wait()
		})
	}
}

// blocking answers prompts containing "A" only when cancelled, and "B" at once.
type blocking struct {
	aStarted, aCancelled chan struct{}
}

func (g *blocking) generate(ctx context.Context, req model.GenerateRequest) (model.Generation, error) {
	if strings.Contains(req.Prompt, "A") {
		close(g.aStarted)
		<-ctx.Done()
		close(g.aCancelled)
		return model.Generation{}, &model.Error{Kind: model.KindCancelled, Err: ctx.Err()}
	}
	return model.Generation{Text: "b"}, nil
}

// TestNewCallCancelsIdleCalls: an abandoned call in its grace period is cancelled at once when
// another model call waits for the model (Ollama would otherwise serve it first). The rule
// lives in the scheduler; the engine marks its calls idle.
func TestNewCallCancelsIdleCalls(t *testing.T) {
	g := &blocking{aStarted: make(chan struct{}), aCancelled: make(chan struct{})}
	e := newTestEngine(model.NewScheduler(backendFunc(g.generate), 1, nil)) // the grace period never ends
	ctxA, cancelA := context.WithCancel(context.Background())
	doneA := goComplete(ctxA, e, Request{Text: "A := ", Offset: 5})
	recv(t, g.aStarted)
	cancelA()
	recv(t, doneA) // A's only request is gone: its call is idle, in the grace period
	if r, err := e.Complete(context.Background(), Request{Text: "B := ", Offset: 5}); err != nil || r.Text != "b" {
		t.Fatalf("B: %+v %v", r, err)
	}
	// B ran, and the scheduler runs one call at a time: A was cancelled before B started.
	select {
	case <-g.aCancelled:
	default:
		t.Fatal("the idle call was not cancelled when a new call waited")
	}
	e.running.Wait()
}

// TestRegistryEmptyAfterSupersededRounds: 1,000 rounds of: a request for key A, cancelled
// (its call idles); a request for key B, which cancels A's idle call; while A's call is still
// ending, a request for A again (a joiner that cannot join the ending call: it starts another),
// itself cancelled at once; A's call ends, B's runs, B's request is cancelled. Every call ends
// (the last grace period is fired) and nothing stays in the in-flight registry.
func TestRegistryEmptyAfterSupersededRounds(t *testing.T) {
	entered := make(chan string, 4)
	aCancelled, aFinish := make(chan struct{}, 1), make(chan struct{})
	backend := backendFunc(func(ctx context.Context, req model.GenerateRequest) (model.Generation, error) {
		name := "B"
		if strings.Contains(req.Prompt, "A") {
			name = "A"
		}
		entered <- name
		<-ctx.Done()
		if name == "A" {
			aCancelled <- struct{}{}
			<-aFinish // A's call takes a while to end
		}
		return model.Generation{}, &model.Error{Kind: model.KindCancelled, Err: ctx.Err()}
	})
	e, clk := newClockedEngine(model.NewScheduler(backend, 1, nil))
	bg := context.Background()
	for i := range 1000 {
		textA, textB := fmt.Sprintf("A%d := ", i), fmt.Sprintf("B%d := ", i)
		reqA, reqB := Request{Text: textA, Offset: len(textA)}, Request{Text: textB, Offset: len(textB)}
		keyA := e.key(t, reqA)
		ctx1, cancel1 := context.WithCancel(bg)
		r1 := goComplete(ctx1, e, reqA)
		if n := recv(t, entered); n != "A" {
			t.Fatalf("round %d: %s entered, want A", i, n)
		}
		cancel1()
		recv(t, r1)
		ctx2, cancel2 := context.WithCancel(bg)
		r2 := goComplete(ctx2, e, reqB)
		recv(t, aCancelled) // B waits: A's idle call is cancelled, and is ending
		ctx3, cancel3 := context.WithCancel(bg)
		r3 := goComplete(ctx3, e, reqA)
		waitUntil(t, func() bool { return e.refs(keyA) == 1 })
		cancel3()
		recv(t, r3)
		aFinish <- struct{}{}
		if n := recv(t, entered); n != "B" {
			t.Fatalf("round %d: %s entered, want B", i, n)
		}
		cancel2()
		recv(t, r2)
	}
	clk.fire()
	e.running.Wait()
	e.fmu.Lock()
	defer e.fmu.Unlock()
	if len(e.flights) != 0 {
		t.Fatalf("%d flights left in the registry after every call ended", len(e.flights))
	}
}

// controlled streams "zzz" for prompts with "A" when emit is closed, then holds until release.
type controlled struct {
	emit, release chan struct{}
	calls         atomic.Int64
}

func (g *controlled) Generate(ctx context.Context, _ *model.Call, req model.GenerateRequest, on func(string, string) bool) (model.Generation, error) {
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
	e := newTestEngine(g)
	key := e.key(t, Request{Text: "A := \n", Offset: 5})
	first := goComplete(context.Background(), e, Request{Text: "A := \n", Offset: 5})
	waitUntil(t, func() bool { return g.calls.Load() == 1 })
	second := goComplete(context.Background(), e, Request{Text: "A := a\n", Offset: 6})
	waitUntil(t, func() bool { return e.refs(key) == 2 }) // the second request waits on the stream
	close(g.emit)                                         // the stream says "zzz": not what was typed
	// The second request answers while the first call is still held: it stopped waiting.
	if o := recv(t, second); o.res.Source != SourceModel || o.res.Text != "b" {
		t.Fatalf("second = %+v %v", o.res, o.err)
	}
	close(g.release)
	recv(t, first)
}

// TestAcceptedSuggestionOutlivesNewerOnes: an accepted suggestion's typing-ahead entries move
// to the newest end, so newer suggestions evict others first.
func TestAcceptedSuggestionOutlivesNewerOnes(t *testing.T) {
	ta := newTypeahead(3)
	for _, k := range []string{"a", "b", "c"} {
		ta.addDone(k, 0, "", "x")
	}
	e := &Engine{ta: ta}
	e.Accepted(Ref{ctxKey: "a"})
	ta.addDone("d", 0, "", "x") // evicts the oldest: b, not the accepted a
	var keys []string
	for _, en := range ta.entries {
		keys = append(keys, en.ctxKey)
	}
	if !slices.Equal(keys, []string{"c", "a", "d"}) {
		t.Fatalf("entries %v, want [c a d]", keys)
	}
	e.Accepted(Ref{}) // a result without a context (e.g. a secret file): nothing happens
}
