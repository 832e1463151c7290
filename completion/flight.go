package completion

import (
	"context"
	"sync"
	"time"

	"github.com/mimi-lsp/mimi-lsp/model"
)

// defaultAbandonGrace is how long a model call keeps running after the last request that
// wanted it went away: the next keystroke usually arrives within it and continues the same
// suggestion (typing-ahead), so the call is not thrown away and asked again.
const defaultAbandonGrace = 150 * time.Millisecond

// afterFunc runs f after d unless stopped (time.AfterFunc; tests drive a fake clock).
type afterFunc func(d time.Duration, f func()) (stop func() bool)

func realAfterFunc(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }

// flight is one model call shared by every request that wants its answer: the request that
// started it, identical requests that joined it, and typing-ahead requests waiting for the rest
// of it. It runs on its own context, cancelled (closing the HTTP request, which stops Ollama)
// when it ends or when nobody has wanted it for the grace period. While nobody wants it, its
// model.Call is idle: the scheduler cancels it at once if another call waits for the model.
//
// The engine's registry (Engine.flights) maps a cache key to the flight asking the model for it;
// the flight leaves the registry when its call ends, so nothing outlives a call.
type flight struct {
	key    string
	ctx    context.Context
	cancel context.CancelFunc
	call   *model.Call
	grace  time.Duration
	after  afterFunc

	done chan struct{} // closed when the call ended; text, err and pp are set before
	text string
	err  error
	pp   time.Duration // post-processing the answer took
	sugg uint64        // the answer's typing-ahead entry (Ref.ID)

	mu    sync.Mutex
	held  bool // its starter holds a reference but waits for nothing (a carry): idle unless a request waits
	gave  bool // its model call streams on for a carry (carry.go): this flight no longer marks it idle or wanted
	refs  int  // references: requests waiting for the answer, and the holder's
	ended bool // no one may join any more (finished, or abandoned)
	stop  func() bool
}

// newFlight detaches from the request's cancellation but keeps its deadline.
func newFlight(reqCtx context.Context, key string, grace time.Duration, after afterFunc) *flight {
	ctx, cancel := detach(reqCtx)
	return &flight{key: key, ctx: ctx, cancel: cancel, call: model.NewCall(model.TaskCompletion),
		grace: grace, after: after, done: make(chan struct{})}
}

// detach returns a context with ctx's values and deadline but not its cancellation.
func detach(ctx context.Context) (context.Context, context.CancelFunc) {
	base := context.WithoutCancel(ctx)
	if dl, ok := ctx.Deadline(); ok {
		return context.WithDeadline(base, dl)
	}
	return context.WithCancel(base)
}

// acquire registers interest; false when the flight already ended or was abandoned.
func (f *flight) acquire() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ended {
		return false
	}
	if !f.gave && f.refs == f.idleRefs() && !f.call.SetIdle(false) {
		// The scheduler cancelled it while nobody wanted it: its answer will not come.
		f.ended = true
		return false
	}
	f.refs++
	if f.stop != nil {
		f.stop()
		f.stop = nil
	}
	return true
}

// holdIdle keeps the flight of a carry alive (its starter's reference is held)
// but idle: the scheduler cancels it as soon as a wanted call waits, except while a request
// waits for it.
func (f *flight) holdIdle() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refs == 1 && !f.ended {
		f.held = true
		f.call.SetIdle(true)
	}
}

// idleRefs is the number of references left when no request waits for the answer.
func (f *flight) idleRefs() int {
	if f.held {
		return 1
	}
	return 0
}

// release drops interest. When no request waits any more the call turns idle: a held flight
// stays alive for its holder; any other starts the grace period.
func (f *flight) release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refs--
	if f.ended || f.gave || f.refs > f.idleRefs() {
		return
	}
	f.call.SetIdle(true)
	if f.refs > 0 {
		return // only the holder is left
	}
	f.stop = f.after(f.grace, func() {
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

// finish records the outcome, wakes every waiter and frees the call's context.
func (f *flight) finish(text string, err error) {
	f.mu.Lock()
	f.ended = true
	if f.stop != nil {
		f.stop()
		f.stop = nil
	}
	f.text, f.err = text, err
	f.mu.Unlock()
	close(f.done)
	f.cancel()
}

// join returns the flight asking the model for p's key, with a reference held; when none runs
// (or the one there was abandoned) it starts one, and leader is true. held: a flight it starts
// is held idle (holdIdle) before anyone else can join it.
func (e *Engine) join(ctx context.Context, p *Prepared, r Request, held bool) (f *flight, leader bool) {
	e.fmu.Lock()
	defer e.fmu.Unlock()
	if f, ok := e.flights[p.Key]; ok && f.acquire() {
		return f, false
	}
	f = newFlight(ctx, p.Key, e.grace, e.after)
	f.acquire()
	if held {
		f.holdIdle()
	}
	e.flights[p.Key] = f // replaces an abandoned flight still ending
	e.running.Add(1)
	go e.run(f, p, r)
	return f, true
}

// run asks the model for f (generate answers it through deliver).
func (e *Engine) run(f *flight, p *Prepared, r Request) {
	defer e.running.Done()
	e.generate(f, p, r)
}

// deliver takes f out of the registry and wakes its waiters with the outcome.
func (e *Engine) deliver(f *flight, text string, err error) {
	e.fmu.Lock()
	if e.flights[f.key] == f {
		delete(e.flights, f.key)
	}
	e.fmu.Unlock()
	f.finish(text, err)
}
