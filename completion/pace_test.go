package completion

import (
	"context"
	"reflect"
	"testing"
	"time"
)

// pending is the number of timers set and not yet fired or stopped.
func (c *fakeClock) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.timers {
		if !t.stopped {
			n++
		}
	}
	return n
}

// TestDebounceWaitsBeforeTheModel: with a debounce, a request the cache cannot answer waits
// before asking the model; a keystroke that cancels it during the wait costs no model call;
// an answer in the cache or typing-ahead does not wait at all.
func TestDebounceWaitsBeforeTheModel(t *testing.T) {
	g := &scripted{chunks: []string{"a + b"}}
	e, clk := newClockedEngine(g)
	cfg := testConfig()
	cfg.Debounce = 80 * time.Millisecond
	e.SetConfig(cfg)
	req := Request{Text: "x := \n", Offset: 5}

	// Superseded during the wait: no model call.
	ctx, cancel := context.WithCancel(context.Background())
	first := goComplete(ctx, e, req)
	waitUntil(t, func() bool { return clk.pending() == 1 })
	cancel()
	if r := recv(t, first); r.err == nil {
		t.Fatalf("a cancelled wait answered %+v", r.res)
	}
	if n := g.calls.Load(); n != 0 {
		t.Fatalf("model calls after a cancelled wait = %d", n)
	}

	// Waited out: the model answers.
	second := goComplete(context.Background(), e, req)
	waitUntil(t, func() bool { return clk.pending() == 1 })
	if n := g.calls.Load(); n != 0 {
		t.Fatalf("asked the model before the debounce passed (%d calls)", n)
	}
	if d := clk.fire(); len(d) != 1 || d[0] != 80*time.Millisecond {
		t.Fatalf("timers %v, want one of 80ms", d)
	}
	if r := recv(t, second); r.err != nil || r.res.Source != SourceModel || g.calls.Load() != 1 {
		t.Fatalf("%+v %v (calls %d)", r.res, r.err, g.calls.Load())
	}

	// The cache and typing-ahead answer at once: no timer.
	for _, r := range []Request{req, {Text: "x := a\n", Offset: 6}} {
		res, err := e.Complete(context.Background(), r)
		if err != nil || res.Source == SourceModel {
			t.Fatalf("%+v %v", res, err)
		}
	}
	if n := clk.pending(); n != 0 {
		t.Fatalf("%d timers set for answers that were ready", n)
	}
}

// TestAdaptivePace: the wait follows the typing interval within [debounce, 4×debounce]; no
// debounce means no wait whatever the pace; without adaptive the debounce is fixed.
func TestAdaptivePace(t *testing.T) {
	e := newTestEngine(&scripted{})
	for _, tc := range []struct {
		debounce, interval time.Duration
		adaptive           bool
		want               time.Duration
	}{
		{0, 100 * time.Millisecond, true, 0},
		{50 * time.Millisecond, 100 * time.Millisecond, false, 50 * time.Millisecond},
		{50 * time.Millisecond, 0, true, 50 * time.Millisecond},                       // after a pause
		{50 * time.Millisecond, 20 * time.Millisecond, true, 50 * time.Millisecond},   // never below debounce
		{50 * time.Millisecond, 100 * time.Millisecond, true, 150 * time.Millisecond}, // 1.5× the interval
		{50 * time.Millisecond, 400 * time.Millisecond, true, 200 * time.Millisecond}, // at most 4× debounce
	} {
		cfg := testConfig()
		cfg.Debounce, cfg.Adaptive = tc.debounce, tc.adaptive
		e.SetConfig(cfg)
		if got := e.pace(Request{TypingInterval: tc.interval, Explicit: true}); got != 0 {
			t.Errorf("an explicit request waits %v", got)
		}
		if got := e.pace(Request{TypingInterval: tc.interval}); got != tc.want {
			t.Errorf("debounce %v adaptive %v interval %v: wait %v, want %v", tc.debounce, tc.adaptive, tc.interval, got, tc.want)
		}
	}
}

// TestPrepareMemo: the same request reuses the prepared prompt; another text, offset or
// configuration prepares anew.
func TestPrepareMemo(t *testing.T) {
	e := newTestEngine(&scripted{})
	r := Request{Text: "x := \n", Offset: 5, Path: "a.go"}
	p1, err := e.Prepare(r)
	if err != nil {
		t.Fatal(err)
	}
	if p2, _ := e.Prepare(r); p2 != p1 {
		t.Fatal("the same request prepared again")
	}
	other := r
	other.Text = "y := \n" // same length, other bytes
	if p3, _ := e.Prepare(other); p3 == p1 || p3.Prompt == p1.Prompt {
		t.Fatal("another text reused the memo")
	}
	if p4, _ := e.Prepare(r); p4 == p1 {
		t.Fatal("the memo holds one request, not two")
	}
	p5, _ := e.Prepare(r)
	cfg := testConfig()
	cfg.Options.NumPredict = 7
	e.SetConfig(cfg)
	if p6, _ := e.Prepare(r); p6 == p5 || p6.req.Options.NumPredict != 7 {
		t.Fatal("a configuration change reused the memo")
	}
}

// TestPrepareMemoComparesEveryPromptField: a field added to Request must be either compared
// by sameInput (it changes the prompt) or listed here as not changing it.
func TestPrepareMemoComparesEveryPromptField(t *testing.T) {
	notPrompt := map[string]bool{"TypingInterval": true, "Explicit": true, "Retrieved": true}
	compared := map[string]bool{"Text": true, "Offset": true, "Path": true, "File": true, "Repo": true,
		"Language": true, "Scope": true, "Snippets": true}
	rt := reflect.TypeOf(Request{})
	for i := range rt.NumField() {
		name := rt.Field(i).Name
		if !notPrompt[name] && !compared[name] {
			t.Errorf("Request.%s: compare it in sameInput (prepare_memo.go) or list it here as not in the prompt", name)
		}
	}
	// Each compared field, changed alone, makes the inputs differ.
	base := Request{Text: "a", Offset: 1, Path: "p", File: "f", Repo: "r", Language: "go", Scope: "s", Snippets: []Snippet{{Path: "x", Text: "y"}}}
	for name := range compared {
		other := base
		v := reflect.ValueOf(&other).Elem().FieldByName(name)
		switch v.Kind() {
		case reflect.String:
			v.SetString(v.String() + "!")
		case reflect.Int:
			v.SetInt(v.Int() + 1)
		case reflect.Slice:
			other.Snippets = []Snippet{{Path: "x", Text: "z"}}
		}
		if sameInput(base, other) {
			t.Errorf("sameInput ignores %s", name)
		}
	}
}
