package model

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// gated is a Backend whose calls block until the test releases them (or their context ends).
// Every call announces itself on started, in the order the backend is entered.
type gated struct {
	started chan *gatedCall

	mu         sync.Mutex
	running    map[string]int
	maxRunning map[string]int
}

type gatedCall struct {
	name, model string
	ctx         context.Context
	release     chan struct{}
	returned    chan struct{} // closed when the backend call returned
}

func newGated() *gated {
	return &gated{started: make(chan *gatedCall, 64), running: map[string]int{}, maxRunning: map[string]int{}}
}

func (g *gated) block(ctx context.Context, modelName, name string) error {
	c := &gatedCall{name: name, model: modelName, ctx: ctx, release: make(chan struct{}), returned: make(chan struct{})}
	g.mu.Lock()
	g.running[modelName]++
	g.maxRunning[modelName] = max(g.maxRunning[modelName], g.running[modelName])
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.running[modelName]--
		g.mu.Unlock()
		close(c.returned)
	}()
	g.started <- c
	select {
	case <-c.release:
		return nil
	case <-ctx.Done():
		return &Error{Kind: KindCancelled, Model: modelName, Err: ctx.Err()}
	}
}

func (g *gated) Generate(ctx context.Context, req GenerateRequest, _ func(string, string) bool) (Generation, error) {
	err := g.block(ctx, req.Model, req.Prompt)
	return Generation{Text: req.Prompt}, err
}

func (g *gated) Embed(ctx context.Context, modelName string, inputs []string, _ time.Duration) ([][]float32, error) {
	return [][]float32{{1}}, g.block(ctx, modelName, inputs[0])
}

// next returns the next call the backend was entered with.
func (g *gated) next(t *testing.T) *gatedCall {
	t.Helper()
	select {
	case c := <-g.started:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no call reached the backend")
		return nil
	}
}

// watched is a scheduler whose state changes are signalled, so tests wait for states, not time.
type watched struct {
	*Scheduler
	changed chan struct{}
}

func newWatched(b Backend, limit int) *watched {
	w := &watched{Scheduler: NewScheduler(b, limit, nil), changed: make(chan struct{}, 1)}
	w.event = func(string, *ticket) {
		select {
		case w.changed <- struct{}{}:
		default:
		}
	}
	return w
}

// waitLoad waits until modelName's queue holds want.
func (w *watched) waitLoad(t *testing.T, modelName string, want Load) {
	t.Helper()
	for w.Load(modelName) != want {
		select {
		case <-w.changed:
		case <-time.After(10 * time.Second):
			t.Fatalf("load of %s = %+v, want %+v", modelName, w.Load(modelName), want)
		}
	}
}

// call runs one call in the background; its error arrives on the returned channel.
func (w *watched) call(ctx context.Context, c *Call, modelName, name string) <-chan error {
	out := make(chan error, 1)
	go func() {
		var err error
		if c.Task() == TaskEmbed {
			_, err = w.Embed(ctx, modelName, []string{name}, 0)
		} else {
			_, err = w.Generate(ctx, c, GenerateRequest{Model: modelName, Prompt: name}, nil)
		}
		out <- err
	}()
	return out
}

func wait(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("call did not return")
		return nil
	}
}

func TestSchedulerAdmitsByPriorityThenArrival(t *testing.T) {
	g := newGated()
	s := newWatched(g, 1)
	ctx := context.Background()
	var results []<-chan error
	results = append(results, s.call(ctx, NewCall(TaskCompletion), "m", "blocker"))
	blocker := g.next(t)
	queued := []struct {
		task Task
		name string
	}{
		{TaskEmbed, "embed-1"}, {TaskAction, "action-1"}, {TaskCompletion, "completion-1"},
		{TaskEmbed, "embed-2"}, {TaskAction, "action-2"}, {TaskCompletion, "completion-2"},
	}
	for i, q := range queued {
		results = append(results, s.call(ctx, NewCall(q.task), "m", q.name))
		s.waitLoad(t, "m", Load{Running: 1, Waiting: i + 1})
	}
	close(blocker.release)
	var order []string
	for range queued {
		c := g.next(t)
		order = append(order, c.name)
		close(c.release)
	}
	t.Logf("admission order after the blocker: %s", strings.Join(order, ", "))
	want := []string{"completion-1", "completion-2", "action-1", "action-2", "embed-1", "embed-2"}
	if !slices.Equal(order, want) {
		t.Fatalf("order = %v, want %v", order, want)
	}
	for _, r := range results {
		if err := wait(t, r); err != nil {
			t.Fatal(err)
		}
	}
	s.waitLoad(t, "m", Load{})
}

func TestSchedulerLimitsEachModelSeparately(t *testing.T) {
	g := newGated()
	s := newWatched(g, 2)
	ctx := context.Background()
	var results []<-chan error
	start := func(modelName, name string, want Load) {
		results = append(results, s.call(ctx, NewCall(TaskCompletion), modelName, name))
		s.waitLoad(t, modelName, want)
	}
	start("m1", "m1-a", Load{Running: 1})
	start("m1", "m1-b", Load{Running: 2})
	start("m1", "m1-c", Load{Running: 2, Waiting: 1}) // the limit is reached for m1…
	start("m2", "m2-a", Load{Running: 1})             // …not for m2
	start("m2", "m2-b", Load{Running: 2})
	calls := map[string]*gatedCall{}
	for range 4 {
		c := g.next(t)
		calls[c.name] = c
	}
	if _, ok := calls["m1-c"]; ok {
		t.Fatalf("m1-c ran past the limit: %v", calls)
	}
	close(calls["m1-a"].release)
	if c := g.next(t); c.name != "m1-c" {
		t.Fatalf("after m1-a ended, %s started; want m1-c", c.name)
	} else {
		calls[c.name] = c
	}
	for _, c := range calls {
		if c.name != "m1-a" {
			close(c.release)
		}
	}
	for _, r := range results {
		if err := wait(t, r); err != nil {
			t.Fatal(err)
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.maxRunning["m1"] != 2 || g.maxRunning["m2"] != 2 {
		t.Fatalf("most calls at once = %v, want 2 per model", g.maxRunning)
	}
}

func TestSchedulerCancelWhileQueuedLeavesAtOnce(t *testing.T) {
	g := newGated()
	s := newWatched(g, 1)
	blockerDone := s.call(context.Background(), NewCall(TaskCompletion), "m", "blocker")
	blocker := g.next(t)

	ctx, cancel := context.WithCancel(context.Background())
	queued := s.call(ctx, NewCall(TaskAction), "m", "queued")
	s.waitLoad(t, "m", Load{Running: 1, Waiting: 1})
	cancel()
	// It returns while the blocker still holds the only slot: it left the queue at once.
	if err := wait(t, queued); KindOf(err) != KindCancelled {
		t.Fatalf("cancelled while queued: %v, want kind %v", err, KindCancelled)
	}
	if l := s.Load("m"); l != (Load{Running: 1}) {
		t.Fatalf("load after the cancel = %+v, want the blocker alone", l)
	}
	// A deadline that passed before admission: a timeout, and no slot taken.
	past, cancelPast := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancelPast()
	if err := wait(t, s.call(past, NewCall(TaskCompletion), "m", "late")); KindOf(err) != KindTimeout {
		t.Fatalf("expired deadline: %v, want kind %v", err, KindTimeout)
	}
	select {
	case <-blocker.ctx.Done():
		t.Fatal("the running call was cancelled by another call's cancellation")
	default:
	}
	close(blocker.release)
	if err := wait(t, blockerDone); err != nil {
		t.Fatal(err)
	}
	// Nothing leaked: the slot is free for the next call.
	next := s.call(context.Background(), NewCall(TaskCompletion), "m", "next")
	close(g.next(t).release)
	if err := wait(t, next); err != nil {
		t.Fatal(err)
	}
	s.waitLoad(t, "m", Load{})
}

func TestSchedulerCancelsIdleCallsForWaitingOnes(t *testing.T) {
	g := newGated()
	s := newWatched(g, 1)
	bg := context.Background()

	idle := NewCall(TaskCompletion)
	idleDone := s.call(bg, idle, "m", "idle")
	running := g.next(t)
	if !idle.SetIdle(true) {
		t.Fatal("SetIdle(true) with nobody waiting cancelled the call")
	}
	// A lower-priority waiter does not cancel an idle completion: it waits for it.
	embedDone := s.call(bg, NewCall(TaskEmbed), "m", "embed")
	s.waitLoad(t, "m", Load{Running: 1, Waiting: 1})
	if running.ctx.Err() != nil {
		t.Fatal("an embedding batch cancelled an idle completion")
	}
	// A completion waits: the idle call is cancelled at once and the completion runs next.
	wantedDone := s.call(bg, NewCall(TaskCompletion), "m", "wanted")
	if err := wait(t, idleDone); KindOf(err) != KindCancelled {
		t.Fatalf("idle call: %v, want kind %v", err, KindCancelled)
	}
	if idle.SetIdle(false) {
		t.Fatal("SetIdle(false) on a cancelled call reported it alive")
	}
	wanted := g.next(t)
	if wanted.name != "wanted" {
		t.Fatalf("%s ran after the idle call was cancelled; want the completion", wanted.name)
	}

	// A waiting call does not cancel a wanted running one.
	second := s.call(bg, NewCall(TaskCompletion), "m", "second")
	s.waitLoad(t, "m", Load{Running: 1, Waiting: 2})
	if wanted.ctx.Err() != nil {
		t.Fatal("a waiting call cancelled a wanted running call")
	}
	close(wanted.release)
	if err := wait(t, wantedDone); err != nil {
		t.Fatal(err)
	}
	secondCall := g.next(t)
	if secondCall.name != "second" {
		t.Fatalf("%s ran; want second", secondCall.name)
	}
	close(secondCall.release)
	if err := wait(t, second); err != nil {
		t.Fatal(err)
	}
	last := g.next(t)
	if last.name != "embed" {
		t.Fatalf("%s ran last; want embed", last.name)
	}
	close(last.release)
	if err := wait(t, embedDone); err != nil {
		t.Fatal(err)
	}
	s.waitLoad(t, "m", Load{})
}

func TestSchedulerCancelsACallThatTurnsIdleWhileOthersWait(t *testing.T) {
	g := newGated()
	s := newWatched(g, 1)
	bg := context.Background()
	c := NewCall(TaskCompletion)
	first := s.call(bg, c, "m", "first")
	g.next(t)
	second := s.call(bg, NewCall(TaskCompletion), "m", "second")
	s.waitLoad(t, "m", Load{Running: 1, Waiting: 1})
	if c.SetIdle(true) {
		t.Fatal("SetIdle(true) while a call waits: want the call cancelled at once")
	}
	if err := wait(t, first); KindOf(err) != KindCancelled {
		t.Fatalf("first: %v, want kind %v", err, KindCancelled)
	}
	close(g.next(t).release)
	if err := wait(t, second); err != nil {
		t.Fatal(err)
	}
}

// TestCompletionDuringEmbeddingRunWaitsOneBatch: an indexer embeds batch after batch, the next
// batch always queued while one runs; a completion issued while batch 3 runs is admitted as
// soon as batch 3 ends, before batch 4 that was queued before it. (Batches are submitted one
// after the other, each once the previous one runs, so the order is the test's, not the
// goroutine scheduler's.)
func TestCompletionDuringEmbeddingRunWaitsOneBatch(t *testing.T) {
	g := newGated()
	s := newWatched(g, 1)
	bg := context.Background()
	const batches = 8
	var results []<-chan error
	submit := func(i int) {
		results = append(results, s.call(bg, NewCall(TaskEmbed), "m", fmt.Sprintf("batch-%d", i)))
	}
	submit(1)
	var order []string
	var completion <-chan error
	for n := 2; len(order) < batches+1; {
		c := g.next(t) // a call runs
		order = append(order, c.name)
		if n <= batches && strings.HasPrefix(c.name, "batch-") {
			submit(n) // the indexer's next batch queues behind it
			n++
			s.waitLoad(t, "m", Load{Running: 1, Waiting: 1})
		}
		if c.name == "batch-3" {
			completion = s.call(bg, NewCall(TaskCompletion), "m", "completion")
			s.waitLoad(t, "m", Load{Running: 1, Waiting: 2})
		}
		close(c.release)
	}
	for _, r := range results {
		if err := wait(t, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := wait(t, completion); err != nil {
		t.Fatal(err)
	}
	t.Logf("admission order: %s", strings.Join(order, ", "))
	if i := slices.Index(order, "completion"); i != 3 || order[2] != "batch-3" || order[4] != "batch-4" {
		t.Fatalf("order = %v, want the completion right after batch-3, before batch-4", order)
	}
}

// TestEmbeddingYieldsToCompletionsOfOtherModels: with the default routes the completion model
// and the embedding model differ, and Ollama runs them side by side on one machine. A
// completion of another model never waits for a batch (it starts at once), and no new batch
// starts while a completion runs or waits.
func TestEmbeddingYieldsToCompletionsOfOtherModels(t *testing.T) {
	g := newGated()
	s := newWatched(g, 1)
	bg := context.Background()
	const fim, embed = "qwen2.5-coder:1.5b", "nomic-embed-text"
	b1 := s.call(bg, NewCall(TaskEmbed), embed, "batch-1")
	batch1 := g.next(t)
	// A completion during a batch of another model starts at once.
	c1 := s.call(bg, NewCall(TaskCompletion), fim, "completion-1")
	comp := g.next(t)
	if comp.name != "completion-1" {
		t.Fatalf("next call = %s, want the completion", comp.name)
	}
	close(batch1.release)
	if err := wait(t, b1); err != nil {
		t.Fatal(err)
	}
	// The next batch waits while the completion runs…
	b2 := s.call(bg, NewCall(TaskEmbed), embed, "batch-2")
	s.waitLoad(t, embed, Load{Waiting: 1})
	// …and starts when it ends.
	close(comp.release)
	if err := wait(t, c1); err != nil {
		t.Fatal(err)
	}
	batch2 := g.next(t)
	if batch2.name != "batch-2" {
		t.Fatalf("next call = %s, want batch-2", batch2.name)
	}
	close(batch2.release)
	if err := wait(t, b2); err != nil {
		t.Fatal(err)
	}
	// A waiting batch also starts when the completion that held it back is cancelled.
	c3ctx, cancel := context.WithCancel(bg)
	c2 := s.call(bg, NewCall(TaskCompletion), fim, "completion-2")
	comp2 := g.next(t)
	c3 := s.call(c3ctx, NewCall(TaskCompletion), fim, "completion-3") // waits behind completion-2
	s.waitLoad(t, fim, Load{Running: 1, Waiting: 1})
	b3 := s.call(bg, NewCall(TaskEmbed), embed, "batch-3")
	s.waitLoad(t, embed, Load{Waiting: 1})
	close(comp2.release)
	if err := wait(t, c2); err != nil {
		t.Fatal(err)
	}
	comp3 := g.next(t) // completion-3 now runs; batch-3 still waits
	s.waitLoad(t, embed, Load{Waiting: 1})
	cancel()
	if err := wait(t, c3); err == nil {
		t.Fatal("cancelled completion returned no error")
	}
	<-comp3.returned
	if got := g.next(t); got.name != "batch-3" {
		t.Fatalf("next call = %s, want batch-3", got.name)
	} else {
		close(got.release)
	}
	if err := wait(t, b3); err != nil {
		t.Fatal(err)
	}
}

// TestEmbeddingIsNotStarvedByTyping: while the user types, a new completion is always running
// or waiting; a batch still goes after maxYield completions, and an idle completion (nobody wants
// it) does not hold a batch back.
func TestEmbeddingIsNotStarvedByTyping(t *testing.T) {
	g := newGated()
	s := newWatched(g, 1)
	bg := context.Background()
	const fim, embed = "fim", "embed"
	first := s.call(bg, NewCall(TaskCompletion), fim, "completion-0")
	running := g.next(t)
	batch := s.call(bg, NewCall(TaskEmbed), embed, "batch")
	s.waitLoad(t, embed, Load{Waiting: 1})
	results := []<-chan error{first}
	var started []string
	admittedAt := 0
	for i := 1; ; i++ {
		// The next keystroke's completion waits before the previous one ends.
		results = append(results, s.call(bg, NewCall(TaskCompletion), fim, fmt.Sprintf("completion-%d", i)))
		s.waitLoad(t, fim, Load{Running: 1, Waiting: 1})
		close(running.release)
		running = g.next(t)
		started = append(started, running.name)
		if running.name == "batch" {
			break
		}
		// The scheduler's verdict is its state (the batch admitted), not how soon the batch's
		// goroutine reaches the backend on a loaded machine.
		if admittedAt == 0 && s.Load(embed).Running == 1 {
			admittedAt = i
		}
		if admittedAt == 0 && i > 2*maxYield {
			t.Fatalf("batch still waiting after %d completions: %v", i, started)
		}
		if i > 1000 {
			t.Fatalf("batch admitted after completion %d never reached the backend", admittedAt)
		}
	}
	t.Logf("started while the batch waited: %s", strings.Join(started, ", "))
	close(running.release) // the batch
	if err := wait(t, batch); err != nil {
		t.Fatal(err)
	}
	last := g.next(t) // the completion that waited behind the batch's start
	close(last.release)
	for _, r := range results {
		if err := wait(t, r); err != nil {
			t.Fatal(err)
		}
	}

	// An idle running completion does not hold a batch back.
	c := NewCall(TaskCompletion)
	idle := s.call(bg, c, fim, "idle-completion")
	ic := g.next(t)
	b2 := s.call(bg, NewCall(TaskEmbed), embed, "batch-2")
	s.waitLoad(t, embed, Load{Waiting: 1})
	c.SetIdle(true)
	if got := g.next(t); got.name != "batch-2" {
		t.Fatalf("next = %s, want batch-2 once the completion is idle", got.name)
	} else {
		close(got.release)
	}
	close(ic.release)
	_ = wait(t, idle)
	if err := wait(t, b2); err != nil {
		t.Fatal(err)
	}
}
