package actions

import (
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"strings"
)

// declarationOf reduces a whole-file answer (a package clause, or imports at the top) to the
// declaration of w.Name, with its doc comment; any other answer is kept whole (a helper the
// model added next to the function belongs to the rewrite).
func declarationOf(code string, w Want) string {
	if !wholeFile(code) {
		return code
	}
	if w.Language == "go" {
		if d, ok := goDeclaration(code, w.Name); ok {
			return d
		}
	}
	lines := strings.Split(code, "\n")
	i := declLine(lines, w.Name)
	if i < 0 {
		return code
	}
	start := i
	for start > 0 && isCommentOrDecorator(lines[start-1]) {
		start--
	}
	end := blockEnd(lines, i)
	return strings.Join(lines[start:end+1], "\n")
}

// wholeFile: the code opens with a package clause or imports.
func wholeFile(code string) bool {
	for _, l := range strings.Split(code, "\n") {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "//") || strings.HasPrefix(t, "#!") {
			continue
		}
		for _, p := range []string{"package ", "import ", "import(", "from ", "#include", "using ", "use ", "require("} {
			if strings.HasPrefix(t, p) {
				return true
			}
		}
		return strings.Contains(t, "= require(")
	}
	return false
}

// goDeclaration finds the top-level declaration of name in Go source (a file, or declarations
// without a package clause).
func goDeclaration(code, name string) (string, bool) {
	src := code
	if !strings.HasPrefix(strings.TrimSpace(code), "package ") && !strings.Contains(code, "\npackage ") {
		src = "package p\n" + code
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return "", false
	}
	cut := func(n ast.Node, doc *ast.CommentGroup) (string, bool) {
		s := fset.Position(n.Pos()).Offset
		if doc != nil {
			s = fset.Position(doc.Pos()).Offset
		}
		return src[s:fset.Position(n.End()).Offset], true
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Name.Name == name {
				return cut(d, d.Doc)
			}
		case *ast.GenDecl:
			for _, sp := range d.Specs {
				if ts, ok := sp.(*ast.TypeSpec); ok && ts.Name.Name == name {
					if len(d.Specs) == 1 {
						return cut(d, d.Doc)
					}
					return cut(sp, ts.Doc)
				}
			}
		}
	}
	return "", false
}

func isCommentOrDecorator(l string) bool {
	t := strings.TrimSpace(l)
	for _, p := range []string{"//", "#", "@", "/*", "*", "///", "--"} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}

// blockEnd is the last line of the block that line i opens (see blockBounds).
func blockEnd(lines []string, i int) int {
	_, end := blockBounds(lines, i)
	return end
}

// blockBounds finds the block a declaration on line i opens: header is the line its body
// starts after (the signature may span lines: brackets are balanced first), end its last line.
// A '{' in the header makes it brace-balanced; a header ending in ':' (Python) ends the block
// where the indentation returns to the declaration's.
func blockBounds(lines []string, i int) (header, end int) {
	depth, braces, opened := 0, 0, false
	header = -1
	for j := i; j < len(lines) && j <= i+40; j++ {
		for _, c := range lines[j] {
			switch c {
			case '(', '[':
				depth++
			case ')', ']':
				depth--
			case '{':
				if !opened {
					header = j
				}
				braces++
				opened = true
			case '}':
				braces--
			}
		}
		if opened {
			break
		}
		if depth <= 0 && strings.HasSuffix(strings.TrimRight(lines[j], " \t\r"), ":") {
			header = j
			break
		}
	}
	if opened {
		for j := header; j < len(lines); j++ {
			if j > header {
				for _, c := range lines[j] {
					switch c {
					case '{':
						braces++
					case '}':
						braces--
					}
				}
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
	ind := indentOf(lines[i])
	end = header
	for j := header + 1; j < len(lines); j++ {
		if strings.TrimSpace(lines[j]) == "" {
			continue
		}
		if len(indentOf(lines[j])) <= len(ind) {
			break
		}
		end = j
	}
	return header, end
}

func indentOf(l string) string { return l[:len(l)-len(strings.TrimLeft(l, " \t"))] }

// reindent strips the code's common indentation and puts w.Indent before every non-blank
// line; Go goes through gofmt first (tabs, alignment) when it parses.
func reindent(code string, w Want) string {
	lines := strings.Split(code, "\n")
	common := ""
	first := true
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		ind := indentOf(l)
		if first {
			common, first = ind, false
			continue
		}
		for !strings.HasPrefix(ind, common) {
			common = common[:len(common)-1]
		}
	}
	for i, l := range lines {
		if strings.TrimSpace(l) == "" {
			lines[i] = ""
			continue
		}
		lines[i] = l[len(common):]
	}
	code = strings.Join(lines, "\n")
	formatted := false
	if w.Language == "go" {
		if b, err := format.Source([]byte(code)); err == nil {
			code, formatted = strings.TrimRight(string(b), "\n"), true
		}
	}
	if !formatted && w.Unit != "" {
		code = relevel(code, w.Unit)
	}
	if w.Indent == "" {
		return code
	}
	lines = strings.Split(code, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = w.Indent + l
		}
	}
	return strings.Join(lines, "\n")
}

// relevel re-expresses space indentation in unit: the answer's own unit is its smallest
// indentation; answers with tabs, or indentation that is not a multiple of it, stay as they are.
func relevel(code, unit string) string {
	lines := strings.Split(code, "\n")
	u := 0
	for _, l := range lines {
		ind := indentOf(l)
		if strings.Contains(ind, "\t") {
			return code
		}
		if n := len(ind); n > 0 && (u == 0 || n < u) && strings.TrimSpace(l) != "" {
			u = n
		}
	}
	if u == 0 || unit == strings.Repeat(" ", u) {
		return code
	}
	for _, l := range lines {
		if len(indentOf(l))%u != 0 {
			return code
		}
	}
	for i, l := range lines {
		n := len(indentOf(l))
		lines[i] = strings.Repeat(unit, n/u) + l[n:]
	}
	return strings.Join(lines, "\n")
}
