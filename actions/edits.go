package actions

import (
	udiff "github.com/aymanbagabas/go-udiff"
)

// Edit is one change to a document: the bytes [Start, End) become New.
type Edit struct {
	Start, End int
	New        string
}

// MinimalEdits turns "replace doc[start:end] with repl" into the smallest line edits (a line
// diff, go-udiff: the Myers/LCS diff gopls uses), with offsets into doc: lines the model left
// as they were are not touched, so the editor keeps their marks, folds and cursor positions.
func MinimalEdits(doc string, start, end int, repl string) []Edit {
	old := doc[start:end]
	var out []Edit
	for _, e := range udiff.Lines(old, repl) {
		out = append(out, Edit{Start: start + e.Start, End: start + e.End, New: e.New})
	}
	return out
}

// Apply applies non-overlapping edits in increasing order to doc.
func Apply(doc string, edits []Edit) (string, error) {
	ue := make([]udiff.Edit, len(edits))
	for i, e := range edits {
		ue[i] = udiff.Edit{Start: e.Start, End: e.End, New: e.New}
	}
	return udiff.Apply(doc, ue)
}

// UnifiedDiff is the edits as a unified diff of the file at path (for the CLI).
func UnifiedDiff(path, doc string, edits []Edit) (string, error) {
	after, err := Apply(doc, edits)
	if err != nil {
		return "", err
	}
	return udiff.Unified("a/"+path, "b/"+path, doc, after), nil
}
