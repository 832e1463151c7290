package embed

import (
	"math"
	"slices"
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
	tokenizeRaw(text, func(raw string) { emit(strings.ToLower(raw)) })
}

// tokenizeRaw is tokenize with the terms as written: the caller lowercases them.
func tokenizeRaw(text string, emit func(raw string)) {
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
	emit(whole)
	start := -1
	flush := func(end int) {
		if start >= 0 && end-start >= 2 && end-start < len(whole) {
			emit(whole[start:end])
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

// termFreq is one distinct term of a chunk with its frequency there.
type termFreq struct {
	term string
	tf   uint32
}

// termCounts tokenises a chunk's text, its name and the base name of path into distinct
// terms with their frequencies, appended to out, and returns them with the document length.
// sc is scratch. Terms may point into text: add copies the ones it keeps.
func termCounts(path, text, name string, sc *termScratch, out []termFreq) ([]termFreq, uint32) {
	var n uint32
	base := len(out)
	add := func(raw string) {
		n++
		t, scratch := raw, false
		switch {
		case !hasUpperOrNonASCII(raw):
		case isASCII(raw):
			sc.buf = appendLowerASCII(sc.buf[:0], raw)
			scratch = true
		default:
			t = strings.ToLower(raw)
		}
		var k int
		var ok bool
		if scratch {
			k, ok = sc.idx[string(sc.buf)] // no allocation for the lookup
		} else {
			k, ok = sc.idx[t]
		}
		if ok {
			out[base+k].tf++
			return
		}
		if scratch {
			t = string(sc.buf)
		}
		sc.idx[t] = len(out) - base
		out = append(out, termFreq{term: t, tf: 1})
	}
	tokenizeRaw(text, add)
	tokenizeRaw(name, add)
	if k := strings.LastIndexByte(path, '/'); k >= 0 {
		path = path[k+1:]
	}
	tokenizeRaw(path, add)
	clear(sc.idx)
	return out, n
}

// termScratch is termCounts' reusable state.
type termScratch struct {
	idx map[string]int // term → index in the chunk's terms
	buf []byte
}

func hasUpperOrNonASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' || c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func appendLowerASCII(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// bm25 holds the inverted index: terms interned to ids, postings by id. It is not
// synchronised: Index guards it.
type bm25 struct {
	ids      map[string]uint32
	names    []string    // by id
	post     [][]posting // by id
	docLen   []uint32    // by slot; 0 for dead slots
	totalLen uint64      // over live slots
	live     int
}

func newBM25() *bm25 { return &bm25{ids: make(map[string]uint32)} }

// postings returns the postings of term t (nil when unknown).
func (x *bm25) postings(t string) []posting {
	if id, ok := x.ids[t]; ok {
		return x.post[id]
	}
	return nil
}

// intern returns t's id, adding it (a copy: do not pin the chunk's text) when new.
func (x *bm25) intern(t string) uint32 {
	if id, ok := x.ids[t]; ok {
		return id
	}
	id := uint32(len(x.names))
	t = strings.Clone(t)
	x.ids[t] = id
	x.names = append(x.names, t)
	x.post = append(x.post, nil)
	return id
}

// add indexes a chunk at slot (slots are appended in order) from its distinct terms and
// length (termCounts).
func (x *bm25) add(slot uint32, terms []termFreq, n uint32) {
	for _, tf := range terms {
		id := x.intern(tf.term)
		x.post[id] = append(x.post[id], posting{slot: slot, tf: tf.tf})
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
// Terms left without postings are dropped (ids are renumbered).
func (x *bm25) remap(newSlot []int32, n int) {
	names, post := x.names[:0], x.post[:0]
	for id, ps := range x.post {
		out := ps[:0]
		for _, p := range ps {
			if ns := newSlot[p.slot]; ns >= 0 {
				out = append(out, posting{slot: uint32(ns), tf: p.tf})
			}
		}
		t := x.names[id]
		if len(out) == 0 {
			delete(x.ids, t)
			continue
		}
		x.ids[t] = uint32(len(names))
		names = append(names, t)
		post = append(post, out)
	}
	clear(x.names[len(names):])
	clear(x.post[len(post):])
	x.names, x.post = names, post
	dl := make([]uint32, n)
	for old, ns := range newSlot {
		if ns >= 0 {
			dl[ns] = x.docLen[old]
		}
	}
	x.docLen = dl
}

// shrink gives back the spare capacity append left in the postings (up to a quarter of
// their size for the long lists, double for the short ones).
func (x *bm25) shrink() {
	for id, ps := range x.post {
		if cap(ps)-len(ps) > len(ps)/8 {
			x.post[id] = slices.Clone(ps)
		}
	}
	x.names = trimCap(x.names)
	x.post = trimCap(x.post)
	x.docLen = trimCap(x.docLen)
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
		ps := x.postings(t)
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
