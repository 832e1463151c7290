package completion

import (
	"slices"
	"strings"

	"github.com/mimi-lsp/mimi-lsp/internal/tokens"
)

// User text is neutralised for the template's special tokens (internal/tokens): see there.

// neutral is the character inserted into special tokens found in user text.
const neutral = tokens.Neutral

// escapeTokens is every string of t that the tokenizer would read as a special token: its
// special tokens and stops (render markers are among the special tokens: a test checks it).
func (t *Template) escapeTokens() []string {
	out := slices.Clone(t.Special)
	for _, s := range t.Stop {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

var (
	neutralise    = tokens.Neutralise
	restoreTokens = tokens.Restore
)

// neutraliseInput returns in with every user-owned string neutralised for t (the caller's
// snippets are not modified).
func (t *Template) neutraliseInput(in PromptInput) PromptInput {
	toks := t.escapeTokens()
	in.Prefix = neutralise(in.Prefix, toks)
	in.Suffix = neutralise(in.Suffix, toks)
	in.Path = oneLine(neutralise(in.Path, toks))
	in.Repo = oneLine(neutralise(in.Repo, toks))
	if len(in.Snippets) > 0 {
		sn := make([]Snippet, len(in.Snippets))
		for i, s := range in.Snippets {
			sn[i] = Snippet{Path: oneLine(neutralise(s.Path, toks)), Text: neutralise(s.Text, toks)}
		}
		in.Snippets = sn
	}
	return in
}

// oneLine keeps a path or name on its line: templates put them on header or comment lines, and
// a file name with a line break (legal on Unix) would otherwise add lines of its own.
var oneLine = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace
