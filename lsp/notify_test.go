package lsp

import (
	"context"
	"errors"
	"go.lsp.dev/protocol"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/completion"
	"github.com/mimi-lsp/mimi-lsp/config"
)

// problemService is a Service whose Problem the test sets.
type problemService struct{ problem error }

func (p *problemService) Complete(context.Context, completion.Request) (completion.Result, error) {
	return completion.Result{}, nil
}
func (p *problemService) Configure(config.Config) error { return nil }
func (p *problemService) Stats() map[string]any         { return nil }
func (p *problemService) Problem() error                { return p.problem }
func (p *problemService) Close()                        {}

// shown counts showMessage calls (logged by show even without a connection).
type shown struct {
	mu   sync.Mutex
	msgs []string
}

func (h *shown) Enabled(context.Context, slog.Level) bool { return true }
func (h *shown) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "showMessage" {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "message" {
				h.mu.Lock()
				h.msgs = append(h.msgs, a.Value.String())
				h.mu.Unlock()
			}
			return true
		})
	}
	return nil
}
func (h *shown) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *shown) WithGroup(string) slog.Handler      { return h }

// TestProblemShownOncePerOutage: a flaky shared cache (healthy, failing, healthy… every few
// seconds) is shown once; a different failure is shown; the same failure is shown again only
// after problemQuiet of health. Time is a fake clock.
func TestProblemShownOncePerOutage(t *testing.T) {
	svc := &problemService{}
	h := &shown{}
	s, err := New(Options{Config: config.Default(), Log: slog.New(h),
		NewService: func(config.Config) (Service, error) { return svc, nil }})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_000_000, 0)
	s.now = func() time.Time { return now }
	step := func(d time.Duration, problem error) {
		now = now.Add(d)
		svc.problem = problem
		s.checkProblem(context.Background())
	}
	timeout := errors.New("shared cache unavailable: i/o timeout")
	for range 50 { // flaky: trips and recovers every few seconds for minutes
		step(2*time.Second, timeout)
		step(2*time.Second, nil)
	}
	if len(h.msgs) != 1 {
		t.Fatalf("flaky cache shown %d times, want once: %v", len(h.msgs), h.msgs)
	}
	step(2*time.Minute, errors.New("shared cache unavailable: NOPERM"))
	if len(h.msgs) != 2 {
		t.Fatalf("a different failure was not shown: %v", h.msgs)
	}
	step(time.Second, nil)
	step(problemQuiet+time.Second, nil) // healthy long enough
	step(time.Second, timeout)
	if len(h.msgs) != 3 {
		t.Fatalf("a new outage after %s of health was not shown: %v", problemQuiet, h.msgs)
	}
}

// TestNoticeStaysShownAfterASuccess: a notice (the home-directory root that is not indexed) is
// shown once for the session; a completion that works clears completion problems only, so the
// notice does not come back on the next save, while an outage after the success is shown again.
func TestNoticeStaysShownAfterASuccess(t *testing.T) {
	h := &shown{}
	s, err := New(Options{Config: config.Default(), Log: slog.New(h),
		NewService: func(config.Config) (Service, error) { return &problemService{}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if !s.showOnce(ctx, "index-root:/home/u", protocol.MessageTypeWarning, "not indexing /home/u") {
		t.Fatal("the notice was not shown the first time")
	}
	if !s.showProblem(ctx, "model:unreachable", protocol.MessageTypeError, "Ollama unreachable") {
		t.Fatal("the problem was not shown the first time")
	}
	s.clearProblems() // a completion worked
	if s.showOnce(ctx, "index-root:/home/u", protocol.MessageTypeWarning, "not indexing /home/u") {
		t.Error("the notice came back after a successful completion")
	}
	if !s.showProblem(ctx, "model:unreachable", protocol.MessageTypeError, "Ollama unreachable") {
		t.Error("an outage after a success was not shown again")
	}
	if len(h.msgs) != 3 {
		t.Errorf("shown %d messages, want 3: %v", len(h.msgs), h.msgs)
	}
}
