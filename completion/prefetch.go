package completion

import (
	"context"
	"time"

	"github.com/mimi-lsp/mimi-lsp/cache"
)

// Prefetching the next suggestion. The model answers a line at a time, and a suggestion the
// user has typed or accepted to its end leaves typing-ahead nothing to serve: the next
// keystroke asked the model and waited for it. So when a suggestion is shown, the engine asks
// at once, in the background, for what follows it, with the document as it will be once the
// suggestion is taken. When the user gets there, the answer is in the cache (or streaming, for
// typing-ahead to follow). The call is a flight held idle: the scheduler cancels it as soon as
// any wanted call waits, so it never delays what the user asked for; a request that joins it
// (the user got there first) makes it wanted. One runs at a time; a suggestion the user does not take
// wastes at most that one call.

// prefetchTimeout bounds a prefetch (it is abandoned sooner when something else needs the model).
const prefetchTimeout = 30 * time.Second

// prefetchNext starts the prefetch of what follows text, shown at r's cursor.
func (e *Engine) prefetchNext(r Request, text string) {
	if text == "" || !e.Config().PrefetchNext || !e.ahead.CompareAndSwap(false, true) {
		return
	}
	next := r
	next.Text = r.Text[:r.Offset] + text + r.Text[r.Offset:]
	next.Offset = r.Offset + len(text)
	next.Explicit, next.TypingInterval = false, 0
	e.running.Add(1)
	go func() {
		defer e.running.Done()
		defer e.ahead.Store(false)
		p, err := e.prepare(next) // not Prepare: the memo keeps the user's request
		if err != nil {
			return
		}
		_, c := e.backend()
		if c.HasLocal(cache.KindCompletion, p.Key) || e.inFlight(p.Key) {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), prefetchTimeout)
		defer cancel()
		f, leader := e.join(ctx, p, next, true) // held: alive, but yields to any call a user waits for
		if leader {
			<-f.done
		}
		f.release()
	}()
}
