package actions

import (
	"strings"
	"testing"
)

func titles(as []Action) string {
	var out []string
	for _, a := range as {
		out = append(out, string(a.ID)+": "+a.Title)
	}
	return strings.Join(out, "\n")
}

func TestCatalogue(t *testing.T) {
	const goDoc = "package p\n\nimport \"errors\"\n\n// Config is the configuration.\ntype Config struct {\n\tName string\n}\n\nfunc Load(path string) (*Config, error) {\n\t// TODO: read the file\n\treturn nil, errors.New(\"todo\")\n}\n\n// Save writes c.\nfunc (c *Config) Save() error {\n\treturn nil\n}\n"
	at := func(s string) int { return strings.Index(goDoc, s) }
	tests := []struct {
		name       string
		path       string
		start, end int
		diags      []Diagnostic
		want       string
	}{
		{"cursor in a stub without doc", "p/load.go", at("return nil, errors"), at("return nil, errors"), nil,
			"rewrite: AI: Rewrite Load\nimplement: AI: Implement Load\ndocument: AI: Add a doc comment to Load\ntests: AI: Generate tests for Load\nexplain: AI: Explain Load"},
		{"cursor in a documented method", "p/load.go", at("return nil\n}"), at("return nil\n}"), nil,
			"rewrite: AI: Rewrite Save\ntests: AI: Generate tests for Save\nexplain: AI: Explain Save"},
		{"a documented type", "p/load.go", at("Name string"), at("Name string"), nil,
			"rewrite: AI: Rewrite Config\nexplain: AI: Explain Config"},
		{"a selection", "p/load.go", at("// TODO"), at("return nil, errors"), nil,
			"rewrite: AI: Rewrite the selection\nexplain: AI: Explain the selection"},
		{"in a test file", "p/load_test.go", at("return nil\n}"), at("return nil\n}"), nil,
			"rewrite: AI: Rewrite Save\nexplain: AI: Explain Save"},
		{"between declarations, with a diagnostic", "p/load.go", at("\n\nfunc Load") + 1, at("\n\nfunc Load") + 1,
			[]Diagnostic{{Start: at("errors.New"), End: at("errors.New") + 6, Message: "undefined: errors\nmore detail"}},
			"fix: AI: Fix “undefined: errors”"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			as := Catalogue(Request{Text: goDoc, Language: "go", Path: tt.path, Start: tt.start, End: tt.end, Diagnostics: tt.diags})
			if got := titles(as); got != tt.want {
				t.Fatalf("catalogue:\n%s\nwant:\n%s", got, tt.want)
			}
			for _, a := range as {
				if a.Kind == "" || a.Start > a.End || a.End > len(goDoc) || a.Start > 0 && goDoc[a.Start-1] != '\n' {
					t.Errorf("%s: kind %q, range %d..%d not whole lines", a.ID, a.Kind, a.Start, a.End)
				}
			}
		})
	}
	// A fix rewrites the declaration around its diagnostic; a document action inserts before it.
	as := Catalogue(Request{Text: goDoc, Language: "go", Path: "p/load.go", Start: at("// TODO"), End: at("// TODO"),
		Diagnostics: []Diagnostic{{Start: at("errors.New"), End: at("errors.New") + 6, Message: "x"}}})
	for _, a := range as {
		switch a.ID {
		case Fix:
			if !strings.HasPrefix(goDoc[a.Start:a.End], "func Load(") || a.Diag != 0 {
				t.Errorf("fix targets %q", goDoc[a.Start:a.End])
			}
		case Document:
			if a.Start != a.End || a.Start != at("func Load") {
				t.Errorf("document inserts at %d, want %d", a.Start, at("func Load"))
			}
		}
	}
}

func TestCatalogueOtherLanguages(t *testing.T) {
	py := "class Shape:\n    def area(self):\n        raise NotImplementedError\n"
	as := Catalogue(Request{Text: py, Language: "python", Path: "shape.py", Start: strings.Index(py, "raise"), End: strings.Index(py, "raise")})
	if got := titles(as); got != "rewrite: AI: Rewrite area\nimplement: AI: Implement area\ndocument: AI: Add a doc comment to area\ntests: AI: Generate tests for area\nexplain: AI: Explain area" {
		t.Fatalf("python catalogue:\n%s", got)
	}
	if as := Catalogue(Request{Text: "", Language: "go", Start: 5, End: -3}); len(as) != 0 {
		t.Fatalf("empty document: %s", titles(as))
	}
}

// FuzzCatalogue: any document, language and range gives actions without panicking, each with
// a kind and a whole-line range inside the document, and their prompts build.
func FuzzCatalogue(f *testing.F) {
	f.Add("package p\n\nfunc F() {\n\t// TODO\n}\n", "go", 20, 20)
	f.Add("class A:\n    def f(self):\n        pass\n", "python", 30, 30)
	f.Add("function g() {\n  return 1;\n}\n", "javascript", 0, 40)
	f.Fuzz(func(t *testing.T, text, lang string, start, end int) {
		r := Request{Text: text, Language: lang, Path: "x/y.go", Start: start, End: end,
			Diagnostics: []Diagnostic{{Start: end, End: start, Message: "m"}}}
		for _, a := range Catalogue(r) {
			if a.Kind == "" || a.Start < 0 || a.Start > a.End || a.End > len(text) || a.Start > 0 && text[a.Start-1] != '\n' {
				t.Fatalf("%s: kind %q, range %d..%d of %d", a.ID, a.Kind, a.Start, a.End, len(text))
			}
			r.Start, r.End = max(0, min(r.Start, len(text))), max(0, min(r.End, len(text)))
			_ = Prompt(PromptInput{Action: a, Request: r, TestFile: "x/y_test.go"})
		}
	})
}

// TestDocumentOfferedOnlyWithoutDoc: a Python docstring counts as doc; decorators and Go
// directives do not.
func TestDocumentOfferedOnlyWithoutDoc(t *testing.T) {
	tests := []struct {
		lang, text string
		want       bool
	}{
		{"python", "def f():\n    \"\"\"Does f.\"\"\"\n    return 1‸\n", false},
		{"python", "@cache\ndef f():\n    return 1‸\n", true},
		{"go", "package p\n\n//go:noinline\nfunc F() int {\n\treturn 1‸\n}\n", true},
		{"go", "package p\n\n// F is one.\n//\n//go:noinline\nfunc F() int {\n\treturn 1‸\n}\n", false},
	}
	for _, tt := range tests {
		off := strings.Index(tt.text, "‸")
		text := tt.text[:off] + tt.text[off+len("‸"):]
		got := false
		for _, a := range Catalogue(Request{Text: text, Language: tt.lang, Path: "x", Start: off, End: off}) {
			got = got || a.ID == Document
		}
		if got != tt.want {
			t.Errorf("%s %q: document offered %t, want %t", tt.lang, tt.text, got, tt.want)
		}
	}
}
