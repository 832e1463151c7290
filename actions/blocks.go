package actions

import (
	"strings"

	"github.com/mimi-lsp/mimi-lsp/internal/codescan"
)

// lineScan is a text split in lines, each with what internal/codescan tells of it: whether it
// starts in code or inside a string or comment that an earlier line opened, and the brackets,
// colon and backslash of its code. Block ends, indentation and re-indentation all read it, so
// a line that continues a string (a docstring's, or one written at column 0) or a bracketed
// expression is never taken for a dedent.
type lineScan struct {
	sy     *codescan.Syntax
	lines  []string
	masked []string // lines as scanned (see newLineScan)
	info   []lineInfo
}

// lineInfo is what the scanner tells of one line.
type lineInfo struct {
	start   codescan.State // at the line's start
	opens   int            // ( [ { its code opens, less those it closes
	braces  int            // { its code opens, less } it closes
	colon   bool           // its code ends with ':' (a comment may follow)
	cont    bool           // its code ends with a backslash: the next line continues it
	comment bool           // it starts in code and holds a comment and nothing else
	blank   bool
	joined  bool // it continues the line before: open brackets or a backslash (counted from the text's start)
}

// inside: the line starts inside a string or block comment that an earlier line opened.
func (li lineInfo) inside() bool {
	return li.start.Mode == codescan.String || li.start.Mode == codescan.BlockComment
}

// statement: the line starts a statement (or a declaration), so its indentation is the code's.
func (li lineInfo) statement() bool {
	return li.start == codescan.State{} && !li.blank && !li.comment && !li.joined
}

// newLineScan scans text. The scanner knows no JavaScript regular expression, so the byte
// after a backslash is read as "_": the "//" of /^https?:\/\// opens no comment that would hide
// the rest of its line, and /\(/ or /\'/ no bracket or string (outside strings a backslash
// escapes only in a regular expression; inside one, the scanner skips the byte after it
// anyway). A line break (a continuation) and a backtick (it ends a Go raw string) stay.
func newLineScan(sy *codescan.Syntax, text string) *lineScan {
	s := &lineScan{sy: sy, lines: strings.Split(text, "\n")}
	s.masked = s.lines
	if strings.Contains(text, `\`) {
		text = maskEscapes(text)
		s.masked = strings.Split(text, "\n")
	}
	s.info = make([]lineInfo, len(s.lines))
	st, depth, cont, off := codescan.State{}, 0, false, 0
	for i, l := range s.masked {
		li := lineInfo{start: st, blank: strings.TrimSpace(l) == "", joined: depth > 0 || cont}
		last := -1
		seg := text[off:min(len(text), off+len(l)+1)] // with its line break: a single-line string ends there
		off += len(l) + 1
		st = sy.Scan(seg, st, func(j int, ch byte) bool {
			switch ch {
			case '(', '[':
				li.opens++
			case ')', ']':
				li.opens--
			case '{':
				li.opens++
				li.braces++
			case '}':
				li.opens--
				li.braces--
			}
			if ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n' {
				last = j
			}
			return true
		})
		if last >= 0 {
			rest := strings.TrimRight(l[last+1:], " \t\r")
			li.colon = l[last] == ':' && (rest == "" || !s.quote(rest))
			li.cont = l[last] == '\\' && rest == ""
		} else if li.start == (codescan.State{}) && !li.blank {
			li.comment = !s.quote(strings.TrimLeft(l, " \t"))
		}
		depth, cont = max(0, depth+li.opens), li.cont
		s.info[i] = li
	}
	return s
}

// maskEscapes replaces the byte after each backslash with '_' (see newLineScan).
func maskEscapes(text string) string {
	b := []byte(text)
	for i := 0; i+1 < len(b); i++ {
		if b[i] == '\\' {
			if c := b[i+1]; c != '\n' && c != '\r' && c != '`' {
				b[i+1] = '_'
			}
			i++
		}
	}
	return string(b)
}

// quote: t (code bytes none) opens a string rather than a comment.
func (s *lineScan) quote(t string) bool {
	t = strings.TrimLeft(t, " \t")
	return t != "" && strings.IndexByte(s.sy.Quotes+s.sy.Raw, t[0]) >= 0
}

// blockEnd is the last line of the block that line i opens (see blockBounds).
func (s *lineScan) blockEnd(i int) int {
	_, end := s.blockBounds(i)
	return end
}

// blockBounds finds the block a declaration on line i opens: header is the line its body
// starts after (the signature may span lines: brackets are balanced first), end its last line.
// A '{' in the header makes it brace-balanced; a header ending in ':' (Python, and any
// language whose blocks are indented) ends the block at the first statement indented no more
// than the declaration; neither within 40 lines, or a statement at the declaration's
// indentation first (a one-liner: "const f = x => x", "class E(Exception): pass"), and the
// block is what is indented deeper. Brackets, braces and colons count in code only; a line
// that starts inside a string or a comment, inside open brackets or after a backslash
// continues the statement before it and ends nothing, and a comment alone on its line ends
// nothing either.
func (s *lineScan) blockBounds(i int) (header, end int) {
	lines := s.lines
	depth, braces, opened := 0, 0, false
	header = -1
	ind := len(indentOf(lines[i]))
	for j := i; j < len(lines) && j <= i+40; j++ {
		if li := s.info[j]; j > i && depth <= 0 && li.start == (codescan.State{}) && !li.blank && !li.comment && !s.info[j-1].cont &&
			len(indentOf(lines[j])) <= ind && !continuesHeader(lines[j]) {
			break // the next statement: this declaration has no block (a one-liner)
		}
		zeroBrace, anyBrace := false, false
		s.sy.Scan(s.masked[j], s.info[j].start, func(_ int, c byte) bool {
			switch c {
			case '(', '[':
				depth++
			case ')', ']':
				depth--
			case '{':
				zeroBrace = zeroBrace || depth <= 0
				anyBrace = true
			}
			return true
		})
		braces += s.info[j].braces
		colon := depth <= 0 && s.info[j].colon
		if zeroBrace || anyBrace && !colon { // def f(x={}): is a Python header, not a brace block
			header, opened = j, true
			break
		}
		if colon {
			header = j
			break
		}
	}
	if opened {
		for j := header; j < len(lines); j++ {
			if j > header {
				braces += s.info[j].braces
			}
			if braces <= 0 {
				return header, j
			}
		}
		return header, len(lines) - 1
	}
	if header < 0 {
		header = i
	}
	end = header
	depth, cont := 0, false
	for j := header + 1; j < len(lines); j++ {
		li := s.info[j]
		inside := li.inside() || depth > 0 || cont
		if depth > 0 && !li.inside() && len(indentOf(lines[j])) <= ind && declStarts(lines[j]) {
			break // a bracket of the body never closed: the next declaration still ends it
		}
		depth, cont = max(0, depth+li.opens), li.cont
		switch {
		case inside:
			end = j // it continues the statement before
		case li.blank:
		case len(indentOf(lines[j])) <= ind:
			if !li.comment {
				return header, end
			}
		default:
			end = j
		}
	}
	return header, end
}

// continuesHeader: a line at a declaration's indentation may still belong to its header (a
// brace on its own line, a Rust where clause, a C++ initializer list, a chained operator).
func continuesHeader(l string) bool {
	t := strings.TrimSpace(l)
	if strings.HasPrefix(t, "where") || strings.HasPrefix(t, "throws") || strings.HasPrefix(t, "extends") || strings.HasPrefix(t, "implements") {
		return true
	}
	return t != "" && strings.IndexByte("{:,.?&|+-*/=><)]", t[0]) >= 0
}

// declStarts: the line opens a declaration or is a decorator.
func declStarts(l string) bool {
	if strings.HasPrefix(strings.TrimSpace(l), "@") {
		return true
	}
	_, _, ok := declAt(l)
	return ok
}
