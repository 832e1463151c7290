package completion

import "github.com/mimi-lsp/mimi-lsp/cache"

// Ready answers r at once when nothing has to be waited for: a finished typing-ahead
// suggestion, or the memory tier. ok is false otherwise (Complete does the rest, and counts
// the lookup). The server answers a ready request on its read loop, saving the hand-off to a
// goroutine that a cache hit would otherwise pay.
func (e *Engine) Ready(r Request) (Result, bool) {
	r, p, res, st, t, err := e.begin(r)
	if p == nil {
		return res, err == nil // a secret file is answered (with nothing); no prompt is Complete's to report
	}
	rest, id, ok, pending := e.ta.ready(p.ctxKey, r.Text, r.Offset)
	if pending {
		return Result{}, false // Complete answers it from the suggestion still streaming
	}
	if ok {
		st.cache = e.now().Sub(t)
		e.report(&st)
		res.Text, res.Source, res.Ref.id = rest, SourceTypeahead, id
		return res, true
	}
	_, c := e.backend()
	v, ok := c.GetLocal(cache.KindCompletion, p.Key)
	if !ok {
		return Result{}, false
	}
	now := e.now()
	st.cache = now.Sub(t)
	return e.cacheHit(r, p, res, v, SourceMemory, &st, now), true
}
