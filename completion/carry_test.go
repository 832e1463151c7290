package completion

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/cache"
	"github.com/mimi-lsp/mimi-lsp/model"
)

// carryDoc is a function whose body the user is typing, the cursor on its empty first line.
const carryDoc = "func f() {\n\t\n}\n"

func carryReq() Request { return Request{Text: carryDoc, Offset: len("func f() {\n\t")} }

// bodyLines are the model's lines from..to ("x1 := 1", then "\tx2 := 2"...), each ending in "\n".
func bodyLines(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		l := fmt.Sprintf("\tx%d := %d\n", i, i)
		if i == 1 {
			l = l[1:] // the cursor's line has its tab already
		}
		out = append(out, l)
	}
	return out
}

// taken is r with text inserted at the cursor and the cursor after it: the suggestion taken.
func taken(r Request, text string) Request {
	r.Text = r.Text[:r.Offset] + text + r.Text[r.Offset:]
	r.Offset += len(text)
	return r
}

// TestCarryServesWhatFollowsTheSuggestion: a 12-line suggestion is answered at its 12th line,
// and the same call streams on; a request once the suggestion is taken gets what the model
// said next from typing-ahead, without another call, and the continuation is cached where it
// stands. A continuation ends at maxLines lines of its own.
func TestCarryServesWhatFollowsTheSuggestion(t *testing.T) {
	g := &scripted{chunks: bodyLines(1, 40)}
	e := newTestEngine(g)
	ctx := context.Background()
	res, err := e.Complete(ctx, carryReq())
	want := strings.TrimSuffix(strings.Join(bodyLines(1, 12), ""), "\n")
	if err != nil || res.Text != want || res.Source != SourceModel {
		t.Fatalf("suggestion: %q %s %v, want %q", res.Text, res.Source, err, want)
	}
	next := taken(carryReq(), res.Text)
	res2, err := e.Complete(ctx, next)
	want2 := "\n" + strings.TrimSuffix(strings.Join(bodyLines(13, 24), ""), "\n")
	if err != nil || res2.Text != want2 || res2.Source != SourceTypeahead {
		t.Fatalf("after taking it: %q %s %v, want %q from typing-ahead", res2.Text, res2.Source, err, want2)
	}
	if res2.Ref.ID() == res.Ref.ID() {
		t.Fatal("the continuation is a suggestion of its own: it needs its own id")
	}
	e.running.Wait()
	if n := g.calls.Load(); n != 1 {
		t.Fatalf("%d model calls, want 1", n)
	}
	if n := g.sent.Load(); n != 24 {
		t.Fatalf("%d chunks streamed, want 24 (the continuation stops at its own 12 lines)", n)
	}
	_, c := e.backend()
	if _, ok := c.GetLocal(cache.KindCompletion, e.key(t, next)); !ok {
		t.Fatal("the continuation is not cached where it stands")
	}
	// Typing into the continuation is served from it too.
	typed := taken(next, "\n\tx13")
	if res3, err := e.Complete(ctx, typed); err != nil || !strings.HasPrefix(res3.Text, " := 13\n\tx14 := 14") || res3.Source != SourceTypeahead {
		t.Fatalf("typing into the continuation: %q %s %v", res3.Text, res3.Source, err)
	}
}

// TestNoCarryWhenTheModelWalksOut: a suggestion that post-processing cut before maxLines (here
// the model closed the function and wrote on) is whole; the call stops there.
func TestNoCarryWhenTheModelWalksOut(t *testing.T) {
	chunks := append([]string{"return\n", "}\n", "\n", "func g() {\n"}, bodyLines(2, 30)...)
	g := &scripted{chunks: chunks}
	e := newTestEngine(g)
	res, err := e.Complete(context.Background(), carryReq())
	if err != nil || res.Text != "return" {
		t.Fatalf("%q %v", res.Text, err)
	}
	e.running.Wait()
	if n := g.sent.Load(); n != 12 {
		t.Fatalf("%d chunks streamed, want 12: nothing to carry on into", n)
	}
	res2, err := e.Complete(context.Background(), taken(carryReq(), res.Text))
	if err != nil || res2.Source != SourceModel {
		t.Fatalf("after it: %+v %v, want a model call", res2, err)
	}
}

// carryBackend streams carryDoc's suggestion for prompts of carryDoc: 12 lines and the first of
// the continuation, then waits for more (or its context) before the rest of the continuation.
// Other prompts get "b" at once. order records "A done" and "B" as they happen.
type carryBackend struct {
	more    chan struct{}
	waiting chan struct{} // a value when the continuation waits for more
	mu      sync.Mutex
	order   []string
}

func (b *carryBackend) note(s string) {
	b.mu.Lock()
	b.order = append(b.order, s)
	b.mu.Unlock()
}

func (b *carryBackend) cancelled() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Contains(b.order, "A cancelled")
}

func (b *carryBackend) Generate(ctx context.Context, req model.GenerateRequest, on func(string, string) bool) (model.Generation, error) {
	if !strings.Contains(req.Prompt, "func f()") {
		b.note("B")
		return model.Generation{Text: "b", DoneReason: "stop"}, nil
	}
	var sb strings.Builder
	stream := func(chunks []string) bool {
		for _, c := range chunks {
			sb.WriteString(c)
			if !on(c, sb.String()) {
				return false
			}
		}
		return true
	}
	stream(bodyLines(1, 13))
	b.waiting <- struct{}{}
	select {
	case <-b.more:
	case <-ctx.Done():
		b.note("A cancelled")
		return model.Generation{Text: sb.String()}, &model.Error{Kind: model.KindCancelled, Err: ctx.Err()}
	}
	stream(bodyLines(14, 15))
	b.note("A done")
	return model.Generation{Text: sb.String(), DoneReason: "stop"}, nil
}

func (*carryBackend) Embed(context.Context, string, []string, time.Duration) ([][]float32, error) {
	return nil, nil
}

// TestCarryYieldsToAWantedCall: while nobody waits for the continuation, its call is idle: a
// request that needs the model cancels it at once (one call at a time). The continuation keeps
// the whole lines it had, served from typing-ahead, and is not cached (it was cut).
func TestCarryYieldsToAWantedCall(t *testing.T) {
	b := &carryBackend{more: make(chan struct{}), waiting: make(chan struct{}, 1)}
	e := newTestEngine(model.NewScheduler(b, 1, nil))
	ctx := context.Background()
	res, err := e.Complete(ctx, carryReq())
	if err != nil || countLines(res.Text) != 12 {
		t.Fatalf("suggestion: %q %v", res.Text, err)
	}
	recv(t, b.waiting)
	if r, err := e.Complete(ctx, Request{Text: "B := ", Offset: 5}); err != nil || r.Text != "b" {
		t.Fatalf("B: %+v %v", r, err)
	}
	next := taken(carryReq(), res.Text)
	res2, err := e.Complete(ctx, next)
	if err != nil || res2.Text != "\n\tx13 := 13" || res2.Source != SourceTypeahead {
		t.Fatalf("after taking it: %q %s %v", res2.Text, res2.Source, err)
	}
	e.running.Wait()
	if got := strings.Join(b.order, ", "); got != "A cancelled, B" {
		t.Fatalf("order %s, want A cancelled, B", got)
	}
	_, c := e.backend()
	if _, ok := c.GetLocal(cache.KindCompletion, e.key(t, next)); ok {
		t.Fatal("a continuation cut short was cached")
	}
}

// TestWantedCarryIsNotCancelled: a request at the suggestion's end waits for the continuation
// still streaming and makes its call wanted: another request that needs the model waits for it
// instead of cancelling it.
func TestWantedCarryIsNotCancelled(t *testing.T) {
	b := &carryBackend{more: make(chan struct{}), waiting: make(chan struct{}, 1)}
	s := model.NewScheduler(b, 1, nil)
	e := newTestEngine(s)
	ctx := context.Background()
	res, err := e.Complete(ctx, carryReq())
	if err != nil {
		t.Fatal(err)
	}
	recv(t, b.waiting)
	next := taken(carryReq(), res.Text)
	waiter := goComplete(ctx, e, next)
	waitUntil(t, func() bool { return e.carryRefs() == 2 }) // the carry's own and the waiter's
	other := goComplete(ctx, e, Request{Text: "B := ", Offset: 5})
	// B queues behind the continuation (or, were the continuation idle, cancels it).
	waitUntil(t, func() bool { return s.Load(testConfig().Model).Waiting == 1 || b.cancelled() })
	close(b.more)
	got := recv(t, waiter)
	want := "\n" + strings.TrimSuffix(strings.Join(bodyLines(13, 15), ""), "\n")
	if got.err != nil || got.res.Text != want || got.res.Source != SourceTypeahead {
		t.Fatalf("waiter: %q %s %v, want %q", got.res.Text, got.res.Source, got.err, want)
	}
	if o := recv(t, other); o.err != nil || o.res.Text != "b" {
		t.Fatalf("B: %+v %v", o.res, o.err)
	}
	e.running.Wait()
	if got := strings.Join(b.order, ", "); got != "A done, B" {
		t.Fatalf("order %s, want A done, B", got)
	}
}

// carryRefs returns the references held on the newest continuation's flight (-1: none).
func (e *Engine) carryRefs() int {
	e.ta.mu.Lock()
	defer e.ta.mu.Unlock()
	for i := len(e.ta.entries) - 1; i >= 0; i-- {
		if en := e.ta.entries[i]; en.carry && en.flight != nil {
			en.flight.mu.Lock()
			defer en.flight.mu.Unlock()
			return en.flight.refs
		}
	}
	return -1
}

// TestCarryIdleAgainWhenItsWaiterLeaves: a request that waited for the continuation and went
// away (the user typed on) leaves the call idle again: a request that needs the model cancels it.
func TestCarryIdleAgainWhenItsWaiterLeaves(t *testing.T) {
	b := &carryBackend{more: make(chan struct{}), waiting: make(chan struct{}, 1)}
	e := newTestEngine(model.NewScheduler(b, 1, nil))
	ctx := context.Background()
	res, err := e.Complete(ctx, carryReq())
	if err != nil {
		t.Fatal(err)
	}
	recv(t, b.waiting)
	wctx, leave := context.WithCancel(ctx)
	waiter := goComplete(wctx, e, taken(carryReq(), res.Text))
	waitUntil(t, func() bool { return e.carryRefs() == 2 })
	leave()
	recv(t, waiter)
	bctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if r, err := e.Complete(bctx, Request{Text: "B := ", Offset: 5}); err != nil || r.Text != "b" {
		close(b.more) // let the continuation end
		t.Fatalf("B did not get the model: %+v %v", r, err)
	}
	e.running.Wait()
	if got := strings.Join(b.order, ", "); got != "A cancelled, B" {
		t.Fatalf("order %s, want A cancelled, B", got)
	}
}

// blockingSet is a cache whose Set for one key waits until unblock is closed.
type blockingSet struct {
	*cache.Tiered
	key     string
	entered chan struct{}
	unblock chan struct{}
	once    sync.Once
}

func (c *blockingSet) Set(ctx context.Context, k cache.Kind, key string, v []byte) error {
	if key == c.key {
		c.once.Do(func() { close(c.entered) })
		<-c.unblock
	}
	return c.Tiered.Set(ctx, k, key, v)
}

// TestJoinerAfterTheHandOverLeavesTheCarryIdle: a request that joins the suggestion's flight
// after its call went to the carry (while the suggestion is being stored) does not make the
// call wanted: a request that needs the model still cancels the continuation nobody waits for.
func TestJoinerAfterTheHandOverLeavesTheCarryIdle(t *testing.T) {
	b := &carryBackend{more: make(chan struct{}), waiting: make(chan struct{}, 1)}
	e := newTestEngine(model.NewScheduler(b, 1, nil))
	bc := &blockingSet{Tiered: newMemCache(), key: e.key(t, carryReq()), entered: make(chan struct{}), unblock: make(chan struct{})}
	e.cache = bc
	ctx1, cancel1 := context.WithCancel(context.Background())
	first := goComplete(ctx1, e, carryReq())
	recv(t, bc.entered) // handed over; the suggestion is being stored
	cancel1()
	recv(t, first)
	second := goComplete(context.Background(), e, carryReq())
	waitUntil(t, func() bool { return e.refs(bc.key) == 1 }) // joined the suggestion's flight
	close(bc.unblock)
	if o := recv(t, second); o.err != nil {
		t.Fatal(o.err)
	}
	recv(t, b.waiting)
	bctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := e.Complete(bctx, Request{Text: "B := ", Offset: 5})
	if err != nil || r.Text != "b" {
		close(b.more)
		t.Fatalf("B waited behind a continuation nobody wants: %+v %v", r, err)
	}
	e.running.Wait()
	if got := strings.Join(b.order, ", "); got != "A cancelled, B" {
		t.Fatalf("order %s, want A cancelled, B", got)
	}
}
