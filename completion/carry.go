package completion

import (
	"context"
	"strings"

	"github.com/mimi-lsp/mimi-lsp/cache"
	"github.com/mimi-lsp/mimi-lsp/model"
)

// Carrying on past a whole suggestion. A multi-line suggestion ends at maxLines lines, but the
// model usually has more to say. Stopping the call there meant that taking the suggestion (by
// Tab, or by typing it to its end) asked the model again for what follows, and waited a first
// token for it. Instead, the suggestion is answered as soon as it is whole, and the same call
// streams on into a second typing-ahead entry placed where the suggestion ends, in the document
// as it will be once the suggestion is taken. What streams there is what the model would
// answer there: that prompt is the same prefix plus the suggestion, with the same suffix, and
// the model is continuing its own text.
//
// Carrying on costs no request anybody waits for: the call is idle meanwhile (the scheduler
// cancels it as soon as a call somebody waits for needs the model), and it ends at num_predict
// or at maxLines lines of its own. A request that arrives while it streams waits for it as for
// any suggestion that agrees with what was typed (and makes the call wanted). Its end is
// post-processed at the new place, as any answer is, cached there unless num_predict or a
// cancellation cut it.

// carry is the continuation of a suggestion streaming on the suggestion's model call.
type carry struct {
	e     *Engine
	f     *flight   // the continuation's flight: it shares the model call, and its end stops the stream
	p     *Prepared // the request where the suggestion ends
	entry *taEntry
	skip  int // bytes of the stream the suggestion took
}

// newCarry prepares the continuation of text, the suggestion answered from raw (the stream so
// far) at r; nil when the suggestion is not a stream's own beginning cut at maxLines lines (the
// model walked out of the user's scope, or post-processing changed it), or the call ended.
func (e *Engine) newCarry(f *flight, p *Prepared, r Request, raw, text string) *carry {
	if text == "" || !strings.HasPrefix(raw, text) || countLines(text) != p.pp.MaxLines {
		return nil
	}
	next := r
	next.Text = r.Text[:r.Offset] + text + r.Text[r.Offset:]
	next.Offset = r.Offset + len(text)
	next.Explicit, next.TypingInterval = false, 0
	np, err := e.prepare(next) // not Prepare: the memo keeps the user's request
	if err != nil {
		return nil
	}
	cf := newFlight(f.ctx, np.Key, e.grace, e.after)
	cf.call = f.call // the same model call streams on
	if !cf.acquire() {
		cf.cancel()
		return nil // the scheduler cancelled the call
	}
	// From here the carry's flight marks the call idle or wanted; a request that still joins the
	// suggestion's flight (until it is answered) must not.
	f.mu.Lock()
	f.gave = true
	f.mu.Unlock()
	cf.holdIdle() // nobody waits for it yet
	entry := e.ta.newEntry(np.ctxKey, np.offset, np.pp.Prefix, cf, true)
	cf.sugg = entry.id
	return &carry{e: e, f: cf, p: np, entry: entry, skip: len(text)}
}

// register puts the continuation's flight in the in-flight registry (once the stream is its):
// an identical request joins it, and a prefetch of the place (prefetch.go) sees it is asked
// for already.
func (c *carry) register() {
	c.e.fmu.Lock()
	if _, busy := c.e.flights[c.f.key]; !busy {
		c.e.flights[c.f.key] = c.f
	}
	c.e.fmu.Unlock()
}

// done takes the continuation's flight out of the registry and wakes its waiters.
func (c *carry) done(text string, err error) {
	c.e.fmu.Lock()
	if c.e.flights[c.f.key] == c.f {
		delete(c.e.flights, c.f.key)
	}
	c.e.fmu.Unlock()
	c.f.finish(text, err)
	c.f.release()
}

// countLines counts an answer's lines as limitLines does (leading line breaks are not lines).
func countLines(s string) int {
	return strings.Count(strings.TrimLeft(s, "\r\n"), "\n") + 1
}

// update takes the stream so far; false stops it (the continuation has maxLines lines).
func (c *carry) update(soFar string) bool {
	rest := soFar[c.skip:]
	c.entry.update(rest)
	body := strings.TrimLeft(rest, "\r\n")
	return c.p.pp.MaxLines <= 0 || strings.Count(body, "\n") < c.p.pp.MaxLines
}

// end finishes the continuation when the call ended. A call cut short (num_predict, the
// scheduler, nobody wanting it) leaves its whole lines, not cached.
func (c *carry) end(cc Cache, g model.Generation, err error) {
	rest := ""
	if len(g.Text) > c.skip {
		rest = g.Text[c.skip:]
	}
	cut := err != nil || g.DoneReason == doneLength
	if cut {
		rest = trimCut(rest)
	}
	text, pp := c.e.postprocess(rest, c.p)
	c.f.pp = pp // read by joiners after the flight ends
	c.entry.finish(text, text != "")
	// Cached where it stands, as the answer to that place's prompt. The model wrote it after the
	// suggestion's prompt plus the suggestion, which is that prompt but for where the prefix
	// window starts (further down when the prefix is longer than its token budget).
	if !cut {
		if err := cc.Set(context.WithoutCancel(c.f.ctx), cache.KindCompletion, c.p.Key, []byte(text)); err != nil {
			c.e.log.Debug("cache set failed", "err", err)
		}
	}
	if text == "" && err != nil {
		c.done("", err) // a joiner asks again (a cancelled call) or gets the error
	} else {
		c.done(text, nil) // cut short: the whole lines it had
	}
	c.e.log.Debug("completion carried on", "model", c.p.req.Model, "ms", g.Duration.Milliseconds(), "tokens", g.EvalCount,
		"done", g.DoneReason, "err", err, "raw_len", len(rest), "len", len(text))
}

// abort ends a continuation that never streamed.
func (c *carry) abort() {
	c.entry.finish("", false)
	c.done("", &model.Error{Kind: model.KindCancelled, Err: context.Canceled})
}

// stream is the context a model call streams on: the flight's deadline, stopped when its
// owner (the flight, then the carry's flight once handed over) is cancelled.
type stream struct {
	ctx    context.Context
	cancel context.CancelFunc
	stop   func() bool // unhooks the owner's cancellation
}

func newStream(owner context.Context) *stream {
	ctx, cancel := detach(owner)
	return &stream{ctx: ctx, cancel: cancel, stop: context.AfterFunc(owner, cancel)}
}

// handOver makes owner's cancellation stop the stream instead of the current owner's; false
// when the current owner's already did.
func (s *stream) handOver(owner context.Context) bool {
	if !s.stop() {
		return false
	}
	s.stop = context.AfterFunc(owner, s.cancel)
	return true
}

func (s *stream) close() {
	s.stop()
	s.cancel()
}
