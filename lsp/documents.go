package lsp

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// Document is an immutable snapshot of an open text document. A change makes a new Document,
// so a request that took a snapshot keeps a consistent view while later changes apply.
type Document struct {
	URI        string // exactly as the client sent it
	LanguageID string
	Version    int32
	Text       string

	once   sync.Once
	starts []int
	lost   bool // an edit could not be applied: the text is unknown until didOpen or a full change

	edited   time.Time     // when the last change arrived (zero: not since open)
	interval time.Duration // recent time between changes (0 after a pause): pacing
}

// typingPause is a gap between edits after which the user is no longer typing in a burst.
const typingPause = 2 * time.Second

// typingInterval folds the gap between two edits into the running interval (an exponentially
// weighted mean, so one slow key does not undo a burst); a pause resets it.
func typingInterval(prevEdited time.Time, prev time.Duration, now time.Time) time.Duration {
	if prevEdited.IsZero() {
		return 0
	}
	gap := now.Sub(prevEdited)
	if gap <= 0 || gap >= typingPause {
		return 0
	}
	if prev == 0 {
		return gap
	}
	return (7*prev + 3*gap) / 10
}

// typingIntervalAt is the document's typing interval as seen at now (0 after a pause).
func (d *Document) typingIntervalAt(now time.Time) time.Duration {
	if d.edited.IsZero() || now.Sub(d.edited) >= typingPause {
		return 0
	}
	return d.interval
}

// lostDocument replaces d after a change that could not be applied.
func lostDocument(d *Document, version int32) *Document {
	return &Document{URI: d.URI, LanguageID: d.LanguageID, Version: version, lost: true}
}

// NewDocument returns a document snapshot.
func NewDocument(uri, languageID string, version int32, text string) *Document {
	return &Document{URI: uri, LanguageID: languageID, Version: version, Text: text}
}

func (d *Document) lines() []int {
	d.once.Do(func() { d.starts = lineIndex(d.Text) })
	return d.starts
}

// contentChange is TextDocumentContentChangeEvent with an optional range: protocol v0.12.0
// has a value Range, which would turn a full-document change into an insert at 0:0.
type contentChange struct {
	Range *Range `json:"range,omitempty"`
	Text  string `json:"text"`
}

// apply returns the document after the changes, applied in order.
func (d *Document) apply(version int32, changes []contentChange, enc Encoding) (*Document, error) {
	cur := d
	for i, c := range changes {
		if c.Range == nil {
			cur = NewDocument(d.URI, d.LanguageID, version, c.Text)
			continue
		}
		start, err := cur.editOffset(c.Range.Start, enc)
		if err != nil {
			return d, fmt.Errorf("change %d: start: %w", i, err)
		}
		end, err := cur.editOffset(c.Range.End, enc)
		if err != nil {
			return d, fmt.Errorf("change %d: end: %w", i, err)
		}
		if end < start {
			return d, fmt.Errorf("change %d: range end %v before start %v", i, c.Range.End, c.Range.Start)
		}
		var b strings.Builder
		b.Grow(len(cur.Text) - (end - start) + len(c.Text))
		b.WriteString(cur.Text[:start])
		b.WriteString(c.Text)
		b.WriteString(cur.Text[end:])
		cur = NewDocument(d.URI, d.LanguageID, version, b.String())
	}
	if cur == d {
		cur = NewDocument(d.URI, d.LanguageID, version, d.Text)
	}
	return cur, nil
}

// editOffset is Offset, except that the position just past the last line (some clients send
// it for an edit that appends at the end) means the end of the document.
func (d *Document) editOffset(p Position, enc Encoding) (int, error) {
	if int(p.Line) == d.LineCount() && p.Character == 0 {
		return len(d.Text), nil
	}
	return d.Offset(p, enc)
}

// store holds the open documents. Writes happen on the read loop (ordered); reads from any
// goroutine get immutable snapshots.
type store struct {
	mu   sync.RWMutex
	docs map[string]*Document
}

func newStore() *store { return &store{docs: map[string]*Document{}} }

func (s *store) get(uri string) (*Document, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d, ok := s.docs[uri]
	return d, ok
}

func (s *store) put(d *Document) {
	s.mu.Lock()
	s.docs[d.URI] = d
	s.mu.Unlock()
}

func (s *store) remove(uri string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.docs[uri]
	delete(s.docs, uri)
	return ok
}

func (s *store) len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.docs)
}
