package actions

import (
	"path"
	"regexp"
	"strings"
)

// ID names an action of the catalogue.
type ID string

// The catalogue.
const (
	Rewrite   ID = "rewrite"   // rewrite/simplify the selection or the enclosing declaration
	Document  ID = "document"  // add a doc comment to the enclosing declaration
	Fix       ID = "fix"       // fix one diagnostic of the request
	Implement ID = "implement" // implement the TODO / stub body of the enclosing function
	Tests     ID = "tests"     // generate tests for the enclosing function (in the test file)
	Explain   ID = "explain"   // explain the selection or the enclosing declaration (no edit)
)

// Kinds are the LSP code action kinds of the catalogue: hierarchical, so clients that ask
// for "refactor", "quickfix" or "source" (and users filtering on "…mimi") get them.
var Kinds = map[ID]string{
	Rewrite:   "refactor.rewrite.mimi.rewrite",
	Document:  "refactor.rewrite.mimi.document",
	Implement: "refactor.rewrite.mimi.implement",
	Fix:       "quickfix.mimi.fix",
	Tests:     "source.mimi.tests",
	Explain:   "source.mimi.explain",
}

// Diagnostic is one diagnostic the editor sent with the request, in byte offsets.
type Diagnostic struct {
	Start, End int
	Message    string
	Source     string
	Code       string
	Severity   int // 1 error … 4 hint (0: unknown)
}

// Request is a document and a range an action is asked for.
type Request struct {
	Text        string
	Language    string // LSP language id
	Path        string // workspace-relative, for prompts
	Start, End  int    // the selection in bytes (equal: a cursor)
	Diagnostics []Diagnostic
	// Scope keeps one workspace's (or team's) cached answers apart from another's.
	Scope string
}

// Action is one entry of the code-action menu. It is computed without the model; the model
// runs only when the user picks it (Engine.Resolve).
type Action struct {
	ID    ID
	Kind  string
	Title string
	// Start, End: the text the edit replaces (Document: the insertion point, Start == End;
	// Explain and Tests: the code explained or tested). Always whole lines.
	Start, End int
	Name       string // the declaration acted on ("" for a selection)
	Diag       int    // Fix: index into Request.Diagnostics; -1 otherwise
}

// maxFixes bounds the fix actions one request lists.
const maxFixes = 5

// maxFixDeclLines: a diagnostic in a longer declaration is fixed in the lines around it only.
const maxFixDeclLines = 80

// Catalogue lists the actions that apply to r, cheaply: a parse of the document at most, no
// model call. Titles say the action is AI-made ("AI: …").
func Catalogue(r Request) []Action {
	r.Start, r.End = max(0, min(r.Start, len(r.Text))), max(0, min(r.End, len(r.Text)))
	if r.End < r.Start {
		r.Start, r.End = r.End, r.Start
	}
	find := newDeclFinder(r.Text, r.Language) // one parse for the cursor and every diagnostic
	d, inDecl := find.at(r.Start)
	sel := strings.TrimSpace(r.Text[r.Start:r.End]) != ""
	var out []Action
	add := func(id ID, title string, s, e int, name string, diag int) {
		out = append(out, Action{ID: id, Kind: Kinds[id], Title: "AI: " + title, Start: s, End: e, Name: name, Diag: diag})
	}
	ls, le := lineStart(r.Text, r.Start), lineEnd(r.Text, max(r.Start, r.End-1))
	for i, dg := range r.Diagnostics {
		if i == maxFixes {
			break
		}
		s, e, name := fixRange(r.Text, find, dg)
		add(Fix, "Fix “"+shorten(dg.Message, 60)+"”", s, e, name, i)
	}
	switch {
	case sel:
		add(Rewrite, "Rewrite the selection", ls, le, "", -1)
	case inDecl:
		add(Rewrite, "Rewrite "+d.Name, d.Start, d.End, d.Name, -1)
	}
	if inDecl && !sel {
		if stub(r.Text[d.Start:d.End]) {
			add(Implement, "Implement "+d.Name, d.Start, d.End, d.Name, -1)
		}
		if !d.HasDoc() {
			add(Document, "Add a doc comment to "+d.Name, d.Start, d.Start, d.Name, -1)
		}
		if d.Kind != "type" && d.Kind != "class" && d.Kind != "struct" && d.Kind != "interface" && d.Kind != "enum" &&
			!IsTestFile(r.Path) && TestPath(r.Path, r.Language) != "" {
			add(Tests, "Generate tests for "+d.Name, d.Start, d.End, d.Name, -1)
		}
	}
	switch {
	case sel:
		add(Explain, "Explain the selection", ls, le, "", -1)
	case inDecl:
		add(Explain, "Explain "+d.Name, d.Start, d.End, d.Name, -1)
	}
	return out
}

// fixRange is what a fix rewrites: the declaration around the diagnostic (and its name) when
// it is short enough, else the diagnostic's lines and three on each side.
func fixRange(text string, find *declFinder, dg Diagnostic) (int, int, string) {
	s, e := max(0, min(dg.Start, len(text))), max(0, min(dg.End, len(text)))
	if d, ok := find.at(s); ok && strings.Count(text[d.Start:d.End], "\n") <= maxFixDeclLines && e <= d.End {
		return d.Start, d.End, d.Name
	}
	s, e = lineStart(text, s), lineEnd(text, max(s, e-1))
	for range 3 {
		if s > 0 {
			s = lineStart(text, s-1)
		}
		if e < len(text) {
			e = lineEnd(text, e)
		}
	}
	return s, e, ""
}

// stubRe finds what marks code left to write.
var stubRe = regexp.MustCompile(`(?i)\bTODO\b|\bFIXME\b|panic\("(not implemented|todo|unimplemented)|raise NotImplementedError|` +
	`\btodo!\(|\bunimplemented!\(|throw new Error\(["'](not implemented|todo)|^\s*pass\s*$`)

// stub reports whether a declaration has a body left to write: a TODO, a not-implemented
// panic or exception, or an empty body.
func stub(decl string) bool {
	if stubRe.MatchString(decl) {
		return true
	}
	for _, l := range strings.Split(decl, "\n") {
		if stubRe.MatchString(l) {
			return true
		}
	}
	i, j := strings.IndexByte(decl, '{'), strings.LastIndexByte(decl, '}')
	return i >= 0 && j > i && strings.TrimSpace(decl[i+1:j]) == "" && strings.Contains(decl[:i], "(")
}

// IsTestFile reports whether a path is a test file of its language.
func IsTestFile(p string) bool {
	b := path.Base(p)
	return strings.HasSuffix(b, "_test.go") || strings.HasPrefix(b, "test_") && strings.HasSuffix(b, ".py") ||
		strings.HasSuffix(b, "_test.py") || strings.Contains(b, ".test.") || strings.Contains(b, ".spec.")
}

// shorten is s's first line, at most n runes (with … when cut).
func shorten(s string, n int) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
