package completion

import (
	"slices"
	"strings"
)

// Text the user owns (documents, paths, the repository name, retrieved snippets) is data, but
// a raw prompt is tokenised with special tokens enabled: a Go file that mentions
// "<|fim_middle|>" would give the model a second middle marker and a prompt whose structure
// the user's text chose. Before rendering, every special token of the template is neutralised
// by a zero-width space after its first character: still readable (and invisible in most
// views), no longer the token's string, so the tokenizer sees ordinary text. Inserting a
// character can only break occurrences of strings that do not contain it, never create new
// ones, so one pass per token suffices whatever the tokens' overlaps.
//
// A model that copies such text back answers with the neutralised form; restoreTokens turns it
// into the user's original string before it reaches the document.

// neutral is the character inserted into special tokens found in user text.
const neutral = "\u200b" // ZERO WIDTH SPACE: not part of any template's token

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

// neutralise breaks every occurrence of tokens in s.
func neutralise(s string, tokens []string) string {
	for _, tok := range tokens {
		if strings.Contains(s, tok) {
			first := firstRuneLen(tok)
			s = strings.ReplaceAll(s, tok, tok[:first]+neutral+tok[first:])
		}
	}
	return s
}

// restoreTokens undoes neutralise in an answer: what the user wrote comes back as written.
func restoreTokens(s string, tokens []string) string {
	if !strings.Contains(s, neutral) {
		return s
	}
	for _, tok := range tokens {
		first := firstRuneLen(tok)
		s = strings.ReplaceAll(s, tok[:first]+neutral+tok[first:], tok)
	}
	return s
}

// neutraliseInput returns in with every user-owned string neutralised for t (the caller's
// snippets are not modified).
func (t *Template) neutraliseInput(in PromptInput) PromptInput {
	tokens := t.escapeTokens()
	in.Prefix = neutralise(in.Prefix, tokens)
	in.Suffix = neutralise(in.Suffix, tokens)
	in.Path = oneLine(neutralise(in.Path, tokens))
	in.Repo = oneLine(neutralise(in.Repo, tokens))
	if len(in.Snippets) > 0 {
		sn := make([]Snippet, len(in.Snippets))
		for i, s := range in.Snippets {
			sn[i] = Snippet{Path: oneLine(neutralise(s.Path, tokens)), Text: neutralise(s.Text, tokens)}
		}
		in.Snippets = sn
	}
	return in
}

func firstRuneLen(s string) int {
	for i := range s {
		if i > 0 {
			return i
		}
	}
	return len(s)
}

// oneLine keeps a path or name on its line: templates put them on header or comment lines, and
// a file name with a line break (legal on Unix) would otherwise add lines of its own.
var oneLine = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace
