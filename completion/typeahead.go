package completion

import (
	"context"
	"strings"
	"sync"
)

// typeahead serves the rest of a recent suggestion when the user has typed its first
// characters: the text before the cursor is the old text before the cursor plus a prefix of the
// suggestion, and nothing else changed (same suffix, model, options, file). A suggestion that is
// still streaming is waited for when what was typed agrees with what has streamed so far.
type typeahead struct {
	mu      sync.Mutex
	entries []*taEntry // newest last, at most max
	max     int
	lastID  uint64 // entries are numbered: a suggestion's id (Ref.ID) across continuations
}

type taEntry struct {
	id     uint64  // the suggestion's id (Ref.ID): its continuations by typing-ahead share it
	ctxKey string  // hash of everything but the prefix: template, model, options, suffix, path, scope
	offset int     // cursor byte offset when the suggestion was asked for
	qtail  string  // the prompt's prefix window then (a copy, not a view of the document)
	flight *flight // the model call producing it (nil when it came finished, e.g. from the cache)
	carry  bool    // a continuation (carry.go): served at its own place too, before anything is typed

	mu       sync.Mutex
	soFar    string
	progress chan struct{} // closed and replaced on every update
	done     chan struct{}
	final    string
	ok       bool
}

func newTypeahead(max int) *typeahead { return &typeahead{max: max} }

// maxTyped bounds how far ahead of a suggestion's start the user may have typed.
const maxTyped = 2048

func (t *typeahead) add(e *taEntry) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lastID++
	e.id = t.lastID
	// Replace an entry for the same place: the newest answer wins.
	for i, old := range t.entries {
		if old.ctxKey == e.ctxKey && old.offset == e.offset && old.qtail == e.qtail {
			t.entries = append(t.entries[:i], t.entries[i+1:]...)
			break
		}
	}
	if len(t.entries) >= t.max {
		t.entries = t.entries[1:]
	}
	t.entries = append(t.entries, e)
}

// Accepted is told that the user accepted a suggestion: its typing-ahead state is kept ahead
// of newer suggestions' (the rest of it keeps being served as the user types on).
func (e *Engine) Accepted(r Ref) {
	if r.ctxKey != "" {
		e.ta.promote(r.ctxKey)
	}
}

// promote moves the finished suggestions of ctxKey to the newest end: an accepted suggestion's
// rest stays served while the user keeps typing or accepting, however many others come.
func (t *typeahead) promote(ctxKey string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var keep, moved []*taEntry
	for _, e := range t.entries {
		if e.ctxKey == ctxKey {
			moved = append(moved, e)
		} else {
			keep = append(keep, e)
		}
	}
	if len(moved) > 0 {
		t.entries = append(keep, moved...)
	}
}

// newEntry registers a suggestion being produced (streaming) for the cursor at offset; carry:
// it continues a suggestion that ends at offset (carry.go).
func (t *typeahead) newEntry(ctxKey string, offset int, prefixWindow string, f *flight, carry bool) *taEntry {
	e := &taEntry{ctxKey: ctxKey, offset: offset, qtail: strings.Clone(prefixWindow),
		progress: make(chan struct{}), done: make(chan struct{}), flight: f, carry: carry}
	t.add(e)
	return e
}

// reaches reports whether a request at offset in text can be served from e: the text before
// e's place is as it was, and the cursor is after it (or at it, for a continuation).
func (e *taEntry) reaches(ctxKey, text string, offset int) bool {
	return e.ctxKey == ctxKey && (e.offset < offset || e.carry && e.offset == offset) && offset-e.offset <= maxTyped &&
		strings.HasSuffix(text[:e.offset], e.qtail)
}

// addDone registers a finished suggestion (e.g. one served from the cache) and returns its id:
// the same suggestion already registered for the same place keeps its id.
func (t *typeahead) addDone(ctxKey string, offset int, prefixWindow, text string) uint64 {
	if text == "" {
		return 0
	}
	t.mu.Lock()
	for _, old := range t.entries {
		if old.ctxKey == ctxKey && old.offset == offset && old.qtail == prefixWindow {
			old.mu.Lock()
			same := old.ok && old.final == text
			old.mu.Unlock()
			if same {
				t.mu.Unlock()
				return old.id
			}
		}
	}
	t.mu.Unlock()
	e := t.newEntry(ctxKey, offset, prefixWindow, nil, false)
	e.finish(text, true)
	return e.id
}

func (e *taEntry) update(soFar string) {
	e.mu.Lock()
	e.soFar = soFar
	close(e.progress)
	e.progress = make(chan struct{})
	e.mu.Unlock()
}

func (e *taEntry) finish(text string, ok bool) {
	e.mu.Lock()
	e.final, e.ok = text, ok
	e.mu.Unlock()
	close(e.done)
}

func (e *taEntry) streamed() (string, <-chan struct{}) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.soFar, e.progress
}

// agrees reports whether what was typed and what has streamed can be the same text.
func agrees(streamed, typed string) bool {
	return strings.HasPrefix(streamed, typed) || strings.HasPrefix(typed, streamed)
}

// waitAgreeing waits for e to finish while its streamed text agrees with typed; false when it
// stopped agreeing or ctx ended.
func (e *taEntry) waitAgreeing(ctx context.Context, typed string) bool {
	for {
		s, progress := e.streamed()
		if !agrees(s, typed) {
			return false
		}
		select {
		case <-e.done:
			return true
		case <-progress:
		case <-ctx.Done():
			return false
		}
	}
}

// lookup returns the remainder of a suggestion that the text typed since agrees with.
func (t *typeahead) lookup(ctx context.Context, ctxKey, text string, offset int) (string, uint64, bool) {
	return t.find(ctx, ctxKey, text, offset, true)
}

// ready is lookup that never waits: it answers from finished suggestions, and says pending
// (ok false) when lookup would wait for a streaming one instead (Ready must then leave the
// request to Complete, which would answer it from that suggestion).
func (t *typeahead) ready(ctxKey, text string, offset int) (rest string, id uint64, ok, pending bool) {
	if t.pending(ctxKey, text, offset) {
		return "", 0, false, true
	}
	rest, id, ok = t.find(context.Background(), ctxKey, text, offset, false)
	return rest, id, ok, false
}

// pending reports whether a streaming suggestion agrees with what was typed since it started.
func (t *typeahead) pending(ctxKey, text string, offset int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, e := range t.entries {
		if !e.reaches(ctxKey, text, offset) {
			continue
		}
		select {
		case <-e.done:
			continue
		default:
		}
		if s, _ := e.streamed(); agrees(s, text[e.offset:offset]) && e.flight != nil {
			return true
		}
	}
	return false
}

func (t *typeahead) find(ctx context.Context, ctxKey, text string, offset int, wait bool) (string, uint64, bool) {
	t.mu.Lock()
	cands := make([]*taEntry, 0, 4)
	for i := len(t.entries) - 1; i >= 0; i-- {
		e := t.entries[i]
		if e.reaches(ctxKey, text, offset) {
			cands = append(cands, e)
		}
	}
	t.mu.Unlock()
	for _, e := range cands {
		typed := text[e.offset:offset]
		select {
		case <-e.done:
		default:
			if !wait {
				continue
			}
			// Still streaming: wait (keeping the call alive) while what was typed agrees with what
			// has streamed, and stop waiting as soon as it does not. Nothing streamed yet agrees
			// with anything: the replay benchmark measured waiting then as the better bet (25
			// against 77 model calls per 100 keystrokes, same latency percentiles).
			if s, _ := e.streamed(); !agrees(s, typed) {
				continue
			}
			if e.flight == nil || !e.flight.acquire() {
				// Its call just ended (or was cancelled): the entry finishes at once, with what
				// streamed (a continuation keeps its whole lines).
				select {
				case <-e.done:
				case <-ctx.Done():
					return "", 0, false
				}
			} else {
				ok := e.waitAgreeing(ctx, typed)
				e.flight.release()
				if !ok {
					if ctx.Err() != nil {
						return "", 0, false
					}
					continue
				}
			}
		}
		e.mu.Lock()
		final, ok := e.final, e.ok
		e.mu.Unlock()
		if ok && len(final) > len(typed) && strings.HasPrefix(final, typed) {
			return final[len(typed):], e.id, true
		}
	}
	return "", 0, false
}
