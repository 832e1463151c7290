package completion

import "testing"

func TestTrimCut(t *testing.T) {
	cases := []struct{ in, want string }{
		{"a := 1\nb := 2\nc := fo", "a := 1\nb := 2"}, // multi-line: the last whole line
		{"a := 1\nb := 2\n", "a := 1\nb := 2"},        // cut right after a newline: all lines whole
		{"\n\treturn x\n\tfoo(ba", "\n\treturn x"},    // leading newline kept, cut line dropped
		{"return foo.Ba", "return foo."},              // one line: back to the identifier boundary
		{"compute(a, b", "compute(a, "},               // the last argument may be cut
		{"f(x)", "f(x)"},                              // ends on punctuation: whole
		{"naïveVariab", ""},                           // one cut word: nothing sensible
		{"  (", ""},                                   // no word left
		{"\n\tsomeIdent", ""},                         // leading newline, one cut word
		{"x := größe", "x := "},                       // identifiers in any script
	}
	for _, tc := range cases {
		if got := trimCut(tc.in); got != tc.want {
			t.Errorf("trimCut(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
