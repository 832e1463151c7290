package completion

import (
	"context"
	"strings"
	"testing"

	"github.com/mimi-lsp/mimi-lsp/internal/codescan"
)

func TestOpenBrackets(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"func f() {\n\tif x {\n\t\t", "}}"},
		{"x := f(a, []int{1, 2", ")}"},
		{"\t}\n}\n\nfunc g() {\n\t", "}"}, // the window starts inside a block: its closers are skipped
		{"func f() {\n\t// a { here\n\t", "}"},
		{"func f() {\n\t/* { ( [\n\t*/ x(", "})"},
		{"s := \"{\\\"(\" + '{' + `[`\n", ""},
		{"f(`a\n)b`, {", ")}"},                                // a raw string over two lines
		{"f(]", ""},                                           // mismatched: nothing is known
		{"def f():\n    # see (a\n    d = {\n        ", "}"},  // a # comment
		{"x = {\n    'a#(': 1, # (\n    ", "}"},               // in a string, and after code
		{" a { b */\nfunction f() {\n\tif (x) {\n\t\t", "}}"}, // the window starts inside a comment
		{"#include <a.h>\nint f() {\n\tint x[2] = {", "}}"},   // a preprocessor line is skipped harmlessly
		{"", ""},
	} {
		if got := string(openBrackets(codescan.For("", ""), tc.text)); got != tc.want {
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
		c := newPPContext(prefix, suffix, templates["qwen"], true, 12, codescan.For("", ""))
		out := bracketBalance(answer, c)
		if !strings.HasPrefix(answer, out) {
			t.Fatalf("bracketBalance(%q) = %q: not a cut of the answer", answer, out)
		}
		open := c.prefix().open
		if strings.Trim(string(open), ")]}") != "" {
			t.Fatalf("openBrackets(%q) = %q", prefix, open)
		}
		// With nothing open before the cursor, no closer of the kind the suffix starts with
		// survives unmatched (the rule before blocks of the prefix were counted).
		if next := firstNonSpace(suffix); len(open) == 0 && strings.IndexByte(")]}", next) >= 0 && next != 0 {
			if n := unmatchedClosers(c, out, next); n > 0 {
				t.Fatalf("bracketBalance(%q) with nothing open = %q: %d unmatched %q kept", answer, out, n, next)
			}
		}
	})
}

// unmatchedClosers counts the closers ch in s that close nothing opened in s.
func unmatchedClosers(pc *ppContext, s string, ch byte) int {
	var stack []byte
	n := 0
	answerBrackets(s, pc, func(_ int, ch0 byte) bool {
		c := ch0
		switch {
		case c == '(' || c == '[' || c == '{':
			stack = append(stack, closerOf[c])
		case len(stack) > 0 && stack[len(stack)-1] == c:
			stack = stack[:len(stack)-1]
		case len(stack) == 0 && c == ch:
			n++
		}
		return true
	})
	return n
}

// TestBracketBalanceSeesPastTheSuffixWindow: the closers of the blocks around the cursor lie
// past the prompt's suffix window (a long function); the model's closer for a block the suffix
// closes already is still cut.
func TestBracketBalanceSeesPastTheSuffixWindow(t *testing.T) {
	doc := "func f() {\n\tif x {\n\t\t\n\t}\n\treturn\n" + strings.Repeat("\tx = x + 1 // and more\n", 200) + "}\n"
	r := Request{Text: doc, Offset: len("func f() {\n\tif x {\n\t\t")}
	e := newTestEngine(&scripted{chunks: []string{"y()\n\t\t}\n\tz()"}})
	p, err := e.Prepare(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.pp.Suffix) >= len(doc)-r.Offset {
		t.Fatal("the test needs a suffix window shorter than the rest of the document")
	}
	res, err := e.Complete(context.Background(), r)
	if err != nil || res.Text != "y()" {
		t.Fatalf("%q %v, want %q (the if is closed after the cursor already)", res.Text, err, "y()")
	}
}

// TestCursorStateSeesPastTheWindow: the prompt's prefix window starts inside a Python
// docstring, so the window alone reads the cursor's code as a string; the whole text before the
// cursor says it is code, and the answer's own ")" stays.
func TestCursorStateSeesPastTheWindow(t *testing.T) {
	doc := "def f(x):\n    \"\"\"Long docstring.\n" + strings.Repeat("    more words of the docstring, no quotes at all\n", 100) +
		"    \"\"\"\n    print()\n"
	r := Request{Text: doc, Offset: len(doc) - len(")\n"), Language: "python", Path: "a.py"}
	e := newTestEngine(&scripted{chunks: []string{"len(x)"}})
	p, err := e.Prepare(r)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(p.pp.Prefix, "Long docstring") {
		t.Fatal("the test needs a prefix window that starts inside the docstring")
	}
	res, err := e.Complete(context.Background(), r)
	if err != nil || res.Text != "len(x)" {
		t.Fatalf("%q %v, want %q", res.Text, err, "len(x)")
	}
}

// openBrackets (the tests' view of the prefix scan) returns the brackets left open at the end of text (the prefix window): the
// closers they need, innermost last; nothing when its brackets make no sense.
func openBrackets(syn *codescan.Syntax, text string) []byte {
	open, _, _, ok := scanBrackets(syn, text, true)
	if !ok {
		return nil
	}
	return open
}
