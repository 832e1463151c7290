package actions

import (
	"testing"

	"github.com/mimi-lsp/mimi-lsp/internal/codescan"
)

// TestReindentStrings: the lines of a multi-line string are content. A string laid out at
// column 0 (a JavaScript template, a Go raw string) keeps every byte whether the answer comes
// at the target's indentation or at column 0; a docstring's lines move (and change level)
// with the code.
func TestReindentStrings(t *testing.T) {
	const jsAt2 = "  render() {\n    return `\n<p>\n  ${this.x}\n</p>`;\n  }"
	tests := []struct {
		name, code string
		w          Want
		want       string
	}{
		{"template as it is", jsAt2, Want{Language: "javascript", Indent: "  ", Unit: "  "}, jsAt2},
		{"template at column 0", "render() {\n  return `\n<p>\n  ${this.x}\n</p>`;\n}", Want{Language: "javascript", Indent: "  ", Unit: "  "}, jsAt2},
		{"go raw string", "func F() string {\n\treturn `\nline\n\tindented`\n}", Want{Language: "go", Indent: ""}, "func F() string {\n\treturn `\nline\n\tindented`\n}"},
		{"js block comment at column 0", "/*\nRenders the list.\n*/\nrender() {\n  return 1;\n}", Want{Language: "javascript", Indent: "    ", Unit: "  "},
			"    /*\n    Renders the list.\n    */\n    render() {\n      return 1;\n    }"},
		{"java array at column 0", "int[] xs = {\n1,\n2,\n};", Want{Language: "java", Indent: "    ", Unit: "    "}, "    int[] xs = {\n    1,\n    2,\n    };"},
		{"docstring at two spaces into four", "def f():\n  \"\"\"Sum.\n\n  More.\n  \"\"\"\n  return 1", Want{Language: "python", Indent: "    ", Unit: "    "},
			"    def f():\n        \"\"\"Sum.\n\n        More.\n        \"\"\"\n        return 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := reindent(tt.code, tt.w); got != tt.want {
				t.Fatalf("reindent:\n%s\nwant:\n%s", showIndent(got), showIndent(tt.want))
			}
		})
	}
}

// TestIndentUnit: a file's unit is its statements' smallest indentation; a docstring's line at
// one space, a continuation aligned at three or at column 0 do not count.
func TestIndentUnit(t *testing.T) {
	src := "\"\"\"Module.\n\n a) one\n\"\"\"\n\ndef f(a,\n      b):\n    return (a +\n b)\n"
	if got := indentUnit(newLineScan(codescan.For("python", ""), src)); got != "    " {
		t.Fatalf("indentUnit = %q, want four spaces", got)
	}
}
