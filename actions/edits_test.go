package actions

import (
	"strings"
	"testing"
)

// TestMinimalEdits: only the changed lines are edited, offsets point into the whole document,
// and applying the edits gives the document with the range replaced.
func TestMinimalEdits(t *testing.T) {
	doc := "package p\n\nfunc F() {\n\ta := 1\n\tb := 2\n\treturn\n}\n\nfunc G() {}\n"
	start := strings.Index(doc, "func F")
	end := strings.Index(doc, "\nfunc G") // F's text and the blank line after it
	repl := "func F() {\n\ta := 1\n\tb := 3\n\treturn\n}\n"
	edits := MinimalEdits(doc, start, end, repl)
	if len(edits) != 1 {
		t.Fatalf("edits %+v; want one (the changed line)", edits)
	}
	if got := doc[edits[0].Start:edits[0].End]; got != "\tb := 2\n" || edits[0].New != "\tb := 3\n" {
		t.Fatalf("edit replaces %q with %q", got, edits[0].New)
	}
	after, err := Apply(doc, edits)
	if err != nil || after != doc[:start]+repl+doc[end:] {
		t.Fatalf("applied: %q, %v", after, err)
	}
	if e := MinimalEdits(doc, start, end, doc[start:end]); len(e) != 0 {
		t.Fatalf("unchanged range gave edits %+v", e)
	}
	d, err := UnifiedDiff("p.go", doc, edits)
	if err != nil || !strings.Contains(d, "-\tb := 2\n+\tb := 3\n") || !strings.HasPrefix(d, "--- a/p.go\n+++ b/p.go\n") {
		t.Fatalf("diff %q, %v", d, err)
	}
}
