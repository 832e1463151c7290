package embed

import (
	"math"
	"strings"
	"unicode/utf8"
)

// The keyword side of the hybrid index: a small in-memory inverted index scored with BM25.
// Terms are identifiers as written (lowercased), their parts (camelCase, snake_case and
// letter/digit boundaries) and plain words. Written here rather than using bleve or SQLite
// FTS5: those bring their own analysers (neither splits camelCase), storage engines and tens of
// thousands of lines, while this is ~200 lines, needs no second on-disk format, and scores a
// query over 100k chunks in well under a millisecond (see BenchmarkSearch100k).

const (
	bm25K1 = 1.2
	bm25B  = 0.75
	// maxTermLen drops absurd tokens (minified lines, base64 blobs) from the index.
	maxTermLen = 64
)

// posting is one chunk (by slot) that holds a term, with the term's frequency there.
type posting struct {
	slot uint32
	tf   uint32
}

// tokenize calls emit for every term of text: each identifier or word lowercased, then its
// parts when it has more than one. Parts and words shorter than 2 bytes are skipped.
func tokenize(text string, emit func(term string)) {
	i := 0
	for i < len(text) {
		c := text[i]
		if !isIdentByte(c) {
			i++
			continue
		}
		j := i
		for j < len(text) && isIdentByte(text[j]) {
			j++
		}
		emitIdent(text[i:j], emit)
		i = j
	}
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= utf8.RuneSelf
}

func emitIdent(id string, emit func(string)) {
	if len(id) > maxTermLen || !utf8.ValidString(id) {
		return
	}
	whole := strings.Trim(id, "_")
	if len(whole) < 2 {
		return
	}
	emit(strings.ToLower(whole))
	start := -1
	flush := func(end int) {
		if start >= 0 && end-start >= 2 && end-start < len(whole) {
			emit(strings.ToLower(whole[start:end]))
		}
		start = -1
	}
	for k := 0; k < len(whole); k++ {
		c := whole[k]
		if c == '_' {
			flush(k)
			continue
		}
		if start < 0 {
			start = k
			continue
		}
		p := whole[k-1]
		switch {
		case isDigit(c) != isDigit(p) && p != '_':
			flush(k) // letter/digit boundary
			start = k
		case isUpper(c) && isLower(p):
			flush(k) // fooBar
			start = k
		case isUpper(c) && isUpper(p) && k+1 < len(whole) && isLower(whole[k+1]):
			flush(k) // HTTPServer → HTTP, Server
			start = k
		}
	}
	flush(len(whole))
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isLower(c byte) bool { return c >= 'a' && c <= 'z' }

// termCounts tokenises a chunk (its text, plus its name and file name) into term frequencies
// and the document length.
func termCounts(c *Chunk) (map[string]uint32, uint32) {
	tf := make(map[string]uint32)
	var n uint32
	add := func(t string) {
		tf[t]++
		n++
	}
	tokenize(c.Text, add)
	tokenize(c.Name, add)
	base := c.Path
	if k := strings.LastIndexByte(base, '/'); k >= 0 {
		base = base[k+1:]
	}
	tokenize(base, add)
	return tf, n
}

// bm25 holds the inverted index. It is not synchronised: Index guards it.
type bm25 struct {
	terms    map[string][]posting
	docLen   []uint32 // by slot; 0 for dead slots
	totalLen uint64   // over live slots
	live     int
}

func newBM25() *bm25 { return &bm25{terms: make(map[string][]posting)} }

// add indexes a chunk at slot (slots are appended in order).
func (x *bm25) add(slot uint32, c *Chunk) {
	tf, n := termCounts(c)
	for t, f := range tf {
		ps, ok := x.terms[t]
		if !ok {
			t = strings.Clone(t) // do not pin the chunk's text through a map key
		}
		x.terms[t] = append(ps, posting{slot: slot, tf: f})
	}
	for len(x.docLen) <= int(slot) {
		x.docLen = append(x.docLen, 0)
	}
	x.docLen[slot] = n
	x.totalLen += uint64(n)
	x.live++
}

// remove forgets a slot's length; its postings stay until compaction and are skipped by the
// caller's liveness check.
func (x *bm25) remove(slot uint32) {
	x.totalLen -= uint64(x.docLen[slot])
	x.docLen[slot] = 0
	x.live--
}

// remap renumbers slots after compaction: newSlot[old] is the new slot or -1 when dead.
func (x *bm25) remap(newSlot []int32, n int) {
	for t, ps := range x.terms {
		out := ps[:0]
		for _, p := range ps {
			if ns := newSlot[p.slot]; ns >= 0 {
				out = append(out, posting{slot: uint32(ns), tf: p.tf})
			}
		}
		if len(out) == 0 {
			delete(x.terms, t)
			continue
		}
		x.terms[t] = out
	}
	dl := make([]uint32, n)
	for old, ns := range newSlot {
		if ns >= 0 {
			dl[ns] = x.docLen[old]
		}
	}
	x.docLen = dl
}

// queryTerms tokenises a query into distinct terms.
func queryTerms(q string) []string {
	seen := make(map[string]bool)
	var out []string
	tokenize(q, func(t string) {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	})
	return out
}

// score adds the BM25 score of every live slot matching the terms into scores and returns
// the slots touched (each once).
func (x *bm25) score(terms []string, alive []bool, scores []float32, touched []uint32) []uint32 {
	if x.live == 0 {
		return touched
	}
	n := float64(x.live)
	avg := float64(x.totalLen) / n
	if avg == 0 {
		avg = 1
	}
	for _, t := range terms {
		ps := x.terms[t]
		if len(ps) == 0 {
			continue
		}
		df := float64(len(ps)) // counts dead postings until compaction: close enough
		idf := float32(math.Log(1 + (n-df+0.5)/(df+0.5)))
		if idf <= 0 {
			idf = 1e-3
		}
		norm := float32(bm25K1 * (1 - bm25B))
		per := float32(bm25K1 * bm25B / avg)
		for _, p := range ps {
			if !alive[p.slot] {
				continue
			}
			tf := float32(p.tf)
			s := idf * tf * (bm25K1 + 1) / (tf + norm + per*float32(x.docLen[p.slot]))
			if scores[p.slot] == 0 {
				touched = append(touched, p.slot)
			}
			scores[p.slot] += s
		}
	}
	return touched
}
