package completion

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/mimi-lsp/mimi-lsp/internal/codescan"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/golden"
)

var update = flag.Bool("update", false, "rewrite golden files with the current output")

// Cursor marks the cursor in golden documents.
const Cursor = "‸"

// zwspMark shows the invisible neutraliser (escape.go) in golden files: "{ZWSP}" in a model
// answer is read as U+200B, and U+200B in a prompt or answer is written as "{ZWSP}", so a
// reviewer sees where text was neutralised.
const zwspMark = "{ZWSP}"

func showZWSP(s string) string { return strings.ReplaceAll(s, neutral, zwspMark) }

var (
	section    = golden.Section
	setSection = golden.SetSection
	options    = golden.Options
)

func splitCursor(t *testing.T, doc string) (string, int) {
	t.Helper()
	i := strings.Index(doc, Cursor)
	if i < 0 || strings.Count(doc, Cursor) != 1 {
		t.Fatalf("document needs exactly one cursor marker %q", Cursor)
	}
	return doc[:i] + doc[i+len(Cursor):], i
}

func runGolden(t *testing.T, dir string, fn func(t *testing.T, a *txtar.Archive) map[string]string) {
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.txtar"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files in testdata/%s (%v)", dir, err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			a, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got := fn(t, a)
			changed := false
			for name, val := range got {
				want, ok := section(a, name)
				if *update {
					if !ok || want != val {
						setSection(a, name, val)
						changed = true
					}
					continue
				}
				if !ok {
					t.Errorf("missing section %q (run go test -update); got:\n%s", name, val)
				} else if want != val {
					t.Errorf("section %q:\n--- got ---\n%s\n--- want ---\n%s", name, strconv.Quote(val), strconv.Quote(want))
				}
			}
			if changed {
				if err := os.WriteFile(file, txtar.Format(a), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestPostprocessGolden runs the whole pipeline on each case: doc (with cursor), model (raw
// answer), want (final text) and changed-by (the filters that changed it, in order).
func TestPostprocessGolden(t *testing.T) {
	runGolden(t, "postprocess", func(t *testing.T, a *txtar.Archive) map[string]string {
		doc, ok := section(a, "doc")
		if !ok {
			t.Fatal("missing doc section")
		}
		raw, _ := section(a, "model")
		raw = strings.ReplaceAll(raw, zwspMark, neutral)
		opts := options(a)
		text, cur := splitCursor(t, doc)
		tmpl := templates["qwen"]
		if n, ok := opts["template"]; ok {
			tmpl = templates[n]
		}
		multi := opts["multiLine"] != "false"
		maxLines := 12
		if v, ok := opts["maxLines"]; ok {
			maxLines, _ = strconv.Atoi(v)
		}
		c := newPPContext(text[:cur], text[cur:], tmpl, multi, maxLines, codescan.For(opts["language"], ""))
		var trace []string
		got := postprocess(raw, c, &trace)
		return map[string]string{"want": showZWSP(got), "changed-by": strings.Join(trace, "\n")}
	})
}

// TestPromptGolden renders each case's doc with its template and pins the prompt.
func TestPromptGolden(t *testing.T) {
	runGolden(t, "prompts", func(t *testing.T, a *txtar.Archive) map[string]string {
		doc, _ := section(a, "doc")
		opts := options(a)
		text, cur := splitCursor(t, doc)
		var snippets []Snippet
		for _, f := range a.Files {
			if p, ok := strings.CutPrefix(f.Name, "snippet "); ok {
				snippets = append(snippets, Snippet{Path: p, Text: strings.TrimSuffix(string(f.Data), "\n")})
			}
		}
		tmpl, _, err := TemplateFor(opts["template"], opts["model"], len(snippets) > 0)
		if err != nil {
			t.Fatal(err)
		}
		pt, st := 1536, 512
		if v, ok := opts["prefixTokens"]; ok {
			pt, _ = strconv.Atoi(v)
		}
		if v, ok := opts["suffixTokens"]; ok {
			st, _ = strconv.Atoi(v)
		}
		prefix, suffix := Windows(text, cur, pt, st)
		in := PromptInput{Prefix: prefix, Suffix: suffix, Path: opts["path"], Repo: opts["repo"], Language: opts["language"], Snippets: snippets}
		p := tmpl.Render(in)
		checkStructure(t, tmpl, in) // whatever the case's text, the markers are the template's
		return map[string]string{"prompt": showZWSP(p), "template-used": tmpl.Name, "stop": strings.Join(tmpl.Stop, " ")}
	})
}
