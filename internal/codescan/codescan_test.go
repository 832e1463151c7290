package codescan

import (
	"strings"
	"testing"
)

// codeOf returns the bytes Scan reports as code.
func codeOf(sy *Syntax, text string, st State) (string, State) {
	var b strings.Builder
	end := sy.Scan(text, st, func(_ int, ch byte) bool { b.WriteByte(ch); return true })
	return b.String(), end
}

func TestScan(t *testing.T) {
	for _, tc := range []struct {
		lang, text, code string
		end              State
	}{
		{"go", "f(\"a(\", 'b')", "f(, )", State{}},
		{"go", "x := `a\n(b` + y", "x :=  + y", State{}},
		{"go", "x := `a\\`(", "x := (", State{}}, // no escapes in a Go raw string
		{"go", "a // (x\nb /* ( */ c", "a b  c", State{}},
		{"go", "s := \"abc", "s := ", State{Mode: String, Quote: `"`}},
		{"go", "s := \"abc\nd", "s := d", State{}}, // a single-line string ends with its line
		{"javascript", "t = `a\n${x(}` + 1", "t =  + 1", State{}},
		{"javascript", "t = `a\\`(`", "t = ", State{}},
		{"javascript", "f('it\\'s (')", "f()", State{}},
		{"python", "x = \"\"\"a\n(b\n\"\"\" + f(1)", "x =  + f(1)", State{}},
		{"python", "x = '''a\n", "x = ", State{Mode: String, Quote: "'''"}},
		{"python", "f(a) # g(\nh", "f(a) h", State{}},
		{"python", "d = {'k': \"v\"}", "d = {: }", State{}},
		{"rust", "fn f<'a>(x: &'a str) -> char { 'x' }", "fn f<'a>(x: &'a str) -> char {  }", State{}},
		{"", "a # (b\nc#(d)", "a c#(d)", State{}},
		{"", "`x\ny`z", "z", State{}},
		{"", "x /* (", "x ", State{Mode: BlockComment}},
		{"shellscript", "echo \"$(x)\" # )", "echo  ", State{Mode: LineComment}},
	} {
		sy := For(tc.lang, "")
		code, end := codeOf(sy, tc.text, State{})
		if code != tc.code || end != tc.end {
			t.Errorf("%s %q: code %q end %+v, want %q %+v", tc.lang, tc.text, code, end, tc.code, tc.end)
		}
	}
}

func TestScanFromAState(t *testing.T) {
	// The cursor inside "…": the answer closes the user's string and goes on in code.
	sy := For("go", "")
	code, end := codeOf(sy, `hello "), x`, State{Mode: String, Quote: `"`})
	if code != `), x` || end != (State{}) {
		t.Errorf("got %q %+v", code, end)
	}
	code, _ = codeOf(sy, "it's (", State{Mode: String, Quote: `"`})
	if code != "" {
		t.Errorf("inside a string a ' opens nothing: got code %q", code)
	}
}

func TestFor(t *testing.T) {
	for _, tc := range []struct{ id, file, want string }{
		{"go", "", "go"}, {"typescriptreact", "", "javascript"}, {"", "a/b.py", "python"},
		{"plaintext", "x.rs", "rust"}, {"", "Makefile", "generic"}, {"PYTHON", "", "python"},
	} {
		if got := For(tc.id, tc.file).Name; got != tc.want {
			t.Errorf("For(%q, %q) = %s, want %s", tc.id, tc.file, got, tc.want)
		}
	}
}

func TestLineStates(t *testing.T) {
	sy := For("python", "")
	got := sy.LineStates("def f():\n    x = \"\"\"\nno indent\n\"\"\"\n    return x\n")
	want := []State{{}, {}, {Mode: String, Quote: `"""`}, {Mode: String, Quote: `"""`}, {}, {}}
	if len(got) != len(want) {
		t.Fatalf("got %d states, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

// FuzzScan: scanning never panics, reports only bytes of the text, and scanning two pieces split
// at a line break (not an escaped one) ends where scanning the whole does.
func FuzzScan(f *testing.F) {
	for _, s := range []string{"f(\"a\")\n`x\ny`", "x = '''\n(\n'''\n#", "/* a\n*/ b // c\n'x'", "a\\\nb"} {
		f.Add(s, uint8(0))
	}
	langs := []string{"go", "javascript", "python", "rust", "", "shellscript", "sql"}
	f.Fuzz(func(t *testing.T, text string, li uint8) {
		sy := For(langs[int(li)%len(langs)], "")
		n := 0
		whole := sy.Scan(text, State{}, func(i int, ch byte) bool {
			if i < 0 || i >= len(text) || text[i] != ch {
				t.Fatalf("code byte %d %q not in text", i, ch)
			}
			n++
			return true
		})
		if n > len(text) {
			t.Fatalf("%d code bytes in %d", n, len(text))
		}
		if i := strings.IndexByte(text, '\n'); i > 0 && text[i-1] != '\\' {
			mid := sy.Scan(text[:i+1], State{}, nil)
			if got := sy.Scan(text[i+1:], mid, nil); got != whole {
				t.Fatalf("split at %d: %+v, whole %+v", i, got, whole)
			}
		}
	})
}

// BenchmarkScan: one scan of 256 KiB of Go (the most text before the cursor a completion's
// filters scan, once per model answer).
func BenchmarkScan(b *testing.B) {
	unit := "func f(a []int) string {\n\t// sum (of) the values\n\ts := `raw\n(`\n\treturn fmt.Sprint(a[0], \"x)\", 'y')\n}\n"
	text := strings.Repeat(unit, (256<<10)/len(unit))
	sy := For("go", "")
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		sy.Scan(text, State{}, func(int, byte) bool { return true })
	}
}
