package actions

import (
	"go/format"
	"strings"

	"github.com/mimi-lsp/mimi-lsp/internal/codescan"
)

// lineClass is how re-indentation treats one line of an answer.
type lineClass uint8

const (
	// shifted: code (and comments): the common indentation off, the target's on.
	shifted lineClass = iota
	// content: a line inside a multi-line string, indented deeper than the code (a docstring's
	// lines): it moves with the code, and changes level only when it can.
	content
	// kept: a line that starts no statement (inside a string, a comment, inside brackets) at
	// the code's indentation or left of it (a column-0 SQL query or usage text, code commented
	// out at column 0), unless it closes a bracket there or is a comment before the code (a
	// doc comment): kept byte for byte.
	kept
)

// reindent strips the code's common indentation and puts w.Indent before its lines; Go goes
// through gofmt first (tabs, alignment) when it parses. The common indentation is that of the
// lines that start statements: a line inside a multi-line string, a comment, or a line inside
// brackets says nothing of the code's indentation (Python allows them at column 0). Such a
// line moves with the code only when it is indented deeper than the code, as a docstring's
// lines are (a string's lines move together: see stringMoves); at the code's indentation or
// left of it, it stays as it is, byte for byte. So an answer that is the target as it was, at
// its indentation or at column 0, gives it back.
func reindent(code string, w Want) string {
	sy := codescan.For(w.Language, "")
	s := newLineScan(sy, code)
	lines := s.lines
	common, byStatements := commonIndent(s)
	class := make([]lineClass, len(lines))
	moves := stringMoves(s, common)
	first := len(lines) // the first statement: comments before it (a doc comment) move with it
	for i := range lines {
		if s.info[i].statement() {
			first = i
			break
		}
	}
	for i, l := range lines {
		li := s.info[i]
		switch {
		case li.start.InString() && moves[i] && deeper(l, common):
			class[i], lines[i] = content, l[len(common):]
		case li.start.InString():
			class[i] = kept
		case li.blank:
			lines[i] = ""
		case (li.statement() || !byStatements && !li.start.InString() || closer(li, l) || li.comment && i < first) && strings.HasPrefix(l, common):
			lines[i] = l[len(common):]
		case !deeper(l, common) && offside(w.Language):
			class[i] = kept
		case !deeper(l, common):
			// Where indentation is not syntax, a comment's or a bracket's lines at the code's
			// level or left of it move with the code (only strings keep their bytes).
			lines[i] = l[sharedPrefix(l, common):]
		default:
			lines[i] = l[len(common):]
		}
	}
	code = strings.Join(lines, "\n")
	formatted := false
	if w.Language == "go" {
		if b, err := format.Source([]byte(code)); err == nil {
			code, formatted = strings.TrimRight(string(b), "\n"), true
			class = stringClasses(newLineScan(sy, code)) // gofmt may join or split lines
		}
	}
	if !formatted && w.Unit != "" {
		code = relevel(newLineScan(sy, code), w.Unit, class)
	}
	if w.Indent == "" {
		return code
	}
	lines = strings.Split(code, "\n")
	for i, l := range lines {
		if l != "" && class[i] != kept {
			lines[i] = w.Indent + l
		}
	}
	return strings.Join(lines, "\n")
}

// offside reports whether indentation is syntax in the language (Python's off-side rule and
// its kin): there a line inside brackets or a comment at column 0 is kept where it is, since
// moving it could change what the code means or the round trip of a perfect answer.
func offside(lang string) bool {
	switch lang {
	case "python", "haskell", "nim", "coffeescript", "fsharp", "elm":
		return true
	}
	return false
}

// sharedPrefix is how many leading bytes l and ind share.
func sharedPrefix(l, ind string) int {
	n := 0
	for n < len(l) && n < len(ind) && l[n] == ind[n] {
		n++
	}
	return n
}

// commonIndent is the indentation the lines that start statements share (byStatements), or
// when none does (an answer of comments only) every line outside a string.
func commonIndent(s *lineScan) (common string, byStatements bool) {
	found := false
	for p, pass := range []func(lineInfo) bool{lineInfo.statement, func(li lineInfo) bool { return !li.blank && !li.start.InString() }} {
		for i, l := range s.lines {
			if !pass(s.info[i]) {
				continue
			}
			ind := indentOf(l)
			if !found {
				common, found = ind, true
			}
			for !strings.HasPrefix(ind, common) {
				common = common[:len(common)-1]
			}
		}
		if found {
			return common, p == 0
		}
	}
	return "", false
}

// closer: l continues a bracketed expression and starts by closing a bracket (the ")" or "):"
// that ends a signature over several lines, at the declaration's indentation).
func closer(li lineInfo, l string) bool {
	t := strings.TrimLeft(l, " \t")
	return li.joined && !li.inside() && t != "" && strings.IndexByte(")]}", t[0]) >= 0
}

// deeper: l is indented deeper than (and starting with) the indentation ind.
func deeper(l, ind string) bool {
	return strings.HasPrefix(l, ind) && len(indentOf(l)) > len(ind)
}

// stringMoves tells, for each line that starts inside a string, whether it moves with the
// code: the lines a string spans move together, when every one of them is indented deeper
// than the code (a docstring's); one at the code's indentation or left of it (a query written
// at column 0) means the string is laid out on its own, and none of its lines moves.
func stringMoves(s *lineScan, common string) []bool {
	moves := make([]bool, len(s.lines))
	for i := 0; i < len(s.lines); {
		if !s.info[i].start.InString() {
			i++
			continue
		}
		j, ok := i, true
		for ; j < len(s.lines) && s.info[j].start.InString(); j++ {
			ok = ok && (s.info[j].blank || deeper(s.lines[j], common))
		}
		for k := i; k < j; k++ {
			moves[k] = ok
		}
		i = j
	}
	return moves
}

// stringClasses classes the lines of formatted code: a string's lines move as content unless
// the string has a line at column 0 (see stringMoves); other lines are code.
func stringClasses(s *lineScan) []lineClass {
	class := make([]lineClass, len(s.lines))
	moves := stringMoves(s, "")
	for i, l := range s.lines {
		if s.info[i].start.InString() {
			class[i] = kept
			if moves[i] && deeper(l, "") {
				class[i] = content
			}
		}
	}
	return class
}

// relevel re-expresses space indentation in unit: the answer's own unit is the smallest
// indentation of its statements; answers with tabs, or code lines whose indentation is not a
// multiple of it, stay as they are. A string's lines change level only when theirs is a
// multiple of the unit; kept lines never change.
func relevel(s *lineScan, unit string, class []lineClass) string {
	lines := s.lines
	u := 0
	for i, l := range lines {
		if class[i] != shifted {
			continue
		}
		ind := indentOf(l)
		if strings.Contains(ind, "\t") {
			return strings.Join(lines, "\n")
		}
		if n := len(ind); n > 0 && (u == 0 || n < u) && s.info[i].statement() {
			u = n
		}
	}
	if u == 0 || unit == strings.Repeat(" ", u) {
		return strings.Join(lines, "\n")
	}
	for i, l := range lines {
		if class[i] == shifted && len(indentOf(l))%u != 0 {
			return strings.Join(lines, "\n")
		}
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		ind := indentOf(l)
		out[i] = l
		if class[i] == kept || class[i] == content && (len(ind)%u != 0 || strings.Contains(ind, "\t")) {
			continue
		}
		out[i] = strings.Repeat(unit, len(ind)/u) + l[len(ind):]
	}
	return strings.Join(out, "\n")
}

// indentUnit guesses one level of a file's indentation: a tab, or the smallest run of leading
// spaces of a line that starts a statement ("" when there is none); a string's lines, comments
// and lines inside brackets (aligned, or at column 0) do not count.
func indentUnit(s *lineScan) string {
	best := 0
	for i, l := range s.lines {
		ind := indentOf(l)
		if ind == "" || !s.info[i].statement() {
			continue
		}
		if ind[0] == '\t' {
			return "\t"
		}
		if n := len(ind) - len(strings.TrimLeft(ind, " ")); n > 0 && (best == 0 || n < best) {
			best = n
		}
	}
	return strings.Repeat(" ", best)
}

func indentUnitOr(s *lineScan, def string) string {
	if u := indentUnit(s); u != "" {
		return u
	}
	return def
}
