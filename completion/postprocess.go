package completion

import (
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/mimi-lsp/mimi-lsp/internal/codescan"
)

// ppContext is what post-processing knows about the cursor.
type ppContext struct {
	Prefix     string // text before the cursor (the prompt's window)
	Suffix     string // text after the cursor (the prompt's window)
	LinePrefix string // the cursor's line, before the cursor
	LineSuffix string // the cursor's line, after the cursor
	Special    []string
	Stops      []string
	Tokens     []string // every special string of the template (escape.go)
	MultiLine  bool
	MaxLines   int
	Rest       string // the whole text after the cursor (Suffix is a window of it); "" = Suffix
	Before     string // the whole text before the cursor (Prefix is a window of it); "" = Prefix
	// Syntax tells the document's code from its strings and comments (internal/codescan).
	Syntax *codescan.Syntax

	scanOnce sync.Once
	scan     prefixScan // the prefix's brackets and where the cursor stands (scanned once, when first needed)
}

// prefixScan is what one scan of the prefix window tells the filters.
type prefixScan struct {
	open   []byte         // closers the prefix's open brackets need, innermost last (nil: they make no sense)
	cursor codescan.State // in code, or inside a string or comment, at the cursor
}

func newPPContext(prefix, suffix string, t *Template, multiLine bool, maxLines int, syn *codescan.Syntax) *ppContext {
	c := &ppContext{Prefix: prefix, Suffix: suffix, Special: t.Special, Stops: t.Stop, Tokens: t.escapeTokens(), MultiLine: multiLine, MaxLines: maxLines, Syntax: syn}
	c.LinePrefix = prefix[strings.LastIndexByte(prefix, '\n')+1:]
	c.LineSuffix = suffix
	if i := strings.IndexByte(suffix, '\n'); i >= 0 {
		c.LineSuffix = suffix[:i]
	}
	c.LineSuffix = strings.TrimSuffix(c.LineSuffix, "\r")
	return c
}

// prefix scans the whole text before the cursor once (on the first model answer, not on every keystroke).
func (c *ppContext) prefix() *prefixScan {
	c.scanOnce.Do(func() {
		// The whole text before the cursor (up to maxBracketScan, from a line's start): a window
		// that starts inside a docstring or a raw string would read every string after it inside out.
		before, window := c.Before, false
		if before == "" {
			before, window = c.Prefix, true
		}
		if len(before) > maxBracketScan {
			before, window = before[len(before)-maxBracketScan:], true
			before = before[strings.IndexByte(before, '\n')+1:]
		}
		open, _, end, ok := scanBrackets(c.Syntax, before, window)
		c.scan.cursor = end
		if ok {
			c.scan.open = open
		}
	})
	return &c.scan
}

// inString reports whether the answer s, written at the cursor, ends inside a string literal.
func (c *ppContext) inString(s string) bool {
	return c.Syntax.Scan(s, c.prefix().cursor, nil).InString()
}

// midLine: code follows the cursor on its line, so only a single-line answer fits.
func (c *ppContext) midLine() bool { return strings.TrimSpace(c.LineSuffix) != "" }

// singleLine reports whether the answer must stay on the cursor's line.
func (c *ppContext) singleLine() bool { return !c.MultiLine || c.midLine() }

// filter is one named post-processing step.
type filter struct {
	name string
	fn   func(s string, c *ppContext) string
}

// pipeline is the post-processing order. Each filter is small and pinned by golden cases in
// testdata/postprocess (each case records which filters changed the text).
var pipeline = []filter{
	{"strip-special", stripSpecial},
	{"cut-at-stop", cutAtStop},
	{"restore-tokens", restoreEscaped},
	{"single-line", singleLineFilter},
	{"limit-lines", limitLines},
	{"bracket-balance", bracketBalance},
	{"suffix-overlap", suffixOverlap},
	{"repeats-next-lines", repeatsNextLines},
	{"drop-empty", dropEmpty},
	{"trim-space", trimSpace},
}

// postprocess runs the pipeline; trace (when non-nil) gets the names of filters that changed s.
func postprocess(s string, c *ppContext, trace *[]string) string {
	for _, f := range pipeline {
		out := f.fn(s, c)
		if out != s && trace != nil {
			*trace = append(*trace, f.name)
		}
		s = out
		if s == "" {
			break
		}
	}
	return s
}

// cutAtStop cuts at the first stop sequence (Ollama stops there too, but a stop can be split
// across stream chunks or arrive from a cache written with other options).
func cutAtStop(s string, c *ppContext) string {
	for _, st := range c.Stops {
		if i := strings.Index(s, st); i >= 0 {
			s = s[:i]
		}
	}
	return s
}

// stripSpecial removes special tokens the answer starts with (a model may echo the FIM
// middle token) and, anywhere, the family's special tokens that are not stop sequences
// (BOS-like tokens). Stop tokens in the body are left for cut-at-stop.
func stripSpecial(s string, c *ppContext) string {
	for again := true; again; {
		again = false
		for _, sp := range c.Special {
			if t, ok := strings.CutPrefix(s, sp); ok {
				s, again = t, true
			}
		}
	}
	for _, sp := range c.Special {
		if !slices.Contains(c.Stops, sp) {
			s = strings.ReplaceAll(s, sp, "")
		}
	}
	return s
}

// restoreEscaped gives back the user's own token strings that the prompt carried neutralised
// (escape.go) when the model copies them. It runs after the stop cut, so a restored string is
// text, never an end of the answer.
func restoreEscaped(s string, c *ppContext) string {
	return restoreTokens(s, c.Tokens)
}

// singleLineFilter keeps only the first line when the cursor is mid-line or multi-line is off.
// A leading newline is not a line of its own here: it would start a new line the user did not ask for.
func singleLineFilter(s string, c *ppContext) string {
	if !c.singleLine() {
		return s
	}
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSuffix(s, "\r")
}

// limitLines keeps at most MaxLines lines (a leading newline does not count as a line).
func limitLines(s string, c *ppContext) string {
	if c.MaxLines <= 0 {
		return s
	}
	lead := len(s) - len(strings.TrimLeft(s, "\r\n"))
	lines := strings.SplitAfter(s[lead:], "\n")
	if len(lines) <= c.MaxLines {
		return s
	}
	return s[:lead] + strings.Join(lines[:c.MaxLines], "")
}

// suffixOverlap removes the end of the answer that the rest of the line already has (the
// answer ends with ")" and the cursor sits before ")"). Only an end whose removal leaves the
// answer where the cursor stood goes: in "fmt.Println(‸)" the answer "strings.ToUpper(name)"
// keeps its ")", which closes its own "(", while "name))" loses one; in "join('‸')" the answer
// "src', 'index.js')" loses "')" (what is left closes the user's string and opens another).
func suffixOverlap(s string, c *ppContext) string {
	ls := strings.TrimSpace(c.LineSuffix)
	if ls == "" {
		return s
	}
	trimmed := strings.TrimRight(s, " \t")
	for k := min(len(ls), len(trimmed)); k > 0; k-- {
		if strings.HasSuffix(trimmed, ls[:k]) && c.returnsToCursor(trimmed[:len(trimmed)-k]) {
			return trimmed[:len(trimmed)-k] // spaces before the line's text are the answer's (trim-space decides)
		}
	}
	return s
}

// returnsToCursor reports whether the answer s, written at the cursor, ends where the cursor
// stood: as many brackets closed as opened, and in the same string (or code) as the cursor.
func (c *ppContext) returnsToCursor(s string) bool {
	start := c.prefix().cursor
	depth := 0
	end := c.Syntax.Scan(s, start, func(_ int, ch byte) bool {
		switch ch {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		}
		return true
	})
	return depth == 0 && end == start
}

// repeatsNextLines drops an answer whose lines repeat the lines that follow the cursor, and
// trims trailing answer lines that duplicate the start of the suffix. Lines compare without
// their indentation, except lines of closing brackets alone: "\t}" closing an inner block is
// not the "}" that closes the function after it.
func repeatsNextLines(s string, c *ppContext) string {
	rest := c.Suffix
	if i := strings.IndexByte(rest, '\n'); i >= 0 {
		rest = rest[i+1:]
	} else {
		rest = ""
	}
	next := nonEmptyLines(rest, "", 8)
	ans := nonEmptyLines(s, c.LinePrefix, 1<<20)
	if len(ans) == 0 || len(next) == 0 {
		return s
	}
	// The whole answer repeats the next lines.
	if len(ans) <= len(next) && equalLines(ans, next[:len(ans)]) {
		return ""
	}
	// The answer's tail repeats the next lines: keep what comes before it.
	for k := min(len(ans)-1, len(next)); k > 0; k-- {
		if equalLines(ans[len(ans)-k:], next[:k]) {
			lines := strings.Split(s, "\n")
			kept, seen := len(lines), 0
			for kept > 0 && seen < k {
				kept--
				if strings.TrimSpace(lines[kept]) != "" {
					seen++
				}
			}
			return strings.Join(lines[:kept], "\n")
		}
	}
	return s
}

// trimSpace drops trailing whitespace and, when the line already ends in a space, the
// answer's leading spaces (so "return |" + " x" does not become "return  x"). Mid-line, spaces
// the answer ends with stay when they are text (see keepsTrailingSpace).
func trimSpace(s string, c *ppContext) string {
	if c.keepsTrailingSpace(s) {
		s = strings.TrimRight(s, "\r\n\f\v")
	} else {
		s = strings.TrimRightFunc(s, unicode.IsSpace)
	}
	if strings.HasSuffix(c.LinePrefix, " ") || strings.HasSuffix(c.LinePrefix, "\t") {
		s = strings.TrimLeft(s, " \t")
	}
	return s
}

// keepsTrailingSpace reports whether the spaces the answer s ends with belong to it: mid-line,
// right before the line's text, when the answer ends inside a string ("'expected: '") or
// mirrors the space it starts with after an opening bracket ("{ log }").
func (c *ppContext) keepsTrailingSpace(s string) bool {
	if !c.midLine() || startsWithSpace(c.LineSuffix) || strings.TrimRight(s, " \t") == s {
		return false
	}
	if c.inString(s) {
		return true
	}
	lp := strings.TrimRight(c.LinePrefix, " \t")
	return startsWithSpace(s) && lp == c.LinePrefix && lp != "" && strings.IndexByte("([{", lp[len(lp)-1]) >= 0
}

func startsWithSpace(s string) bool { return s != "" && (s[0] == ' ' || s[0] == '\t') }

// dropEmpty drops answers with nothing but whitespace, except spaces inside a string the
// cursor is in ("join('‸')" → " ").
func dropEmpty(s string, c *ppContext) string {
	if strings.TrimSpace(s) != "" {
		return s
	}
	if s != "" && c.midLine() && strings.Trim(s, " \t") == "" && c.prefix().cursor.InString() && c.inString(s) {
		return s
	}
	return ""
}

func firstNonSpace(s string) byte {
	for i := 0; i < len(s); i++ {
		if !unicode.IsSpace(rune(s[i])) {
			return s[i]
		}
	}
	return 0
}

// nonEmptyLines returns the first n non-blank lines of s as repeatsNextLines compares them;
// indent is what precedes s on its first line.
func nonEmptyLines(s, indent string, n int) []string {
	var out []string
	for i, l := range strings.Split(s, "\n") {
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		if strings.Trim(t, ")]}") == "" && (i > 0 || strings.TrimSpace(indent) == "") {
			if i == 0 {
				l = indent + l
			}
			t = strings.TrimRight(l, " \t\r") // closers alone on their line: where they stand matters
		}
		out = append(out, t)
		if len(out) == n {
			break
		}
	}
	return out
}

func equalLines(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// sanitizeShared applies to an answer from the shared cache the rules that bound its shape — one
// line mid-line, at most MaxLines lines — so a value planted in a shared Redis cannot put a
// screenful of text into the editor. (The rest of the pipeline already ran when it was stored.)
func sanitizeShared(s string, c *ppContext) string {
	// Editors also break lines at a lone \r; and limitLines does not count leading line breaks,
	// so a run of them is cut to one.
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	if body := strings.TrimLeft(s, "\n"); len(s)-len(body) > 1 {
		s = "\n" + body
	}
	return limitLines(singleLineFilter(s, c), c)
}
