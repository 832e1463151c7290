package completion

import (
	"context"
	"strings"

	"github.com/mimi-lsp/mimi-lsp/cache"
)

// generate runs one model call on the flight's context and returns the post-processed answer.
func (e *Engine) generate(f *flight, p *Prepared) (string, error) {
	ctx := f.ctx
	gen, c := e.backend()
	single := p.pp.singleLine()
	maxLines := p.pp.MaxLines
	entry := e.ta.newEntry(p.ctxKey, p.offset, p.pp.Prefix, f)
	f.sugg = entry.id // read by the waiters after f.done closes
	g, err := gen.Generate(ctx, f.call, p.req, func(_, soFar string) bool {
		entry.update(soFar)
		// Stop as soon as the answer can no longer change after post-processing.
		body := strings.TrimLeft(soFar, "\r\n")
		if single && strings.Contains(body, "\n") {
			return false
		}
		return maxLines <= 0 || strings.Count(body, "\n") < maxLines
	})
	if err != nil {
		entry.finish("", false)
		return "", err
	}
	raw := g.Text
	cut := g.DoneReason == doneLength
	if cut {
		raw = trimCut(raw)
	}
	start := e.now()
	text := postprocess(raw, p.pp, nil)
	f.pp = e.now().Sub(start) // read by the waiters after f.done closes
	entry.finish(text, text != "")
	// An answer num_predict cut off is shown (trimmed to what is whole) but not cached: the
	// cache holds complete answers only (see trimCut).
	if !cut {
		// Cache with a context that outlives a cancellation that arrives now: the answer is paid for.
		if err := c.Set(context.WithoutCancel(ctx), cache.KindCompletion, p.Key, []byte(text)); err != nil {
			e.log.Debug("cache set failed", "err", err)
		}
	}
	e.log.Debug("completion generated", "model", p.req.Model, "ms", g.Duration.Milliseconds(), "tokens", g.EvalCount,
		"done", g.DoneReason, "raw_len", len(g.Text), "len", len(text))
	return text, nil
}
