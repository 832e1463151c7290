package actions

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strings"

	"github.com/mimi-lsp/mimi-lsp/internal/codescan"
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
	s := newLineScan(codescan.For(w.Language, ""), code)
	lines := s.lines
	i := declLine(lines, w.Name)
	if i < 0 {
		return code
	}
	start := i
	for start > 0 && isCommentOrDecorator(lines[start-1]) {
		start--
	}
	end := s.blockEnd(i)
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

func indentOf(l string) string { return l[:len(l)-len(strings.TrimLeft(l, " \t"))] }
