// Package tokens neutralises a model's special tokens in text the user owns, and restores them
// in answers.
//
// Text the user owns (documents, paths, retrieved snippets) is data, but prompts are tokenised
// with special tokens enabled: a file that mentions "<|fim_middle|>" or "<|im_start|>" would
// give the model structure the user's text chose. Every special token found in such text is
// neutralised by a zero-width space after its first character: still readable (and invisible
// in most views), no longer the token's string, so the tokenizer sees ordinary text. Inserting
// a character can only break occurrences of strings that do not contain it, never create new
// ones, so one pass per token suffices whatever the tokens' overlaps. A model that copies such
// text back answers with the neutralised form; Restore turns it into the user's string.
package tokens

import "strings"

// Neutral is the character inserted into special tokens found in user text.
const Neutral = "\u200b" // ZERO WIDTH SPACE: not part of any template's token

// Neutralise breaks every occurrence of toks in s.
func Neutralise(s string, toks []string) string {
	for _, tok := range toks {
		if strings.Contains(s, tok) {
			first := firstRuneLen(tok)
			s = strings.ReplaceAll(s, tok, tok[:first]+Neutral+tok[first:])
		}
	}
	return s
}

// Restore undoes Neutralise in an answer: what the user wrote comes back as written.
func Restore(s string, toks []string) string {
	if !strings.Contains(s, Neutral) {
		return s
	}
	for _, tok := range toks {
		first := firstRuneLen(tok)
		s = strings.ReplaceAll(s, tok[:first]+Neutral+tok[first:], tok)
	}
	return s
}

func firstRuneLen(s string) int {
	for i := range s {
		if i > 0 {
			return i
		}
	}
	return len(s)
}
