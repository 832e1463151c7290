package completion

import (
	"context"
	"sync"
	"time"
)

// abandonGrace is how long a model call keeps running after the last request that wanted it
// went away: the next keystroke usually arrives within it and continues the same suggestion
// (typing-ahead), so the call is not thrown away and asked again.
const abandonGrace = 150 * time.Millisecond

// flight is one model call shared by every request that wants its answer: the request that
// started it, identical requests that joined it, and typing-ahead requests waiting for the rest
// of it. It runs on its own context, cancelled (closing the HTTP request, which stops Ollama)
// when it ends or when nobody has wanted it for abandonGrace.
type flight struct {
	ctx    context.Context
	cancel context.CancelFunc

	mu    sync.Mutex
	refs  int
	ended bool
	timer *time.Timer
}

// newFlight detaches from the request's cancellation but keeps its deadline.
func newFlight(reqCtx context.Context) *flight {
	base := context.WithoutCancel(reqCtx)
	var ctx context.Context
	var cancel context.CancelFunc
	if dl, ok := reqCtx.Deadline(); ok {
		ctx, cancel = context.WithDeadline(base, dl)
	} else {
		ctx, cancel = context.WithCancel(base)
	}
	return &flight{ctx: ctx, cancel: cancel}
}

// acquire registers interest; false when the flight already ended.
func (f *flight) acquire() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ended {
		return false
	}
	f.refs++
	if f.timer != nil {
		f.timer.Stop()
		f.timer = nil
	}
	return true
}

// release drops interest; the last release starts the abandon timer.
func (f *flight) release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refs--
	if f.refs > 0 || f.ended {
		return
	}
	f.timer = time.AfterFunc(abandonGrace, func() {
		f.mu.Lock()
		abandon := f.refs == 0 && !f.ended
		if abandon {
			f.ended = true
		}
		f.mu.Unlock()
		if abandon {
			f.cancel()
		}
	})
}

// end marks the call finished and frees its context.
func (f *flight) end() {
	f.mu.Lock()
	f.ended = true
	if f.timer != nil {
		f.timer.Stop()
		f.timer = nil
	}
	f.mu.Unlock()
	f.cancel()
}

// abandonIfIdle cancels the call now if nobody holds it (it is in its grace period): a new
// model call is starting instead, and Ollama serves calls one after another, so an idle call
// would only delay the new one.
func (f *flight) abandonIfIdle() {
	f.mu.Lock()
	idle := f.refs == 0 && !f.ended
	if idle {
		f.ended = true
		if f.timer != nil {
			f.timer.Stop()
			f.timer = nil
		}
	}
	f.mu.Unlock()
	if idle {
		f.cancel()
	}
}
