package completion

import "testing"

func TestOpenBrackets(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"func f() {\n\tif x {\n\t\t", "}}"},
		{"x := f(a, []int{1, 2", ")}"},
		{"\t}\n}\n\nfunc g() {\n\t", "}"}, // the window starts inside a block: its closers are skipped
		{"func f() {\n\t// a { here\n\t", "}"},
		{"func f() {\n\t/* { ( [\n\t*/ x(", "})"},
		{"s := \"{\\\"(\" + '{' + `[`\n", ""},
		{"f(`a\n)b`, {", ")}"}, // a raw string over two lines
		{"f(]", ""}, // mismatched: nothing is known
		{"", ""},
	} {
		if got := string(openBrackets(tc.text)); got != tc.want {
			t.Errorf("openBrackets(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}
