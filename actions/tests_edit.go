package actions

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"strconv"
	"strings"

	"golang.org/x/tools/go/ast/astutil"
)

// testsEdit makes the test file: the answer as a new file, or appended to the existing one
// (Go: the answer's imports merged into the file's, its package clause dropped).
func testsEdit(in PromptInput, answer string, cut bool, res Result) (Result, error) {
	r := in.Request
	code, _, err := extractCode(answer, Want{Language: r.Language, Cut: cut})
	if err != nil {
		return res, err
	}
	code = RestoreTokens(code)
	res.TestFile = in.TestFile
	if in.TestText == "" {
		if r.Language == "go" && !hasPackageClause(code) {
			code = "package " + goPackage(r.Text) + "\n\n" + code
		}
		res.TestNew = code + "\n"
		return res, nil
	}
	var after string
	if r.Language == "go" {
		if after, err = appendGoTests(in.TestText, code); err != nil {
			return res, err
		}
	} else {
		after = strings.TrimRight(in.TestText, "\n") + "\n\n" + code + "\n"
	}
	res.TestEdits = MinimalEdits(in.TestText, 0, len(in.TestText), after)
	return res, nil
}

func hasPackageClause(code string) bool {
	for _, l := range strings.Split(code, "\n") {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "//") {
			continue
		}
		return strings.HasPrefix(t, "package ")
	}
	return false
}

// goPackage is the package name of Go source ("main" when it has none).
func goPackage(src string) string {
	f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.PackageClauseOnly)
	if err != nil || f.Name == nil {
		return "main"
	}
	return f.Name.Name
}

// appendGoTests appends the declarations of answer (a test file or just its functions) to
// existing, adding the imports they need that existing lacks.
func appendGoTests(existing, answer string) (string, error) {
	src := answer
	if !hasPackageClause(answer) {
		src = "package p\n\n" + answer
	}
	afs := token.NewFileSet()
	af, err := parser.ParseFile(afs, "", src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return "", fmt.Errorf("%w: the tests do not parse: %v", ErrNoCode, err)
	}
	start := afs.Position(af.Name.End()).Offset
	for _, d := range af.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.IMPORT {
			start = afs.Position(g.End()).Offset
		}
	}
	decls := strings.TrimSpace(src[start:])
	if decls == "" {
		return "", fmt.Errorf("%w: no test functions in the answer", ErrNoCode)
	}
	efs := token.NewFileSet()
	ef, err := parser.ParseFile(efs, "", existing, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil { // the test file does not parse: append, the user sees the imports to add
		return strings.TrimRight(existing, "\n") + "\n\n" + decls + "\n", nil
	}
	head := existing
	if addImports(efs, ef, af) {
		var b bytes.Buffer
		if err := format.Node(&b, efs, ef); err != nil {
			return "", err
		}
		head = b.String()
	}
	return strings.TrimRight(head, "\n") + "\n\n" + decls + "\n", nil
}

// mergeGoImports adds to src (a Go file) the imports of answer (the model's block: a whole
// file, or declarations after import lines) that src lacks, rewriting only its import
// declarations; src comes back unchanged when either does not parse or nothing is missing.
func mergeGoImports(src, answer string) string {
	a := answer
	if !hasPackageClause(a) {
		a = "package p\n\n" + a
	}
	af, err := parser.ParseFile(token.NewFileSet(), "", a, parser.ImportsOnly)
	if err != nil || len(af.Imports) == 0 {
		return src
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return src
	}
	start, end := -1, -1 // the byte range of src's import declarations
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.IMPORT {
			if start < 0 {
				start = fset.Position(g.Pos()).Offset
			}
			end = fset.Position(g.End()).Offset
		}
	}
	if !addImports(fset, f, af) {
		return src
	}
	var b bytes.Buffer
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.IMPORT {
			if b.Len() > 0 {
				b.WriteString("\n\n")
			}
			if err := format.Node(&b, fset, g); err != nil {
				return src
			}
		}
	}
	if start < 0 { // no imports before: after the package clause
		at := fset.Position(f.Name.End()).Offset
		return src[:at] + "\n\n" + b.String() + src[at:]
	}
	return src[:start] + b.String() + src[end:]
}

// addImports adds to f the imports of from that f lacks; false when there were none.
func addImports(fset *token.FileSet, f, from *ast.File) bool {
	added := false
	for _, imp := range from.Imports {
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			continue
		}
		name := ""
		if imp.Name != nil {
			name = imp.Name.Name
		}
		added = astutil.AddNamedImport(fset, f, name, p) || added
	}
	return added
}
