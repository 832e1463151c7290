package embed

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
)

// Chunk kinds beyond the declaration kinds ("func", "method", "type", "const", "var").
const (
	KindLines  = "lines"  // a window of lines: other languages, gaps between declarations
	KindHeader = "header" // a Go file's package clause, imports and whatever precedes the first declaration
)

// gapAttach is the most lines a comment between two Go declarations may have to be attached
// to the declaration that follows (rather than becoming a chunk of its own).
const gapAttach = 3

// Chunks cuts a file's text into chunks along its structure, in order and without overlap;
// every non-blank line is in exactly one chunk, and no chunk has leading or trailing blank
// lines. Go files (go/parser) give one chunk per top-level function or method (doc comment
// included), per type, const or var declaration (a grouped declaration stays whole when it
// has at most 80 lines, else one chunk per spec), plus a header chunk (package clause and
// imports); comments between declarations go with the declaration that follows when short,
// else become line windows. Other files, and Go files that do not parse, are cut into line
// windows along blank lines and indentation. Anything over MaxChunkLines or MaxChunkBytes
// (a long function, say) is split further, each piece keeping the kind and name. Line
// numbers are 0-based; Text is exactly those lines of text, joined by "\n".
func Chunks(path, text string) []Chunk {
	return chunksWith(path, text, defaultChunkLimits())
}

func chunksWith(path, text string, lim chunkLimits) []Chunk {
	li := newChunkLines(text, lim)
	var spans []chunkSpan
	emit := func(sp chunkSpan) { spans = append(spans, sp) }
	if !strings.HasSuffix(path, ".go") || !goSpans(path, li, emit) {
		spans = spans[:0]
		li.windows(0, li.n()-1, KindLines, "", emit)
	}
	chunks := make([]Chunk, 0, len(spans))
	for _, sp := range spans {
		t := li.slice(sp.s, sp.e)
		chunks = append(chunks, Chunk{
			ID: ChunkID(t), Path: path, StartLine: sp.s, EndLine: sp.e, Offset: li.start[sp.s], Length: len(t),
			Kind: sp.kind, Name: sp.name, Text: t,
		})
	}
	return chunks
}

// goSpans emits a Go file's chunks; false (having emitted nothing) when it does not parse.
func goSpans(path string, li *chunkLines, emit func(chunkSpan)) bool {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, li.text, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return false
	}
	tf := fset.File(f.Package)
	if tf == nil {
		return false
	}
	// Raw positions: //line directives must not move chunks.
	line := func(p token.Pos) int { return tf.PositionFor(p, false).Line - 1 }
	var decls []chunkSpan
	add := func(sp chunkSpan) {
		if sp.s > sp.e {
			return
		}
		if n := len(decls); n > 0 && sp.s <= decls[n-1].e { // declarations sharing a line
			decls[n-1].e = max(decls[n-1].e, sp.e)
			decls[n-1].name = joinNames([]string{decls[n-1].name, sp.name})
			return
		}
		decls = append(decls, sp)
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			s := line(d.Pos())
			if d.Doc != nil {
				s = line(d.Doc.Pos())
			}
			kind, name := goFuncName(d)
			add(chunkSpan{s: s, e: line(d.End()), kind: kind, name: name})
		case *ast.GenDecl:
			if d.Tok != token.IMPORT {
				goGenSpans(d, li, line, add)
			}
		}
	}
	prev := -1
	for i, d := range decls {
		kind, name := KindLines, ""
		if i == 0 {
			kind, name = KindHeader, f.Name.Name
		}
		if g0, g1, ok := li.trim(prev+1, d.s-1); ok {
			if i > 0 && g1-g0 < gapAttach && li.fits(g0, d.e) {
				d.s = g0
			} else {
				li.windows(g0, g1, kind, name, emit)
			}
		}
		li.split(d, emit)
		prev = d.e
	}
	kind, name := KindLines, ""
	if len(decls) == 0 {
		kind, name = KindHeader, f.Name.Name
	}
	li.windows(prev+1, li.n()-1, kind, name, emit)
	return true
}

// goGenSpans adds a const, var or type declaration: whole when small, else spec by spec (the
// first spec takes the group's doc and opening line, the last its closing line, and comments
// between specs go with the spec that follows).
func goGenSpans(d *ast.GenDecl, li *chunkLines, line func(token.Pos) int, add func(chunkSpan)) {
	kind := d.Tok.String()
	s, e := line(d.Pos()), line(d.End())
	if d.Doc != nil {
		s = line(d.Doc.Pos())
	}
	if !d.Lparen.IsValid() || len(d.Specs) <= 1 || e-s+1 <= li.targetMax && li.size(s, e) <= li.maxBytes {
		names := make([]string, 0, len(d.Specs))
		for _, sp := range d.Specs {
			names = append(names, goSpecName(sp))
		}
		add(chunkSpan{s: s, e: e, kind: kind, name: joinNames(names)})
		return
	}
	prev := s - 1
	for i, sp := range d.Specs {
		se := line(sp.End())
		if i == len(d.Specs)-1 {
			se = e
		}
		add(chunkSpan{s: prev + 1, e: se, kind: kind, name: goSpecName(sp)})
		prev = max(prev, se)
	}
}

// goFuncName is "F" for a function, "T.M" for a method (pointer and type parameters dropped).
func goFuncName(d *ast.FuncDecl) (kind, name string) {
	if d.Recv == nil || len(d.Recv.List) == 0 {
		return "func", d.Name.Name
	}
	x := d.Recv.List[0].Type
	for {
		switch t := x.(type) {
		case *ast.StarExpr:
			x = t.X
		case *ast.ParenExpr:
			x = t.X
		case *ast.IndexExpr:
			x = t.X
		case *ast.IndexListExpr:
			x = t.X
		case *ast.Ident:
			return "method", t.Name + "." + d.Name.Name
		default:
			return "method", d.Name.Name
		}
	}
}

func goSpecName(sp ast.Spec) string {
	switch sp := sp.(type) {
	case *ast.TypeSpec:
		return sp.Name.Name
	case *ast.ValueSpec:
		names := make([]string, 0, len(sp.Names))
		for _, n := range sp.Names {
			names = append(names, n.Name)
		}
		return joinNames(names)
	}
	return ""
}

// joinNames lists declared names: at most five, then "…".
func joinNames(names []string) string {
	const most = 5
	out := make([]string, 0, most+1)
	more := false
	for _, n := range names {
		for p := range strings.SplitSeq(n, ", ") {
			switch {
			case p == "":
			case p == "…" || len(out) == most:
				more = true
			default:
				out = append(out, p)
			}
		}
	}
	if more {
		out = append(out, "…")
	}
	return strings.Join(out, ", ")
}
