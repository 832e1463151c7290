package actions

import (
	"errors"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/mimi-lsp/mimi-lsp/internal/testenv/golden"
)

var update = flag.Bool("update", false, "rewrite golden files with the current output")

var (
	section = golden.Section
	options = golden.Options
)

// showIndent makes leading whitespace visible in golden files: a tab is →, a space ·.
func showIndent(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		ind := indentOf(l)
		lines[i] = strings.NewReplacer("\t", "→", " ", "·").Replace(ind) + l[len(ind):]
	}
	return strings.Join(lines, "\n")
}

func readIndent(s string) string { return strings.NewReplacer("→", "\t", "·", " ").Replace(s) }

// TestAnswerGolden: testdata/answers/*.txtar hold recorded model answers (fences, prose,
// several blocks, thinking, whole files, refusals, cut answers) and the code taken from them,
// leading whitespace shown as → (tab) and · (space). go test ./actions -update rewrites them.
func TestAnswerGolden(t *testing.T) {
	golden.Each(t, "testdata/answers/*.txtar", 10, func(t *testing.T, file string, a *txtar.Archive) {
		o := options(a)
		answer, ok := section(a, "answer")
		if !ok {
			t.Fatal("no answer section")
		}
		if o["crlf"] == "true" {
			answer = strings.ReplaceAll(answer, "\n", "\r\n")
		}
		code, err := ExtractCode(answer, Want{Language: o["language"], Name: o["name"], Indent: readIndent(o["indent"]), Unit: readIndent(o["unit"]), Cut: o["cut"] == "true"})
		got := showIndent(code)
		if err != nil {
			got = "error: " + err.Error()
		}
		golden.Check(t, file, a, got, *update)
	})
}

func TestExtractCodeErrors(t *testing.T) {
	tests := []struct {
		answer string
		w      Want
		is     error
	}{
		{"", Want{Language: "go"}, ErrNoCode},
		{"<think>only thoughts</think>", Want{Language: "go"}, ErrNoCode},
		{"Sorry, I cannot do that.", Want{Language: "go"}, ErrRefused},
		{"```go\nfunc F() {\n", Want{Language: "go", Cut: true}, ErrCut},
		{"```text\nsome output\n```\n", Want{Language: "go"}, nil}, // a lone text block is still taken
	}
	for _, tt := range tests {
		_, err := ExtractCode(tt.answer, tt.w)
		if !errors.Is(err, tt.is) && !(tt.is == nil && err == nil) {
			t.Errorf("ExtractCode(%q) = %v, want %v", tt.answer, err, tt.is)
		}
	}
}

// FuzzExtractCode: no answer panics the parser, and code taken is never thinking text.
func FuzzExtractCode(f *testing.F) {
	files, _ := filepath.Glob("testdata/answers/*.txtar")
	for _, file := range files {
		a, err := txtar.ParseFile(file)
		if err != nil {
			f.Fatal(err)
		}
		s, _ := section(a, "answer")
		f.Add(s, "go", "F", "\t")
	}
	f.Fuzz(func(t *testing.T, answer, lang, name, indent string) {
		code, err := ExtractCode(answer, Want{Language: lang, Name: name, Indent: indent})
		if err == nil && strings.Contains(strings.ToLower(code), "</think>") {
			t.Fatalf("thinking text in the code: %q", code)
		}
	})
}
