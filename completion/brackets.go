package completion

import "strings"

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
	answerBrackets(s, func(i int, ch byte) bool {
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
	if cut == len(s) {
		return s
	}
	return strings.TrimRight(s[:cut], " \t")
}

// answerBrackets calls fn with each bracket of a model answer outside its strings (which end
// at their quote or at the line's end) until fn returns false.
func answerBrackets(s string, fn func(i int, ch byte) bool) {
	inStr := byte(0)
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if inStr != 0 {
			if ch == '\\' {
				i++
			} else if ch == inStr || ch == '\n' {
				inStr = 0
			}
			continue
		}
		switch ch {
		case '"', '\'', '`':
			inStr = ch
		case '(', '[', '{', ')', ']', '}':
			if !fn(i, ch) {
				return
			}
		}
	}
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
	o := &outerBlocks{open: openBrackets(c.Prefix)}
	// The closers of the blocks around the cursor may lie past the suffix's window: the rest
	// of the document is scanned, up to maxBracketScan (nothing is known beyond). What it opens
	// is not the cursor's business.
	rest := c.Rest
	if rest == "" {
		rest = c.Suffix
	}
	if len(rest) <= maxBracketScan {
		_, o.closes, o.known = scanBrackets(rest)
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

// openBrackets returns the brackets left open at the end of text (the prefix window): the
// closers they need, innermost last; nothing when its brackets make no sense.
func openBrackets(text string) []byte {
	open, _, ok := scanBrackets(text)
	if !ok {
		return nil
	}
	return open
}

// scanBrackets walks the brackets of text outside strings, character literals and comments
// (// and /* */, and # after a line start or a space, as in Python, shell or YAML; backquoted
// strings may span lines, as Go's raw strings and JavaScript's template literals do). open is
// what stays open at its end (the closers needed, innermost last); extra counts closers that
// close nothing opened in text (a window that starts or ends inside a block); ok is false when
// a closer does not match what is open. A "*/" outside a comment means text began inside one:
// what was open before it is forgotten.
func scanBrackets(text string) (open []byte, extra int, ok bool) {
	for i := 0; i < len(text); i++ {
		switch ch := text[i]; ch {
		case '`':
			if j := strings.IndexByte(text[i+1:], '`'); j >= 0 {
				i += 1 + j
			} else {
				i = len(text)
			}
		case '"', '\'':
			for i++; i < len(text) && text[i] != ch && text[i] != '\n'; i++ {
				if text[i] == '\\' {
					i++
				}
			}
		case '#':
			if i == 0 || text[i-1] == ' ' || text[i-1] == '\t' || text[i-1] == '\n' {
				i = lineEnd(text, i)
			}
		case '/':
			if strings.HasPrefix(text[i:], "//") {
				i = lineEnd(text, i)
			} else if strings.HasPrefix(text[i:], "/*") {
				if j := strings.Index(text[i+2:], "*/"); j >= 0 {
					i += 2 + j + 1
				} else {
					i = len(text)
				}
			}
		case '*':
			if strings.HasPrefix(text[i:], "*/") {
				open = nil // (extra stays: miscounted either way, more closers is the safe side)
				i++
			}
		case '(', '[', '{':
			open = append(open, closerOf[ch])
		case ')', ']', '}':
			if len(open) == 0 {
				extra++
				continue
			}
			if open[len(open)-1] != ch {
				return nil, 0, false
			}
			open = open[:len(open)-1]
		}
	}
	return open, extra, true
}

// lineEnd returns the index of the line break ending the line at i (len(text) when none).
func lineEnd(text string, i int) int {
	if j := strings.IndexByte(text[i:], '\n'); j >= 0 {
		return i + j
	}
	return len(text)
}
