package completion

import (
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
)

// Denylist says which files are secrets: they never enter a prompt, a cache key or a model call
// (internal/secretfiles.Matcher satisfies it).
type Denylist interface {
	// Match reports whether path names a secret file.
	Match(path string) bool
	// Sniff reports what credential the text seems to hold ("a private key"), "" when none.
	// key names the document, so that a keystroke can cost the change, not the file.
	Sniff(key, text string) string
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
// document itself is one (the caller then answers nothing). A document denied for what its
// text holds gets notice, the first time: the user did not name it a secret and should know
// why its suggestions stopped.
func (g *denyGate) apply(r Request, log *slog.Logger) (_ Request, denied bool, notice string) {
	dp := g.d.Load()
	if dp == nil {
		return r, false, ""
	}
	d := *dp
	for _, p := range []string{r.File, r.Path} {
		if p != "" && d.Match(p) {
			g.logOnce(log, p, "no completion in a secret file (secretFiles denylist)")
			return r, true, ""
		}
	}
	key := r.File
	if key == "" {
		key = r.Path
	}
	if what := d.Sniff(key, r.Text); what != "" {
		name := r.Path
		if name == "" {
			name = "this file"
		}
		if g.logOnce(log, "content\x00"+key, "no completion in a file that holds "+what) {
			notice = "no AI completion in " + name + ": it holds " + what + " (nothing from it goes to a model, a cache or the index)"
		}
		return r, true, notice
	}
	secret := func(s Snippet) bool { return d.Match(s.Path) || d.Sniff("", s.Text) != "" }
	for i, s := range r.Snippets {
		if secret(s) {
			// Copy on the first secret: the caller's slice is not ours to change.
			kept := append([]Snippet(nil), r.Snippets[:i]...)
			for _, s := range r.Snippets[i:] {
				if secret(s) {
					g.logOnce(log, s.Path, "context snippet from a secret file dropped (secretFiles denylist or content)")
				} else {
					kept = append(kept, s)
				}
			}
			r.Snippets = kept
			break
		}
	}
	return r, false, ""
}

// logOnce logs msg the first time it sees key, and reports whether this was that time.
func (g *denyGate) logOnce(log *slog.Logger, key, msg string) bool {
	g.mu.Lock()
	if g.logged == nil {
		g.logged = map[string]bool{}
	}
	seen := g.logged[key]
	if !seen {
		if len(g.logged) >= 4096 {
			clear(g.logged) // bounded: a file may be said again, not on every request
		}
		g.logged[key] = true
	}
	g.mu.Unlock()
	if !seen && log != nil {
		log.Info(msg, "path", strings.TrimPrefix(key, "content\x00"))
	}
	return !seen
}
