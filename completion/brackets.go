package completion

import (
	"strings"

	"github.com/mimi-lsp/mimi-lsp/internal/codescan"
)

var closerOf = map[byte]byte{'(': ')', '[': ']', '{': '}'}

// bracketBalance stops the answer before a closing bracket that walks out of the user's scope:
// one that closes nothing opened in the answer when the text after the cursor starts with that
// bracket (the editor has it, and the model is closing the block and writing on), or one that
// does not match what the answer opened.
//
// A closer that closes nothing in the answer may still close a block the user opened before
// the cursor that the text after the cursor leaves open. Without auto-pairing, typing
// "if x {", Enter and the body leaves the if open, with only the function's "}" after the
// cursor; the model's "}" for the if, and the code after it, are what the user would type next.
// Such a closer is kept when both hold (see innerCloser): the prefix has a block of its kind open
// that the suffix's leading closers do not account for, and it stands on its own line indented
// deeper than the suffix's first closer.
func bracketBalance(s string, c *ppContext) string {
	next := firstNonSpace(c.Suffix)
	var stack []byte
	var outer *outerBlocks // computed when first needed: it scans the prefix
	closed := 0            // prefix blocks the answer closed so far
	cut := len(s)
	answerBrackets(s, c, func(i int, ch byte) bool {
		switch ch {
		case '(', '[', '{':
			stack = append(stack, closerOf[ch])
			return true
		}
		if len(stack) > 0 && stack[len(stack)-1] == ch {
			stack = stack[:len(stack)-1]
			return true
		}
		if len(stack) == 0 && next == ch {
			if outer == nil {
				outer = newOuterBlocks(c)
			}
			if outer.innerCloser(s, i, closed, c.LinePrefix) {
				closed++
				return true
			}
			cut = i
			return false
		}
		if len(stack) > 0 {
			cut = i // mismatched closer
			return false
		}
		return true
	})
	return s[:cut] // spaces before the cut are the answer's: trim-space decides
}

// answerBrackets calls fn with each bracket in the code of a model answer (written at the
// cursor: it starts inside the string or comment the cursor is in) until fn returns false.
func answerBrackets(s string, c *ppContext, fn func(i int, ch byte) bool) {
	c.Syntax.Scan(s, c.prefix().cursor, func(i int, ch byte) bool {
		if closerOf[ch] != 0 || ch == ')' || ch == ']' || ch == '}' {
			return fn(i, ch)
		}
		return true
	})
}

// maxBracketScan bounds the text after the cursor that bracket balance scans (once per model
// answer that closes something it did not open).
const maxBracketScan = 256 << 10

// outerBlocks is what bracketBalance needs to know about the brackets around the cursor.
type outerBlocks struct {
	open    []byte // closers the prefix's open brackets need, innermost last
	closes  int    // closers after the cursor that close nothing opened there (blocks around the cursor)
	known   bool   // the text after the cursor was scanned, and its brackets made sense
	indent  string // indentation of the suffix's first closer
	ownLine bool   // that closer is the first thing on its line
}

func newOuterBlocks(c *ppContext) *outerBlocks {
	o := &outerBlocks{open: c.prefix().open}
	// The closers of the blocks around the cursor may lie past the suffix's window: the rest
	// of the document is scanned, up to maxBracketScan (nothing is known beyond). What it opens
	// is not the cursor's business.
	rest := c.Rest
	if rest == "" {
		rest = c.Suffix
	}
	if len(rest) <= maxBracketScan {
		_, o.closes, _, o.known = scanBracketsFrom(c.Syntax, rest, c.prefix().cursor, false)
	}
	// Where the suffix's first closer stands (bracketBalance only asks when the suffix starts
	// with one).
	lineStart := c.LinePrefix // the suffix's first line begins in the prefix
	for i := 0; i < len(c.Suffix); i++ {
		switch ch := c.Suffix[i]; ch {
		case '\n':
			lineStart = "" // a new line: nothing before the closer yet
		case ' ', '\t', '\r':
			lineStart += string(ch)
		default:
			o.indent = lineStart
			o.ownLine = strings.TrimLeft(lineStart, " \t") == ""
			i = len(c.Suffix)
		}
	}
	return o
}

// innerCloser reports whether the closer at s[i] closes a block the user opened before the
// cursor that the suffix leaves open. closed is how many such blocks the answer closed before
// it: the answer may close as many as the prefix has open beyond those the suffix closes,
// innermost first, each on its own line indented deeper than the suffix's first closer.
func (o *outerBlocks) innerCloser(s string, i, closed int, linePrefix string) bool {
	if !o.known || !o.ownLine || closed+1+o.closes > len(o.open) || s[i] != o.open[len(o.open)-1-closed] {
		return false
	}
	lineStart := strings.LastIndexByte(s[:i], '\n') + 1
	indent := s[lineStart:i]
	if lineStart == 0 {
		indent = linePrefix + indent // the answer's first line continues the cursor's
	}
	if strings.TrimLeft(indent, " \t") != "" {
		return false // code before it on its line: not a block's end
	}
	return len(indent) > len(o.indent) && strings.HasPrefix(indent, o.indent)
}

// scanBrackets walks the brackets in the code of text (codescan: strings, character literals
// and comments of the document's language are skipped; Go raw strings, JavaScript template
// literals and Python triple-quoted strings span lines). open is what stays open at its end
// (the closers needed, innermost last); extra counts closers that close nothing opened in text
// (a window that starts or ends inside a block); end is where the scan stands at the end of
// text (inside a string, say); ok is false when a closer does not match what is open. When text
// is a window (window: it may begin inside a comment), a "*/" in code means it did: what was
// open before it is forgotten. The whole document never begins inside one (and a JavaScript
// regex such as /.*/ holds a "*/" in code).
func scanBrackets(syn *codescan.Syntax, text string, window bool) (open []byte, extra int, end codescan.State, ok bool) {
	return scanBracketsFrom(syn, text, codescan.State{}, window)
}

func scanBracketsFrom(syn *codescan.Syntax, text string, from codescan.State, window bool) (open []byte, extra int, end codescan.State, ok bool) {
	ok = true
	end = syn.Scan(text, from, func(i int, ch byte) bool {
		if !ok {
			return true // the brackets make no sense; the scan goes on for the state at the end
		}
		switch ch {
		case '*':
			if window && strings.HasPrefix(text[i:], "*/") {
				open = nil // (extra stays: miscounted either way, more closers is the safe side)
			}
		case '(', '[', '{':
			open = append(open, closerOf[ch])
		case ')', ']', '}':
			if len(open) == 0 {
				extra++
			} else if open[len(open)-1] != ch {
				ok = false
			} else {
				open = open[:len(open)-1]
			}
		}
		return true
	})
	if !ok {
		return nil, 0, end, false
	}
	return open, extra, end, true
}
