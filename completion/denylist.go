package completion

import (
	"log/slog"
	"sync"
	"sync/atomic"
)

// Denylist says which files are secrets: they never enter a prompt, a cache key or a model call
// (internal/secretfiles.Matcher satisfies it).
type Denylist interface {
	Match(path string) bool
}

// SetDenylist sets the files the engine refuses to complete in or take context from (nil: none).
// It may be called while completions run.
func (e *Engine) SetDenylist(d Denylist) {
	e.deny.set(d)
}

// denyGate applies the denylist at the top of Complete, before any cache lookup, typing-ahead
// or model call: a secret file's text must not even be hashed into a shared cache key.
type denyGate struct {
	d      atomic.Pointer[Denylist]
	mu     sync.Mutex
	logged map[string]bool // files already logged (bounded: logging is a courtesy)
}

func (g *denyGate) set(d Denylist) {
	if d == nil {
		g.d.Store(nil)
		return
	}
	g.d.Store(&d)
}

// apply returns r without the snippets that come from secret files, and denied when the
// document itself is one (the caller then answers nothing).
func (g *denyGate) apply(r Request, log *slog.Logger) (_ Request, denied bool) {
	dp := g.d.Load()
	if dp == nil {
		return r, false
	}
	d := *dp
	for _, p := range []string{r.File, r.Path} {
		if p != "" && d.Match(p) {
			g.logOnce(log, p, "no completion in a secret file (secretFiles denylist)")
			return r, true
		}
	}
	for i, s := range r.Snippets {
		if d.Match(s.Path) {
			// Copy on the first secret: the caller's slice is not ours to change.
			kept := append([]Snippet(nil), r.Snippets[:i]...)
			for _, s := range r.Snippets[i:] {
				if d.Match(s.Path) {
					g.logOnce(log, s.Path, "context snippet from a secret file dropped (secretFiles denylist)")
				} else {
					kept = append(kept, s)
				}
			}
			r.Snippets = kept
			break
		}
	}
	return r, false
}

func (g *denyGate) logOnce(log *slog.Logger, path, msg string) {
	g.mu.Lock()
	if g.logged == nil {
		g.logged = map[string]bool{}
	}
	seen := g.logged[path]
	if !seen && len(g.logged) < 4096 {
		g.logged[path] = true
	}
	g.mu.Unlock()
	if !seen && log != nil {
		log.Debug(msg, "path", path)
	}
}
