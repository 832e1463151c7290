package wiring

import "time"

// shared is a process-wide resource that sessions share (a cache tier per Redis URL, a scheduler
// per Ollama host): reference-counted, pinned when asked for directly (the CLI, tests), and
// closed only after it lingered unused — a model call started on it before the last release
// still writes its answer and finishes on its connection, and a session switching back
// meanwhile reuses it.
type shared[T any] struct {
	key    string
	v      T
	refs   int
	pinned bool
	linger *time.Timer // pending close after the last release
}

// hold adds a session's reference and cancels a pending close.
func hold[T any](w *Wiring, r *shared[T]) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r.refs++
	if r.linger != nil {
		r.linger.Stop()
		r.linger = nil
	}
}

// pin keeps r until Wiring.Close.
func pin[T any](w *Wiring, r *shared[T]) T {
	w.mu.Lock()
	defer w.mu.Unlock()
	r.pinned = true
	return r.v
}

// letGo drops a session's reference. When it was the last, r lingers, then leaves m and is
// closed (Wiring.Close waits for closes under way).
func letGo[T any](w *Wiring, m map[string]*shared[T], r *shared[T], linger time.Duration, closeFn func(T)) {
	if r == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	r.refs--
	if r.refs > 0 || r.pinned || w.closed || m[r.key] != r {
		return
	}
	if r.linger != nil {
		r.linger.Stop()
	}
	r.linger = time.AfterFunc(w.lingerOr(linger), func() {
		w.mu.Lock()
		last := r.refs <= 0 && !r.pinned && !w.closed && m[r.key] == r
		if last {
			delete(m, r.key)
			w.retireLocked(r.v)
			w.closing.Add(1)
		}
		w.mu.Unlock()
		if last {
			defer w.closing.Done()
			closeFn(r.v)
		}
	})
}

// lingerOr is d, or the test override.
func (w *Wiring) lingerOr(d time.Duration) time.Duration {
	if w.linger != nil {
		return *w.linger
	}
	return d
}
