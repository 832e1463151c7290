package completion

import (
	"strings"
	"unicode/utf8"
)

// BytesPerToken is how token budgets become byte budgets. Tokens are not counted with the
// model's tokenizer (that would cost a round trip per keystroke): code in BPE vocabularies
// averages 3–4 bytes per token, so 3 is a conservative estimate that keeps the prompt inside
// num_ctx (Ollama silently cuts over-long prompts from the front, which would drop the FIM
// prefix token).
const BytesPerToken = 3

// EstimateTokens estimates the tokens in s.
func EstimateTokens(s string) int { return (len(s) + BytesPerToken - 1) / BytesPerToken }

// Windows cuts the text around byte offset cur: the prefix keeps at most prefixTokens and the
// suffix at most suffixTokens. Cuts fall on line boundaries (whole lines are kept) unless one
// line alone exceeds the budget, then on a UTF-8 rune boundary.
func Windows(text string, cur, prefixTokens, suffixTokens int) (prefix, suffix string) {
	prefix, suffix = text[:cur], text[cur:]
	if max := prefixTokens * BytesPerToken; len(prefix) > max {
		start := len(prefix) - max
		if i := strings.IndexByte(prefix[start:], '\n'); i >= 0 && start+i+1 < len(prefix) {
			start += i + 1 // drop the partial first line
		} else {
			for start < len(prefix) && !utf8.RuneStart(prefix[start]) {
				start++
			}
		}
		prefix = prefix[start:]
	}
	if max := suffixTokens * BytesPerToken; len(suffix) > max {
		end := max
		if i := strings.LastIndexByte(suffix[:end], '\n'); i > 0 {
			end = i + 1 // keep whole lines
		} else {
			for end > 0 && !utf8.RuneStart(suffix[end]) {
				end--
			}
		}
		suffix = suffix[:end]
	}
	return prefix, suffix
}
