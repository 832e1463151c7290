package actions

import (
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/mimi-lsp/mimi-lsp/internal/testenv/golden"
)

// parseDoc takes the markers out of a golden document: ‸ a cursor, «…» a selection, ⟦…⟧ the
// range of a diagnostic.
func parseDoc(t *testing.T, doc string) (text string, start, end, dStart, dEnd int) {
	t.Helper()
	start, end, dStart, dEnd = -1, -1, -1, -1
	var b strings.Builder
	for _, r := range doc {
		switch r {
		case '‸':
			start, end = b.Len(), b.Len()
		case '«':
			start = b.Len()
		case '»':
			end = b.Len()
		case '⟦':
			dStart = b.Len()
		case '⟧':
			dEnd = b.Len()
		default:
			b.WriteRune(r)
		}
	}
	if start < 0 || end < 0 {
		t.Fatal("no cursor (‸) or selection («»)")
	}
	return b.String(), start, end, dStart, dEnd
}

// TestPromptGolden: testdata/prompts/*.txtar hold a document (with its cursor, selection or
// diagnostic), the action picked from the catalogue, and the chat messages sent for it.
func TestPromptGolden(t *testing.T) {
	golden.Each(t, "testdata/prompts/*.txtar", 6, func(t *testing.T, file string, a *txtar.Archive) {
		o := options(a)
		doc, ok := section(a, "document")
		if !ok {
			t.Fatal("no document section")
		}
		text, s, e, ds, de := parseDoc(t, doc)
		req := Request{Text: text, Language: o["language"], Path: o["path"], Start: s, End: e}
		if ds >= 0 {
			sev, _ := strconv.Atoi(o["severity"])
			req.Diagnostics = []Diagnostic{{Start: ds, End: de, Message: o["message"], Source: o["source"], Severity: sev}}
		}
		var act *Action
		for _, x := range Catalogue(req) {
			if string(x.ID) == o["action"] {
				act = &x
				break
			}
		}
		if act == nil {
			t.Fatalf("no %s action in the catalogue: %s", o["action"], titles(Catalogue(req)))
		}
		in := PromptInput{Action: *act, Request: req, TestFile: o["testfile"]}
		in.TestText, _ = section(a, "testfile")
		for _, f := range a.Files {
			if p, ok := strings.CutPrefix(f.Name, "snippet "); ok {
				in.Snippets = append(in.Snippets, Snippet{Path: p, Text: strings.TrimSuffix(string(f.Data), "\n")})
			}
		}
		var got strings.Builder
		for _, m := range Prompt(in) {
			got.WriteString("== " + m.Role + " ==\n" + m.Content)
		}
		g := strings.TrimSuffix(strings.ReplaceAll(got.String(), "\u200b", "{ZWSP}"), "\n")
		golden.Check(t, file, a, g, *update)
	})
}
