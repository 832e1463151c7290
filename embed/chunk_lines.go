package embed

import "strings"

// Chunk size limits. A chunk never holds more than MaxChunkLines lines, nor more than
// MaxChunkBytes bytes unless it is a single line (a line is never cut).
const (
	MaxChunkLines = 150
	MaxChunkBytes = 6 << 10

	tabWidth = 4
)

// chunkLimits are the sizes a chunker works to (tests shrink them to reach the edges).
type chunkLimits struct {
	maxLines, maxBytes int
	targetMin          int // line windows grow to at least this before cutting at a block start
	targetMax          int // and stop before passing this when a block start allows
	ideal              int // the size long blocks are cut near
}

func defaultChunkLimits() chunkLimits {
	return chunkLimits{maxLines: MaxChunkLines, maxBytes: MaxChunkBytes, targetMin: 40, targetMax: 80, ideal: 60}
}

// chunkLines indexes a text by lines: line i is text[start[i]:end(i)], without its "\n". A
// final "\n" does not start another line.
type chunkLines struct {
	chunkLimits
	text  string
	start []int
}

func newChunkLines(text string, lim chunkLimits) *chunkLines {
	li := &chunkLines{chunkLimits: lim, text: text, start: make([]int, 1, strings.Count(text, "\n")+1)}
	for i := 0; ; {
		j := strings.IndexByte(text[i:], '\n')
		if j < 0 || i+j+1 == len(text) {
			break
		}
		i += j + 1
		li.start = append(li.start, i)
	}
	return li
}

func (li *chunkLines) n() int { return len(li.start) }

func (li *chunkLines) end(i int) int {
	if i+1 < len(li.start) {
		return li.start[i+1] - 1
	}
	return len(li.text) - len("\n")*boolInt(strings.HasSuffix(li.text, "\n"))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (li *chunkLines) line(i int) string     { return li.text[li.start[i]:li.end(i)] }
func (li *chunkLines) slice(s, e int) string { return li.text[li.start[s]:li.end(e)] }
func (li *chunkLines) size(s, e int) int     { return li.end(e) - li.start[s] }
func (li *chunkLines) blank(i int) bool      { return strings.TrimSpace(li.line(i)) == "" }

func (li *chunkLines) fits(s, e int) bool {
	return e-s+1 <= li.maxLines && li.size(s, e) <= li.maxBytes
}

// indent is line i's leading whitespace in columns (a tab counts tabWidth).
func (li *chunkLines) indent(i int) int {
	col := 0
	for _, c := range li.line(i) {
		switch c {
		case ' ':
			col++
		case '\t':
			col += tabWidth
		default:
			return col
		}
	}
	return col
}

// closer reports a line that ends a block ("}", ")", "]", "end", …): no chunk should start there.
func (li *chunkLines) closer(i int) bool {
	t := strings.TrimSpace(li.line(i))
	if t == "" {
		return false
	}
	switch t[0] {
	case '}', ')', ']':
		return true
	}
	return t == "end" || strings.HasPrefix(t, "end ") || strings.HasPrefix(t, "</")
}

// trim narrows [s, e] to its first and last non-blank lines; false when all are blank.
func (li *chunkLines) trim(s, e int) (int, int, bool) {
	for s <= e && li.blank(s) {
		s++
	}
	for e >= s && li.blank(e) {
		e--
	}
	return s, e, s <= e
}

// chunkSpan is a range of lines that becomes one chunk (before size splitting).
type chunkSpan struct {
	s, e       int
	kind, name string
}

// windows cuts [s, e] into line windows: top-level blocks (a non-indented line after a blank
// line starts one) packed to targetMin..targetMax lines; a block over the limits is
// split where the code structure suggests.
func (li *chunkLines) windows(s, e int, kind, name string, emit func(chunkSpan)) {
	cur, have := chunkSpan{kind: kind, name: name}, false
	flush := func() {
		if have {
			li.split(cur, emit)
			have = false
		}
	}
	for bs := s; bs <= e; {
		be := bs + 1
		for be <= e && !li.blockStart(be) {
			be++
		}
		b0, b1, ok := li.trim(bs, be-1)
		bs = be
		if !ok {
			continue
		}
		if have && (cur.e-cur.s+1 >= li.targetMin || b1-cur.s+1 > li.targetMax || !li.fits(cur.s, b1)) {
			flush()
		}
		if !have {
			cur.s, have = b0, true
		}
		cur.e = b1
	}
	flush()
}

func (li *chunkLines) blockStart(i int) bool {
	return i > 0 && li.blank(i-1) && !li.blank(i) && li.indent(i) == 0 && !li.closer(i)
}

// split emits sp whole when it fits, else in pieces cut at the best places: after a blank
// line or a closing line, at low indentation, near ideal lines.
func (li *chunkLines) split(sp chunkSpan, emit func(chunkSpan)) {
	s, e, ok := li.trim(sp.s, sp.e)
	for ok {
		if s == e || li.fits(s, e) { // a line is never cut
			emit(chunkSpan{s: s, e: e, kind: sp.kind, name: sp.name})
			return
		}
		cut := li.bestCut(s, e)
		if ps, pe, ok := li.trim(s, cut-1); ok {
			emit(chunkSpan{s: ps, e: pe, kind: sp.kind, name: sp.name})
		}
		s, e, ok = li.trim(cut, e)
	}
}

// bestCut picks the first line of the next piece for [s, e], which does not fit: s < cut ≤ e.
func (li *chunkLines) bestCut(s, e int) int {
	last := s // the longest prefix [s, last] that fits
	for last < e && li.fits(s, last+1) {
		last++
	}
	best, bestPen := last+1, -1
	for c := last + 1; c > s; c-- {
		if c <= e && li.blank(c) {
			continue
		}
		pen := li.cutPenalty(s, c)
		if bestPen < 0 || pen < bestPen {
			best, bestPen = c, pen
		}
	}
	return best
}

// cutPenalty scores starting a new piece at line c when the current one started at s.
func (li *chunkLines) cutPenalty(s, c int) int {
	size := c - s
	pen := size - li.ideal
	if pen < 0 {
		pen = -pen * 2 // short pieces are worse than long ones
	}
	pen /= 4
	pen += 4 * li.indent(c)
	switch {
	case li.blank(c - 1):
	case li.closer(c - 1):
		pen += 4
	default:
		pen += 16
	}
	if li.closer(c) {
		pen += 60
	}
	return pen
}
