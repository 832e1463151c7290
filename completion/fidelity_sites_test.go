package completion

import (
	"regexp"
	"strings"

	"github.com/mimi-lsp/mimi-lsp/internal/codescan"
)

// A site is a place in a real file cut the way an editor leaves it while the user types there:
// doc is the document the editor holds, cursor the offset in it, middle the original text that
// belongs at the cursor (what a perfect model answers). Accepting middle at the cursor gives the
// original file back.
type site struct {
	kind   string
	file   *corpusFile
	line   int // 1-based, in the original file
	doc    string
	cursor int
	middle string
}

const (
	kindBrackets = "brackets" // inside auto-closed brackets of a call or literal: f(‸), []T{‸}
	kindQuotes   = "quotes"   // inside auto-closed quotes: "‸"
	kindLineEnd  = "line-end" // the end of a partly typed line, nothing after the cursor
	kindBody     = "body"     // the empty first line of a function body
)

var siteKinds = []string{kindBrackets, kindQuotes, kindLineEnd, kindBody}

// lineInfo is one line of a file as the scanner sees it.
type lineInfo struct {
	start, end int    // offsets of the line in the file (end at its '\n')
	code       []bool // code[j]: byte j of the line is code
	startsCode bool   // the line starts in code (not inside a multi-line string or comment)
	endsCode   bool   // it ends in code (no comment, no open string)
}

func scanLines(f *corpusFile) []lineInfo {
	sy := codescan.For(f.lang, f.rel)
	states := sy.LineStates(f.text)
	var out []lineInfo
	off := 0
	for i, st := range states {
		end := strings.IndexByte(f.text[off:], '\n')
		if end < 0 {
			end = len(f.text)
		} else {
			end += off
		}
		li := lineInfo{start: off, end: end, startsCode: st == (codescan.State{}), code: make([]bool, end-off)}
		if li.startsCode {
			endSt := sy.Scan(f.text[off:end], st, func(j int, _ byte) bool { li.code[j] = true; return true })
			li.endsCode = endSt == (codescan.State{})
		}
		out = append(out, li)
		if i == len(states)-1 || end >= len(f.text) {
			break
		}
		off = end + 1
	}
	return out
}

// cut makes the site where the original text t[from:to] is what the user has not typed yet.
func cut(kind string, f *corpusFile, line, from, to int) site {
	return site{kind: kind, file: f, line: line, doc: f.text[:from] + f.text[to:], cursor: from, middle: f.text[from:to]}
}

// findSites returns the sites of every kind in f (at most one per line and kind).
func findSites(f *corpusFile) map[string][]site {
	lines := scanLines(f)
	out := map[string][]site{}
	for i, li := range lines {
		if !li.startsCode || !li.endsCode {
			continue
		}
		text := f.text[li.start:li.end]
		if a, b, ok := bracketSite(text, li.code); ok {
			out[kindBrackets] = append(out[kindBrackets], cut(kindBrackets, f, i+1, li.start+a, li.start+b))
		}
		if a, b, ok := quoteSite(text, li.code); ok {
			out[kindQuotes] = append(out[kindQuotes], cut(kindQuotes, f, i+1, li.start+a, li.start+b))
		}
		if c, ok := lineEndSite(text, li.code); ok {
			out[kindLineEnd] = append(out[kindLineEnd], cut(kindLineEnd, f, i+1, li.start+c, li.end))
		}
		if from, to, ok := bodySite(f, lines, i); ok {
			out[kindBody] = append(out[kindBody], cut(kindBody, f, i+2, from, to))
		}
	}
	return out
}

func isIdent(b byte) bool {
	return b == '_' || b == '$' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// bracketSite finds the first call's or literal's brackets on the line that hold something:
// the text between them (a, b) is what the user has not typed.
func bracketSite(text string, code []bool) (int, int, bool) {
	for j := 1; j < len(text); j++ {
		ch := text[j]
		if !code[j] || closerOf[ch] == 0 {
			continue
		}
		if ch == '(' && !isIdent(text[j-1]) && text[j-1] != ')' && text[j-1] != ']' {
			continue
		}
		depth := 0
		for k := j; k < len(text); k++ {
			if !code[k] {
				continue
			}
			if closerOf[text[k]] != 0 {
				depth++
			} else if strings.IndexByte(")]}", text[k]) >= 0 {
				depth--
				if depth == 0 {
					if text[k] == closerOf[ch] && strings.TrimSpace(text[j+1:k]) != "" {
						return j + 1, k, true
					}
					break
				}
			}
		}
	}
	return 0, 0, false
}

// quoteSite finds the first non-empty single-line string literal on the line; (a, b) is its
// content.
func quoteSite(text string, code []bool) (int, int, bool) {
	for p := 0; p < len(text); p++ {
		if code[p] || (p > 0 && !code[p-1]) || (text[p] != '"' && text[p] != '\'') {
			continue
		}
		if strings.HasPrefix(text[p:], strings.Repeat(text[p:p+1], 3)) {
			continue // a triple-quoted string
		}
		e := p + 1
		for e < len(text) && !code[e] {
			e++
		}
		if e-p >= 3 && text[e-1] == text[p] && !strings.ContainsAny(text[p+1:e-1], string(text[p])+"\t") {
			return p + 1, e - 1, true
		}
		p = e
	}
	return 0, 0, false
}

// lineEndSite finds where in a line of code the user may have stopped typing: after a space or
// a '.', outside brackets and strings, nearest the middle of the line's code.
func lineEndSite(text string, code []bool) (int, bool) {
	body := strings.TrimLeft(text, " \t")
	indent := len(text) - len(body)
	if len(body) < 10 || strings.TrimRight(text, " \t") != text {
		return 0, false
	}
	best, depth := -1, 0
	mid := indent + len(body)/2
	for c := indent + 1; c < len(text)-2; c++ {
		if code[c-1] {
			switch text[c-1] {
			case '(', '[', '{':
				depth++
			case ')', ']', '}':
				depth--
			}
		}
		if depth < 0 {
			return 0, false
		}
		if c < indent+2 || depth != 0 || !code[c-1] || (text[c-1] != ' ' && text[c-1] != '.') || text[c] == ' ' {
			continue
		}
		if best < 0 || abs(c-mid) < abs(best-mid) {
			best = c
		}
	}
	return best, best >= 0
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

var (
	jsFuncHeader = regexp.MustCompile(`\bfunction\b|=>\s*\{$|^\s*(?:(?:async|static|get|set)\s+)*[A-Za-z_$][\w$]*\s*\([^)]*\)\s*\{$`)
	jsNotFunc    = regexp.MustCompile(`^\s*(?:if|for|while|switch|catch|else|do|try)\b`)
	pyFuncHeader = regexp.MustCompile(`^\s*(?:async\s+)?def\s+\w+\s*\(.*\)\s*(?:->.*)?:$`)
)

// bodySite finds the body of a function whose header is line i: (from, to) is its text after the
// first line's indentation, up to the end of its last line.
func bodySite(f *corpusFile, lines []lineInfo, i int) (int, int, bool) {
	if i+1 >= len(lines) {
		return 0, 0, false
	}
	header := f.text[lines[i].start:lines[i].end]
	trim := strings.TrimSpace(header)
	indent := header[:len(header)-len(strings.TrimLeft(header, " \t"))]
	first := f.text[lines[i+1].start:lines[i+1].end]
	if strings.TrimSpace(first) == "" {
		return 0, 0, false
	}
	firstIndent := first[:len(first)-len(strings.TrimLeft(first, " \t"))]
	if len(firstIndent) <= len(indent) {
		return 0, 0, false
	}
	last := -1
	switch f.lang {
	case "go", "javascript":
		goFunc := f.lang == "go" && strings.HasPrefix(trim, "func ") && strings.HasSuffix(trim, "{")
		jsFunc := f.lang == "javascript" && jsFuncHeader.MatchString(trim) && !jsNotFunc.MatchString(trim)
		if !goFunc && !jsFunc {
			return 0, 0, false
		}
		for k := i + 1; k < len(lines) && k < i+60; k++ {
			l := f.text[lines[k].start:lines[k].end]
			if strings.HasPrefix(l, indent+"}") {
				last = k - 1
				break
			}
			if strings.TrimSpace(l) != "" && lines[k].startsCode && !strings.HasPrefix(l, indent) {
				return 0, 0, false
			}
		}
	case "python":
		if !pyFuncHeader.MatchString(header) {
			return 0, 0, false
		}
		for k := i + 1; k < len(lines) && k < i+60; k++ {
			l := f.text[lines[k].start:lines[k].end]
			if strings.TrimSpace(l) == "" || !lines[k].startsCode {
				if !lines[k].startsCode {
					last = k
				}
				continue
			}
			if len(l)-len(strings.TrimLeft(l, " \t")) <= len(indent) {
				break
			}
			last = k
		}
	default:
		return 0, 0, false
	}
	if last < i+1 {
		return 0, 0, false
	}
	return lines[i+1].start + len(firstIndent), lines[last].end, true
}
