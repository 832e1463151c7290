package completion

import (
	"context"
	"testing"

	"github.com/mimi-lsp/mimi-lsp/cache"
)

// TestReadyAnswersWithoutWaiting: Ready answers from the memory tier and from a finished
// typing-ahead suggestion, says no for anything that needs the model (or a suggestion still
// streaming), and a miss it saw is counted once, by the Complete that follows.
func TestReadyAnswersWithoutWaiting(t *testing.T) {
	g := &scripted{chunks: []string{"a + b"}}
	e := newTestEngine(g)
	req := Request{Text: "x := \n", Offset: 5}
	if _, ok := e.Ready(req); ok {
		t.Fatal("ready before anything was asked")
	}
	if res, err := e.Complete(context.Background(), req); err != nil || res.Source != SourceModel {
		t.Fatalf("%+v %v", res, err)
	}
	tier := e.cache.(*cache.Tiered)
	if st := tier.Stats().Kinds[cache.KindCompletion]; st.Misses != 1 || st.Hits != 0 {
		t.Fatalf("after one miss: %+v (Ready's miss counted?)", st)
	}
	res, ok := e.Ready(req)
	if !ok || res.Source != SourceMemory || res.Text != "a + b" || res.Ref.ID() == 0 {
		t.Fatalf("memory: %+v %v", res, ok)
	}
	if st := tier.Stats().Kinds[cache.KindCompletion]; st.Hits != 1 {
		t.Fatalf("the ready hit was not counted: %+v", st)
	}
	typed, ok := e.Ready(Request{Text: "x := a\n", Offset: 6})
	if !ok || typed.Source != SourceTypeahead || typed.Text != " + b" || typed.Ref.ID() != res.Ref.ID() {
		t.Fatalf("typing-ahead: %+v %v (id %d, want %d)", typed, ok, typed.Ref.ID(), res.Ref.ID())
	}
	if g.calls.Load() != 1 {
		t.Fatalf("model calls %d", g.calls.Load())
	}

	// A suggestion still streaming is not ready (Complete waits for it).
	slow := &scripted{chunks: []string{"c", "d"}, hold: make(chan struct{}), entered: make(chan struct{}, 1)}
	e2 := newTestEngine(slow)
	first := goComplete(context.Background(), e2, Request{Text: "y := \n", Offset: 5})
	recv(t, slow.entered)
	if _, ok := e2.Ready(Request{Text: "y := c\n", Offset: 6}); ok {
		t.Fatal("ready while the suggestion still streams")
	}
	close(slow.hold)
	if r := recv(t, first); r.err != nil {
		t.Fatal(r.err)
	}
}

// TestReadyNeverAnswersWhatCompleteWouldNot: with a suggestion still streaming that agrees
// with what was typed, Ready leaves the request to Complete even when the memory tier holds an
// answer for the new text: Complete answers from the streaming suggestion.
func TestReadyNeverAnswersWhatCompleteWouldNot(t *testing.T) {
	slow := &scripted{chunks: []string{"c", "d"}, hold: make(chan struct{}), entered: make(chan struct{}, 1)}
	e := newTestEngine(slow)
	later := Request{Text: "y := c\n", Offset: 6}
	p, err := e.Prepare(later)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.cache.Set(context.Background(), cache.KindCompletion, p.Key, []byte("X")); err != nil {
		t.Fatal(err)
	}
	first := goComplete(context.Background(), e, Request{Text: "y := \n", Offset: 5})
	recv(t, slow.entered)
	if res, ok := e.Ready(later); ok {
		t.Fatalf("Ready answered %+v while an agreeing suggestion streams", res)
	}
	second := goComplete(context.Background(), e, later)
	close(slow.hold)
	if r := recv(t, second); r.err != nil || r.res.Source != SourceTypeahead || r.res.Text != "d" {
		t.Fatalf("Complete: %+v %v", r.res, r.err)
	}
	if r := recv(t, first); r.err != nil {
		t.Fatal(r.err)
	}
}
