package completion

import (
	"context"
	"strings"
	"time"

	"github.com/mimi-lsp/mimi-lsp/cache"
)

// generate runs one model call for the flight and answers it with the post-processed text.
// A multi-line answer is answered as soon as it has maxLines lines; the model then carries on
// into what follows it (carry.go) instead of being stopped there.
func (e *Engine) generate(f *flight, p *Prepared, r Request) {
	gen, c := e.backend()
	single := p.pp.singleLine()
	maxLines := p.pp.MaxLines
	entry := e.ta.newEntry(p.ctxKey, p.offset, p.pp.Prefix, f, false)
	f.sugg = entry.id // read by the waiters after f.done closes
	s := newStream(f.ctx)
	defer s.close()
	var (
		answered bool
		cr       *carry
	)
	g, err := gen.Generate(s.ctx, f.call, p.req, func(_, soFar string) bool {
		if cr != nil {
			return cr.update(soFar)
		}
		entry.update(soFar)
		// Stop as soon as the answer can no longer change after post-processing.
		body := strings.TrimLeft(soFar, "\r\n")
		if single && strings.Contains(body, "\n") {
			return false
		}
		if maxLines <= 0 || strings.Count(body, "\n") < maxLines {
			return true
		}
		// The suggestion is whole: answer it now, and let the model carry on past it when
		// it can.
		text, pp := e.postprocess(soFar, p)
		cr = e.newCarry(f, p, r, soFar, text)
		if cr != nil {
			if s.handOver(cr.f.ctx) {
				cr.register()
			} else {
				cr.abort() // f was abandoned just now: nobody wants any of it
				cr = nil
			}
		}
		e.answer(f, p, r, c, entry, text, pp, false)
		answered = true
		e.log.Debug("completion answered at maxLines", "model", p.req.Model, "len", len(text), "carry", cr != nil)
		return cr != nil
	})
	if cr != nil {
		cr.end(c, g, err)
		return
	}
	if answered {
		return
	}
	if err != nil {
		entry.finish("", false)
		e.deliver(f, "", err)
		return
	}
	raw := g.Text
	cut := g.DoneReason == doneLength
	if cut {
		raw = trimCut(raw)
	}
	text, pp := e.postprocess(raw, p)
	e.answer(f, p, r, c, entry, text, pp, cut)
	e.log.Debug("completion generated", "model", p.req.Model, "ms", g.Duration.Milliseconds(), "tokens", g.EvalCount,
		"done", g.DoneReason, "raw_len", len(g.Text), "len", len(text))
}

// postprocess runs the pipeline on raw for p's place and says how long it took.
func (e *Engine) postprocess(raw string, p *Prepared) (string, time.Duration) {
	start := e.now()
	text := postprocess(raw, p.pp, nil)
	return text, e.now().Sub(start)
}

// answer makes text (post-processed in pp) the flight's answer and its typing-ahead entry's,
// caches it unless num_predict cut it, and wakes the flight's waiters.
func (e *Engine) answer(f *flight, p *Prepared, r Request, c Cache, entry *taEntry, text string, pp time.Duration, cut bool) {
	f.pp = pp // read by the waiters after f.done closes
	entry.finish(text, text != "")
	// An answer num_predict cut off is shown (trimmed to what is whole) but not cached: the
	// cache holds complete answers only (see trimCut).
	if !cut {
		// Cache with a context that outlives a cancellation that arrives now: the answer is paid for.
		if err := c.Set(context.WithoutCancel(f.ctx), cache.KindCompletion, p.Key, []byte(text)); err != nil {
			e.log.Debug("cache set failed", "err", err)
		}
	}
	e.deliver(f, text, nil)
}
