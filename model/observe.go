package model

import (
	"context"
	"errors"
	"time"
)

// CallObserver records model calls (metrics). Methods must be cheap and safe for concurrent use.
type CallObserver interface {
	// ModelCall: one call that ran (not one that left the queue before it started): its model,
	// task, outcome ("ok", "cancelled" or an error kind), duration, time to its first piece of
	// text (0 when none came) and token counts (0 when unknown).
	ModelCall(model, task, outcome string, d, firstToken time.Duration, promptTokens, evalTokens int)
}

// SetObserver makes the scheduler report every call it runs to o (nil: none).
func (s *Scheduler) SetObserver(o CallObserver) {
	s.mu.Lock()
	s.observer = o
	s.mu.Unlock()
}

// Loads returns the calls running and waiting per model.
func (s *Scheduler) Loads() map[string]Load {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]Load, len(s.models))
	for m, q := range s.models {
		out[m] = Load{Running: len(q.running), Waiting: len(q.waiting)}
	}
	return out
}

// observeCall times one admitted call; done reports its outcome.
type observeCall struct {
	s          *Scheduler
	model      string
	task       Task
	start      time.Time
	firstToken time.Duration
}

func (s *Scheduler) observe(model string, task Task) *observeCall {
	return &observeCall{s: s, model: model, task: task, start: time.Now()}
}

// chunk notes the first piece of text.
func (o *observeCall) chunk() {
	if o.firstToken == 0 {
		o.firstToken = time.Since(o.start)
	}
}

func (o *observeCall) done(ctx context.Context, err error, promptTokens, evalTokens int) {
	o.s.mu.Lock()
	obs := o.s.observer
	o.s.mu.Unlock()
	if obs == nil {
		return
	}
	outcome := "ok"
	switch {
	case err == nil:
	case errors.Is(ctx.Err(), context.Canceled) || errors.Is(err, context.Canceled):
		outcome = "cancelled" // the caller moved on (a deadline is a timeout, below)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		outcome = KindTimeout.String()
	default:
		outcome = KindOf(err).String()
	}
	obs.ModelCall(o.model, string(o.task), outcome, time.Since(o.start), o.firstToken, promptTokens, evalTokens)
}
