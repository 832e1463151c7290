package completion

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// doneLength is Ollama's done reason when num_predict ended the answer.
const doneLength = "length"

// trimCut trims an answer that num_predict cut off to what is known to be whole: a multi-line
// answer to its last complete line; a one-line answer to its last identifier boundary (the
// last word may be cut: "return foo.Ba" becomes "return foo."), or nothing when no word is
// left. Leading newlines are kept (they are not lines of the answer).
//
// Such an answer is not cached: the cache holds complete answers as plain text, shared through
// Redis with other processes, and has no place to mark one partial; the trimmed text still
// serves typing-ahead in this process, and a later request asks the model again.
func trimCut(s string) string {
	lead := len(s) - len(strings.TrimLeft(s, "\r\n"))
	body := s[lead:]
	if i := strings.LastIndexByte(body, '\n'); i >= 0 {
		return s[:lead+i]
	}
	i := len(body)
	for i > 0 {
		r, size := utf8.DecodeLastRuneInString(body[:i])
		if !isIdentRune(r) {
			break
		}
		i -= size
	}
	kept := body[:i]
	if !strings.ContainsFunc(kept, isIdentRune) {
		return ""
	}
	return s[:lead] + kept
}

func isIdentRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }
