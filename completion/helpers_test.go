package completion

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mimi-lsp/mimi-lsp/cache"
	"github.com/mimi-lsp/mimi-lsp/model"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// scripted is a Generator that streams fixed chunks and counts calls. With hold set, each call
// waits for hold to close (or its context to end) before streaming; entered (when set) gets a
// value as each call starts.
type scripted struct {
	chunks  []string
	done    string // done reason ("stop" when empty)
	hold    chan struct{}
	entered chan struct{}
	calls   atomic.Int64
	sent    atomic.Int64 // chunks delivered (to see early stops)
	lastReq model.GenerateRequest
	mu      sync.Mutex
}

func (s *scripted) Generate(ctx context.Context, _ *model.Call, req model.GenerateRequest, on func(string, string) bool) (model.Generation, error) {
	s.calls.Add(1)
	s.mu.Lock()
	s.lastReq = req
	s.mu.Unlock()
	if s.entered != nil {
		s.entered <- struct{}{}
	}
	if s.hold != nil {
		select {
		case <-s.hold:
		case <-ctx.Done():
			return model.Generation{}, &model.Error{Kind: model.KindCancelled, Err: ctx.Err()}
		}
	}
	var b strings.Builder
	for _, c := range s.chunks {
		b.WriteString(c)
		s.sent.Add(1)
		if !on(c, b.String()) {
			return model.Generation{Text: b.String(), DoneReason: "client"}, nil
		}
	}
	done := s.done
	if done == "" {
		done = "stop"
	}
	return model.Generation{Text: b.String(), DoneReason: done}, nil
}

func (s *scripted) last() model.GenerateRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastReq
}

// fakeClock stands in for time.AfterFunc: timers fire only when the test says so.
type fakeClock struct {
	mu     sync.Mutex
	timers []*fakeTimer
}

type fakeTimer struct {
	d       time.Duration
	f       func()
	stopped bool
}

func (c *fakeClock) after(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{d: d, f: f}
	c.timers = append(c.timers, t)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

// fire runs every pending timer (the grace period of every idle call passes) and returns the
// durations they were set for.
func (c *fakeClock) fire() []time.Duration {
	c.mu.Lock()
	var due []*fakeTimer
	for _, t := range c.timers {
		if !t.stopped {
			t.stopped = true
			due = append(due, t)
		}
	}
	c.timers = nil
	c.mu.Unlock()
	var ds []time.Duration
	for _, t := range due {
		ds = append(ds, t.d)
		t.f()
	}
	return ds
}

func testConfig() Config {
	return Config{Model: "qwen2.5-coder:1.5b", Template: "auto", Options: model.Options{NumCtx: 4096, NumPredict: 64, Temperature: 0.2, TopP: 0.9},
		PrefixTokens: 1024, SuffixTokens: 256, MultiLine: true, MaxLines: 12}
}

func newMemCache() *cache.Tiered {
	return cache.NewTiered(cache.NewMemory(1<<20, cache.TTLs{}), nil, nil)
}

// newTestEngine builds an engine on a fake clock: no grace period ends unless the test fires it.
func newTestEngine(g Generator, opts ...Option) *Engine {
	e, _ := newClockedEngine(g, opts...)
	return e
}

func newClockedEngine(g Generator, opts ...Option) (*Engine, *fakeClock) {
	e := New(g, newMemCache(), testConfig(), slog.New(slog.DiscardHandler), opts...)
	clk := &fakeClock{}
	e.after = clk.after
	return e, clk
}

// refs returns how many requests wait on the flight for key (-1 when there is none).
func (e *Engine) refs(key string) int {
	e.fmu.Lock()
	f := e.flights[key]
	e.fmu.Unlock()
	if f == nil {
		return -1
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refs
}

func (e *Engine) key(t *testing.T, r Request) string {
	t.Helper()
	p, err := e.Prepare(r)
	if err != nil {
		t.Fatal(err)
	}
	return p.Key
}

// waitUntil waits for a condition that another goroutine makes true (a state, not a time).
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("condition not reached")
		}
	}
}

func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("nothing arrived")
		var zero T
		return zero
	}
}

type outcome struct {
	res Result
	err error
}

// goComplete runs Complete in the background.
func goComplete(ctx context.Context, e *Engine, r Request) <-chan outcome {
	out := make(chan outcome, 1)
	go func() {
		res, err := e.Complete(ctx, r)
		out <- outcome{res, err}
	}()
	return out
}

func containsStr(l []string, s string) bool {
	for _, v := range l {
		if v == s {
			return true
		}
	}
	return false
}
