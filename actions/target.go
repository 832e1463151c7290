package actions

import (
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"strings"

	"github.com/mimi-lsp/mimi-lsp/internal/codescan"
)

// Decl is a declaration of a document that an action targets, in byte offsets of full lines.
type Decl struct {
	Kind      string // "func", "method", "type", "class", "def", "function", …
	Name      string
	Start     int    // start of the declaration's first line (after its doc comment)
	End       int    // end of its last line, after the line break when there is one
	DocStart  int    // start of its doc comment (== Start when it has none)
	Docstring bool   // its body opens with a docstring (Python)
	BodyStart int    // just after the body's opening brace or colon line (0 when unknown)
	Indent    string // leading whitespace of its first line
}

// HasDoc reports whether the declaration has a doc comment.
func (d Decl) HasDoc() bool { return d.DocStart < d.Start || d.Docstring }

// lineStart is the offset of the start of the line holding off.
func lineStart(text string, off int) int { return strings.LastIndexByte(text[:off], '\n') + 1 }

// lineEnd is the offset just after the line break of the line holding off (len(text) at the end).
func lineEnd(text string, off int) int {
	if i := strings.IndexByte(text[off:], '\n'); i >= 0 {
		return off + i + 1
	}
	return len(text)
}

// Enclosing finds the innermost function, method or type declaration around off (Go through
// go/parser, other languages by their declaration keywords and braces or indentation).
func Enclosing(text, lang string, off int) (Decl, bool) {
	return newDeclFinder(text, lang).at(off)
}

// declFinder answers Enclosing for one document, parsing it (Go) once for many offsets.
type declFinder struct {
	text, lang string
	goDecls    []Decl // every top-level function, method and type of a Go file that parses
	goParsed   bool
	scan       *lineScan // the lines of any other file, scanned once for many offsets
}

func newDeclFinder(text, lang string) *declFinder {
	f := &declFinder{text: text, lang: lang}
	if lang == "go" {
		f.goDecls, f.goParsed = goDecls(text)
	}
	return f
}

func (f *declFinder) at(off int) (Decl, bool) {
	off = max(0, min(off, len(f.text)))
	if f.goParsed {
		for _, d := range f.goDecls {
			if off >= d.Start && off < d.End {
				return d, true
			}
		}
		return Decl{}, false
	}
	return lineEnclosing(f.lines(), f.text, off)
}

// lines is the document's lines as internal/codescan sees them (scanned once).
func (f *declFinder) lines() *lineScan {
	if f.scan == nil {
		f.scan = newLineScan(codescan.For(f.lang, ""), f.text)
	}
	return f.scan
}

// goDecls lists a Go file's top-level functions, methods and types (a grouped type
// declaration: the group when it has one spec, else each spec); false when it does not parse.
func goDecls(text string) ([]Decl, bool) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", text, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, false
	}
	pos := func(p token.Pos) int { return fset.Position(p).Offset }
	mk := func(kind, name string, n ast.Node, doc *ast.CommentGroup) Decl {
		d := Decl{Kind: kind, Name: name, Start: lineStart(text, pos(n.Pos())), End: lineEnd(text, max(pos(n.End())-1, 0))}
		d.DocStart = d.Start
		if doc != nil && strings.TrimSpace(doc.Text()) != "" { // directives (//go:…) are no doc
			d.DocStart = lineStart(text, pos(doc.Pos()))
		}
		d.Indent = indentOf(text[d.Start:lineEnd(text, d.Start)])
		return d
	}
	var out []Decl
	for _, decl := range f.Decls {
		switch x := decl.(type) {
		case *ast.FuncDecl:
			kind, name := goFuncKind(x)
			d := mk(kind, name, x, x.Doc)
			if x.Body != nil {
				d.BodyStart = pos(x.Body.Lbrace) + 1
			}
			out = append(out, d)
		case *ast.GenDecl:
			for _, sp := range x.Specs {
				ts, isType := sp.(*ast.TypeSpec)
				if !isType {
					continue
				}
				if len(x.Specs) == 1 {
					out = append(out, mk("type", ts.Name.Name, x, x.Doc))
				} else {
					out = append(out, mk("type", ts.Name.Name, ts, ts.Doc))
				}
			}
		}
	}
	return out, true
}

func goFuncKind(d *ast.FuncDecl) (kind, name string) {
	if d.Recv == nil {
		return "func", d.Name.Name
	}
	return "method", d.Name.Name
}

// declRe matches a line that opens a declaration in the common languages, capturing the
// keyword and the name.
var declRe = regexp.MustCompile(`^\s*(?:export\s+)?(?:default\s+)?(?:async\s+)?(?:pub(?:\([\w:]+\))?\s+)?` +
	`(?:(?:public|private|protected|static|final|abstract|override|virtual)\s+)*` +
	`(function|func|def|class|fn|struct|interface|enum|impl|trait|module)\b\s*(?:\([^)]*\)\s*)?\*?\s*([A-Za-z_$][\w$]*)`)

// methodRe matches a method of a class body without a keyword (TypeScript, JavaScript, Java,
// C#: "  async load(path: string): Promise<void> {"), and arrowRe a function bound to a name
// ("export const load = async (p: string) => {").
var (
	methodRe = regexp.MustCompile(`^\s+(?:(?:public|private|protected|static|async|override|readonly|final|abstract|get|set)\s+)*` +
		`(?:[\w<>\[\],.?]+\s+)?([A-Za-z_$][\w$]*)\s*(?:<[^>]*>)?\([^;]*$`)
	arrowRe = regexp.MustCompile(`^\s*(?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=\s*(?:async\s+)?` +
		`(?:function\b|\([^)]*\)?|[A-Za-z_$][\w$]*\s*=>)`)
	notMethod = map[string]bool{"if": true, "for": true, "while": true, "switch": true, "catch": true, "return": true,
		"function": true, "new": true, "else": true, "do": true, "try": true, "with": true, "await": true, "typeof": true,
		"const": true, "let": true, "var": true, "throw": true, "yield": true, "case": true, "delete": true}
)

// declAt reports whether line declares something, and its kind and name.
func declAt(line string) (kind, name string, ok bool) {
	if m := declRe.FindStringSubmatch(line); m != nil {
		return m[1], m[2], true
	}
	if m := arrowRe.FindStringSubmatch(line); m != nil {
		return "function", m[1], true
	}
	if m := methodRe.FindStringSubmatch(line); m != nil && !notMethod[m[1]] {
		if f := strings.Fields(line); len(f) > 0 && !notMethod[strings.SplitN(f[0], "(", 2)[0]] {
			return "method", m[1], true
		}
	}
	return "", "", false
}

// lineEnclosing finds the nearest declaration line at or above off whose block contains off
// (a declaration inside a string or comment, as in a docstring's example, is none).
func lineEnclosing(s *lineScan, text string, off int) (Decl, bool) {
	lines := s.lines
	starts := make([]int, len(lines))
	o := 0
	for i, l := range lines {
		starts[i] = o
		o += len(l) + 1
	}
	cur := strings.Count(text[:off], "\n")
	for i := min(cur, len(lines)-1); i >= 0 && cur-i < 2000; i-- {
		kind, name, ok := declAt(lines[i])
		if !ok || s.info[i].inside() {
			continue
		}
		header, end := s.blockBounds(i)
		if end < cur || kind == "method" && header == i && !strings.Contains(lines[i], "{") {
			continue // ended before the cursor (or a call statement, not a method): look further up
		}
		d := Decl{Kind: kind, Name: name, Start: starts[i], End: min(len(text), starts[end]+len(lines[end])+1), Indent: indentOf(lines[i])}
		d.DocStart = d.Start
		for j := i - 1; j >= 0 && isCommentOrDecorator(lines[j]) && indentOf(lines[j]) == d.Indent; j-- {
			if !strings.HasPrefix(strings.TrimSpace(lines[j]), "@") { // decorators and annotations are no doc
				d.DocStart = starts[j]
			}
		}
		d.BodyStart = starts[header] + len(strings.TrimRight(lines[header], " \t\r"))
		if strings.HasSuffix(strings.TrimRight(lines[header], " \t\r"), ":") {
			for j := header + 1; j <= end; j++ {
				if t := strings.TrimSpace(lines[j]); t != "" {
					d.Docstring = strings.HasPrefix(t, `"""`) || strings.HasPrefix(t, "'''") || strings.HasPrefix(t, `r"""`)
					break
				}
			}
		}
		return d, true
	}
	return Decl{}, false
}
