package model

import (
	"context"
	"errors"
	"time"
)

// CallObserver records model calls (metrics). Methods must be cheap and safe for concurrent use.
type CallObserver interface {
	// ModelCall: one call that ran (not one that left the queue before it started).
	ModelCall(r CallRecord)
}

// CallRecord is one model call that ran.
type CallRecord struct {
	Model, Task string
	Outcome     string        // "ok", "cancelled" or an error kind
	Duration    time.Duration // admitted to answered
	FirstToken  time.Duration // to the first piece of text (0 when none came)
	// Token counts Ollama reported (0 when unknown).
	PromptTokens, EvalTokens int
	PromptBytes              int  // bytes of prompt (or embedding inputs) sent
	Cut                      bool // num_predict cut the answer off (done_reason "length")
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
	bytes      int
}

func (s *Scheduler) observe(model string, task Task, promptBytes int) *observeCall {
	return &observeCall{s: s, model: model, task: task, start: time.Now(), bytes: promptBytes}
}

// chunk notes the first piece of text.
func (o *observeCall) chunk() {
	if o.firstToken == 0 {
		o.firstToken = time.Since(o.start)
	}
}

// done reports the call with its outcome, token counts and done_reason.
func (o *observeCall) done(ctx context.Context, err error, promptTokens, evalTokens int, doneReason string) {
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
	obs.ModelCall(CallRecord{Model: o.model, Task: string(o.task), Outcome: outcome, Duration: time.Since(o.start),
		FirstToken: o.firstToken, PromptTokens: promptTokens, EvalTokens: evalTokens, PromptBytes: o.bytes,
		Cut: err == nil && doneReason == "length"})
}
