package completion

import (
	"strings"
	"testing"
)

func TestOpenBrackets(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"func f() {\n\tif x {\n\t\t", "}}"},
		{"x := f(a, []int{1, 2", ")}"},
		{"\t}\n}\n\nfunc g() {\n\t", "}"}, // the window starts inside a block: its closers are skipped
		{"func f() {\n\t// a { here\n\t", "}"},
		{"func f() {\n\t/* { ( [\n\t*/ x(", "})"},
		{"s := \"{\\\"(\" + '{' + `[`\n", ""},
		{"f(`a\n)b`, {", ")}"}, // a raw string over two lines
		{"f(]", ""},            // mismatched: nothing is known
		{"", ""},
	} {
		if got := string(openBrackets(tc.text)); got != tc.want {
			t.Errorf("openBrackets(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

// FuzzBracketBalance: whatever the answer and the text around the cursor, the filter only
// cuts the answer (never adds or changes text), and the prefix scan yields closers only.
func FuzzBracketBalance(f *testing.F) {
	f.Add("\n\t}\n\treturn len(b)\n}\n", "func f(b []byte) int {\n\tif len(b) > 0 {\n\t\tb = b[1:]", "\n}\n")
	f.Add("y()\n\t}\n\treturn\n}", "func f() {\n\tif x {\n\t\t", "\n\t}\n}")
	f.Add("call(a]", "x := ", "")
	f.Add("\n\ty()\n\t}\n\tz()", "func f() {\n\t// {\n\ts := `\n{`\n\tx()", "\n}")
	f.Fuzz(func(t *testing.T, answer, prefix, suffix string) {
		c := newPPContext(prefix, suffix, templates["qwen"], true, 12)
		out := bracketBalance(answer, c)
		if !strings.HasPrefix(answer, out) {
			t.Fatalf("bracketBalance(%q) = %q: not a cut of the answer", answer, out)
		}
		if open := openBrackets(prefix); strings.Trim(string(open), ")]}") != "" {
			t.Fatalf("openBrackets(%q) = %q", prefix, open)
		}
	})
}
