package actions

import (
	"errors"
	"go/format"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mimi-lsp/mimi-lsp/internal/codescan"
)

// Errors of answer parsing: each becomes a clear message to the user and no edit.
var (
	// ErrNoCode: the answer holds no code (empty, only prose, only thinking).
	ErrNoCode = errors.New("the model's answer holds no code")
	// ErrRefused: the model declined ("I'm sorry, I can't…").
	ErrRefused = errors.New("the model declined to answer")
	// ErrCut: the answer was cut off (the token limit) in the middle of its code.
	ErrCut = errors.New("the model's answer was cut off before its code ended")
)

// Want describes the code an answer should hold.
type Want struct {
	Language string // LSP language id of the target ("go", "python", …)
	Name     string // the function or type asked for ("": a selection, take the best block)
	Indent   string // leading whitespace of the target's first line: the code is re-indented to it
	Unit     string // one level of the file's indentation ("\t", "    "; "": keep the answer's)
	Cut      bool   // the model stopped at its token limit
}

var (
	thinkBlock = regexp.MustCompile(`(?is)<think(?:ing)?>.*?</think(?:ing)?>`)
	thinkOpen  = regexp.MustCompile(`(?is)<think(?:ing)?>.*$`)
	thinkClose = regexp.MustCompile(`(?is)^.*?</think(?:ing)?>`)
)

// StripThinking removes reasoning text: <think>…</think> blocks, an unclosed <think> to the
// end, and everything before a lone </think> (templates that open the block themselves).
func StripThinking(s string) string {
	s = thinkBlock.ReplaceAllString(s, "")
	if thinkClose.MatchString(s) {
		s = thinkClose.ReplaceAllString(s, "")
	}
	return thinkOpen.ReplaceAllString(s, "")
}

// block is one fenced code block of an answer.
type block struct {
	lang   string
	body   string
	closed bool
}

// fences returns the fenced code blocks of a Markdown answer (``` or ~~~, at least three,
// indented at most three spaces; a block ends at a fence of the same character at least as
// long, or at the end of the answer: closed false).
func fences(s string) []block {
	var out []block
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); i++ {
		ch, n, info, ok := fenceLine(lines[i])
		if !ok {
			continue
		}
		b := block{lang: strings.ToLower(strings.Fields(info + " x")[0])}
		if info == "" {
			b.lang = ""
		}
		var body []string
		j := i + 1
		for ; j < len(lines); j++ {
			if c2, n2, info2, ok := fenceLine(lines[j]); ok && c2 == ch && n2 >= n && info2 == "" {
				b.closed = true
				break
			}
			body = append(body, lines[j])
		}
		b.body = strings.Join(body, "\n")
		out = append(out, b)
		i = j
	}
	return out
}

func fenceLine(l string) (ch byte, n int, info string, ok bool) {
	t := strings.TrimRight(l, " \t\r")
	lead := len(t) - len(strings.TrimLeft(t, " "))
	if lead > 3 {
		return 0, 0, "", false
	}
	t = t[lead:]
	if len(t) < 3 || (t[0] != '`' && t[0] != '~') {
		return 0, 0, "", false
	}
	ch = t[0]
	for n < len(t) && t[n] == ch {
		n++
	}
	if n < 3 {
		return 0, 0, "", false
	}
	info = strings.TrimSpace(t[n:])
	if ch == '`' && strings.Contains(info, "`") {
		return 0, 0, "", false
	}
	return ch, n, info, true
}

// langAliases maps fence tags to LSP language ids.
var langAliases = map[string]string{"golang": "go", "py": "python", "python3": "python", "js": "javascript",
	"ts": "typescript", "jsx": "javascriptreact", "tsx": "typescriptreact", "rs": "rust", "sh": "shellscript",
	"bash": "shellscript", "zsh": "shellscript", "c++": "cpp", "cc": "cpp", "rb": "ruby", "kt": "kotlin", "cs": "csharp"}

// notCode are fence tags that never hold the code asked for.
var notCode = map[string]bool{"text": true, "txt": true, "plaintext": true, "output": true, "console": true,
	"diff": true, "patch": true, "markdown": true, "md": true, "json": true}

func normLang(l string) string {
	if a, ok := langAliases[l]; ok {
		return a
	}
	return l
}

// ExtractCode returns the code of a model's answer for w: the best fenced block (the one that
// declares w.Name, in w's language, longest), or the whole answer when it has no fences and
// reads as code; reduced to the declaration of w.Name when the model answered a whole file;
// re-indented to w.Indent (Go through gofmt). No trailing newline.
func ExtractCode(answer string, w Want) (string, error) {
	code, _, err := extractCode(StripThinking(answer), w)
	return code, err
}

// extractCode is ExtractCode on an answer whose thinking is already stripped (stripping again
// after the user's own "<think>" strings were restored would cut their code); it also returns
// the whole block the code was taken from (before a whole-file answer was reduced).
func extractCode(answer string, w Want) (code, block string, err error) {
	s := strings.ReplaceAll(answer, "\r\n", "\n")
	bs := fences(s)
	switch {
	case len(bs) > 0:
		best, bestScore := -1, -1<<30
		for i, b := range bs {
			if !b.closed && w.Cut {
				continue // cut mid-block: its code is incomplete
			}
			if strings.TrimSpace(b.body) == "" {
				continue
			}
			score := 0
			lang := normLang(b.lang)
			switch {
			case notCode[b.lang]:
				score -= 8
			case lang == "" || lang == w.Language:
				score += 2
			}
			if w.Name != "" && declares(b.body, w.Name) {
				score += 4
			}
			score = score*1_000_000 + min(len(b.body), 999_999)
			if score > bestScore {
				best, bestScore = i, score
			}
		}
		if best < 0 {
			if w.Cut {
				return "", "", ErrCut
			}
			return "", "", ErrNoCode
		}
		code = bs[best].body
	default:
		t := strings.TrimSpace(s)
		switch {
		case t == "":
			return "", "", ErrNoCode
		case refusal(t):
			return "", "", ErrRefused
		case !looksLikeCode(t, w.Language):
			return "", "", ErrNoCode
		}
		code = t
	}
	code = trimBlankLines(code, codescan.For(w.Language, ""))
	block = code
	if w.Name != "" {
		code = declarationOf(code, w)
	}
	return reindent(code, w), block, nil
}

var refusalRe = regexp.MustCompile(`(?i)^(i'?m sorry|sorry|i (cannot|can't|can not|won't|am unable|am not able)|as an ai|unfortunately,? i)`)

func refusal(t string) bool { return refusalRe.MatchString(t) }

// looksLikeCode: Go text that parses as declarations or statements; otherwise text where
// fewer than a third of the lines read as prose (several words ending in . or :).
func looksLikeCode(t, lang string) bool {
	if lang == "go" {
		if _, err := format.Source([]byte(t)); err == nil {
			return true
		}
	}
	prose, lines := 0, 0
	for _, l := range strings.Split(t, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		lines++
		words := strings.Fields(l)
		if len(words) >= 5 && (strings.HasSuffix(l, ".") || strings.HasSuffix(l, ":")) && unicode.IsUpper(rune(l[0])) {
			prose++
		}
	}
	return lines > 0 && prose*3 < lines
}

// declares reports whether code declares name (a Go func or type, a def, class, function…).
func declares(code, name string) bool {
	return declLine(strings.Split(code, "\n"), name) >= 0
}

// declLine is the index of the line that declares name, or -1 (also for a name that is not
// an identifier).
func declLine(lines []string, name string) int {
	if !identifier(name) {
		return -1
	}
	re := regexp.MustCompile(`^\s*(export\s+)?(async\s+)?(pub(\(\w+\))?\s+)?(static\s+)?` +
		`(func(\s*\([^)]*\))?|def|class|function|fn|type|struct|interface|enum|impl|trait|const|let|var)\s+\*?` +
		regexp.QuoteMeta(name) + `\b`)
	for i, l := range lines {
		if re.MatchString(l) {
			return i
		}
	}
	return -1
}

func trimBlankLines(s string, sy *codescan.Syntax) string {
	lines := strings.Split(s, "\n")
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	info := newLineScan(sy, strings.Join(lines, "\n")).info
	for i, l := range lines {
		if i+1 < len(lines) && info[i+1].start.InString() {
			continue // the line break is inside a string: the spaces before it are the string's
		}
		lines[i] = strings.TrimRight(l, " \t\r")
	}
	return strings.Join(lines, "\n")
}

// identifier reports whether s is a non-empty identifier (letters, digits, _ and $).
func identifier(s string) bool {
	if s == "" || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r != '_' && r != '$' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}
