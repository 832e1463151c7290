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
		case '(', '[', '{':
			stack = append(stack, closerOf[ch])
		case ')', ']', '}':
			if len(stack) > 0 && stack[len(stack)-1] == ch {
				stack = stack[:len(stack)-1]
				continue
			}
			if len(stack) == 0 && next == ch {
				if outer == nil {
					outer = newOuterBlocks(c)
				}
				if outer.innerCloser(s, i, closed, c.LinePrefix) {
					closed++
					continue
				}
				return strings.TrimRight(s[:i], " \t")
			}
			if len(stack) > 0 {
				return strings.TrimRight(s[:i], " \t") // mismatched closer: cut
			}
		}
	}
	return s
}

// outerBlocks is what bracketBalance needs to know about the brackets around the cursor.
type outerBlocks struct {
	open      []byte // closers the prefix's open brackets need, innermost last
	run       int    // closers the suffix starts with (whitespace between them)
	indent    string // indentation of the suffix's first closer
	ownLine   bool   // that closer is the first thing on its line
	consensus bool   // the suffix's closers match the innermost open brackets
}

func newOuterBlocks(c *ppContext) *outerBlocks {
	o := &outerBlocks{open: openBrackets(c.Prefix)}
	// The suffix's leading run of closers, and where the first one stands.
	lineStart := c.LinePrefix // the suffix's first line begins in the prefix
	var run []byte
	for i := 0; i < len(c.Suffix); i++ {
		ch := c.Suffix[i]
		switch {
		case ch == '\n':
			if len(run) == 0 {
				lineStart = "" // a new line: nothing before the closer yet
			}
		case ch == ' ' || ch == '\t' || ch == '\r':
			if len(run) == 0 {
				lineStart += string(ch)
			}
		case ch == ')' || ch == ']' || ch == '}':
			if len(run) == 0 {
				o.indent = lineStart
				o.ownLine = strings.TrimLeft(lineStart, " \t") == ""
			}
			run = append(run, ch)
		default:
			i = len(c.Suffix) // the run ended
		}
	}
	o.run = len(run)
	o.consensus = len(run) <= len(o.open)
	for k := 0; o.consensus && k < len(run); k++ {
		o.consensus = run[k] == o.open[len(o.open)-1-k]
	}
	return o
}

// innerCloser reports whether the closer at s[i] closes a block the user opened before the
// cursor that the suffix leaves open. closed is how many such blocks the answer closed before
// it: the answer may close as many as the prefix has open beyond the suffix's run of closers,
// innermost first, each on its own line indented deeper than the suffix's first closer.
func (o *outerBlocks) innerCloser(s string, i, closed int, linePrefix string) bool {
	if !o.consensus || !o.ownLine || closed+1+o.run > len(o.open) || s[i] != o.open[len(o.open)-1-closed] {
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

// openBrackets scans text for brackets left open at its end, skipping strings, character
// literals and comments (// and /* */; backquoted strings may span lines, as Go's raw strings
// and JavaScript's template literals do): the closers they need, innermost last. A closer with
// nothing open closes a bracket opened before text began (the prompt's window starts inside
// a block) and is skipped; a mismatched one ends the scan with nothing open (nothing is known).
func openBrackets(text string) []byte {
	var stack []byte
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
		case '/':
			if strings.HasPrefix(text[i:], "//") {
				if j := strings.IndexByte(text[i:], '\n'); j >= 0 {
					i += j
				} else {
					i = len(text)
				}
			} else if strings.HasPrefix(text[i:], "/*") {
				if j := strings.Index(text[i+2:], "*/"); j >= 0 {
					i += 2 + j + 1
				} else {
					i = len(text)
				}
			}
		case '(', '[', '{':
			stack = append(stack, closerOf[ch])
		case ')', ']', '}':
			if len(stack) == 0 {
				continue
			}
			if stack[len(stack)-1] != ch {
				return nil
			}
			stack = stack[:len(stack)-1]
		}
	}
	return stack
}
