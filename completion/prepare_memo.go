package completion

import (
	"slices"
	"sync"
)

// prepMemo remembers the last prompt prepared. The same request often comes twice: an editor
// asks for completion items and inline completion at the same place, or asks again without an
// edit (an incomplete list); building the prompt (windows, special-token escaping, two SHA-256
// keys) was most of a cache hit's engine time. A memoised Prepared is shared read-only.
type prepMemo struct {
	mu  sync.Mutex
	r   Request
	gen uint64
	p   *Prepared
}

// sameInput reports whether a and b give the same prompt. Comparing Text is cheap when both
// come from one document snapshot (equal strings share their bytes: the comparison stops at
// the pointer), and a memcmp otherwise.
func sameInput(a, b Request) bool {
	return a.Offset == b.Offset && a.Path == b.Path && a.File == b.File && a.Repo == b.Repo &&
		a.Language == b.Language && a.Scope == b.Scope && slices.Equal(a.Snippets, b.Snippets) && a.Text == b.Text
}

func (m *prepMemo) get(r Request, gen uint64) *Prepared {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.p != nil && m.gen == gen && sameInput(m.r, r) {
		return m.p
	}
	return nil
}

func (m *prepMemo) put(r Request, gen uint64, p *Prepared) {
	m.mu.Lock()
	m.r, m.gen, m.p = r, gen, p
	m.mu.Unlock()
}
