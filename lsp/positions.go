package lsp

import (
	"fmt"
	"unicode/utf8"

	"go.lsp.dev/protocol"
)

// Encoding is the unit of Position.Character negotiated at initialize (LSP 3.17
// positionEncoding); utf-16 when the client does not offer another.
type Encoding string

const (
	UTF16 Encoding = "utf-16"
	UTF8  Encoding = "utf-8"
	UTF32 Encoding = "utf-32"
)

// Position is an LSP position (0-based line, character in the negotiated encoding).
type Position = protocol.Position

// Range is an LSP range.
type Range = protocol.Range

// PositionError is a position that names a line past the end of the document.
type PositionError struct {
	Pos   Position
	Lines int
}

func (e *PositionError) Error() string {
	return fmt.Sprintf("position %d:%d is past the end of the document (%d lines)", e.Pos.Line, e.Pos.Character, e.Lines)
}

// lineIndex holds the byte offset where each line starts. Lines end at \n, \r\n or \r.
func lineIndex(text string) []int {
	starts := []int{0}
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '\n':
			starts = append(starts, i+1)
		case '\r':
			if i+1 < len(text) && text[i+1] == '\n' {
				i++
			}
			starts = append(starts, i+1)
		}
	}
	return starts
}

// lineBounds returns the byte range of line l's content (terminator excluded).
func (d *Document) lineBounds(l int) (start, end int) {
	starts := d.lines()
	start = starts[l]
	end = len(d.Text)
	if l+1 < len(starts) {
		end = starts[l+1]
		if end > start && d.Text[end-1] == '\n' {
			end--
		}
		if end > start && d.Text[end-1] == '\r' {
			end--
		}
	}
	return start, end
}

// LineCount is the number of lines (a trailing newline starts an empty last line).
func (d *Document) LineCount() int { return len(d.lines()) }

// Offset converts a position to a byte offset. This is the single place positions become
// offsets. A character past the end of its line clamps to the line end (as the spec says); a
// character inside a multi-unit character (e.g. between the halves of a UTF-16 surrogate pair)
// snaps to that character's start; a line past the end is a *PositionError.
func (d *Document) Offset(p Position, enc Encoding) (int, error) {
	if int(p.Line) >= d.LineCount() {
		return 0, &PositionError{Pos: p, Lines: d.LineCount()}
	}
	start, end := d.lineBounds(int(p.Line))
	line := d.Text[start:end]
	want := int(p.Character)
	if enc == UTF8 {
		if want >= len(line) {
			return end, nil
		}
		for want > 0 && !utf8.RuneStart(line[want]) {
			want--
		}
		return start + want, nil
	}
	units := 0
	for i, r := range line {
		if units >= want {
			return start + i, nil
		}
		n := 1
		if enc == UTF16 && r >= 0x10000 {
			n = 2
		}
		if units+n > want {
			return start + i, nil // inside this character: snap to its start
		}
		units += n
	}
	return end, nil
}

// PositionOf converts a byte offset to a position (offsets past the end clamp to the end).
func (d *Document) PositionOf(off int, enc Encoding) Position {
	if off > len(d.Text) {
		off = len(d.Text)
	}
	if off < 0 {
		off = 0
	}
	starts := d.lines()
	lo, hi := 0, len(starts)-1
	for lo < hi { // last start <= off
		mid := (lo + hi + 1) / 2
		if starts[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	start, end := d.lineBounds(lo)
	if off > end {
		off = end
	}
	seg := d.Text[start:off]
	var ch int
	switch enc {
	case UTF8:
		ch = len(seg)
	case UTF32:
		ch = utf8.RuneCountInString(seg)
	default:
		for _, r := range seg {
			ch++
			if r >= 0x10000 {
				ch++
			}
		}
	}
	return Position{Line: uint32(lo), Character: uint32(ch)}
}
