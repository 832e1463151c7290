package completion

import (
	"context"
	"time"
)

// Pacing: a request the cache and typing-ahead cannot answer waits Config.Debounce before it
// asks the model; the editor's next keystroke supersedes (cancels) it during the wait, so a
// burst of typing costs one model call, not one per key. With Config.Adaptive the wait follows
// the user's own pace (Tabby's adaptive debounce): while they are typing it is half again their
// recent gap between keystrokes, so their next key still lands inside it (between Debounce and
// 4× Debounce); after a pause it is Debounce. A request the user made explicitly never waits.

// pace is how long r waits before asking the model.
func (e *Engine) pace(r Request) time.Duration {
	e.mu.RLock()
	base, adaptive := e.cfg.Debounce, e.cfg.Adaptive
	e.mu.RUnlock()
	if r.Explicit {
		return 0
	}
	if base <= 0 || !adaptive || r.TypingInterval <= 0 {
		return base
	}
	return min(max(r.TypingInterval*3/2, base), 4*base)
}

// inFlight reports whether a model call for key runs: joining it costs nothing.
func (e *Engine) inFlight(key string) bool {
	e.fmu.Lock()
	defer e.fmu.Unlock()
	_, ok := e.flights[key]
	return ok
}

// wait sleeps d on the engine's clock (injectable in tests), or until ctx ends.
func (e *Engine) wait(ctx context.Context, d time.Duration) error {
	fired := make(chan struct{})
	stop := e.after(d, func() { close(fired) })
	select {
	case <-fired:
		return nil
	case <-ctx.Done():
		stop()
		return ctx.Err()
	}
}
