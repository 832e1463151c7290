// Package codescan tells code from strings and comments, for every language the completion
// filters and the code-action targets look at. It is lexical (no parser): each language is a
// small table of quotes and comment markers, and text is walked byte by byte from a State, so a
// caller can scan a prefix once and carry on into a model's answer from where the prefix ended.
//
// It is one scanner on purpose: bracket balance, suffix overlap, the trim of trailing spaces and
// the Python block rules of code actions all ask "is this byte code?", and asking it in one place
// keeps them agreeing (a Go raw string or a JavaScript template literal spans lines everywhere,
// a Python triple-quoted string is one string everywhere).
package codescan

import (
	"maps"
	"path"
	"slices"
	"strings"
	"unicode/utf8"
)

// Syntax is what the scanner knows of one language.
type Syntax struct {
	Name string
	// LineComments start a comment that runs to the end of the line.
	LineComments []string
	// BlockComment is the pair that opens and closes a block comment ("" when none).
	BlockOpen, BlockClose string
	// Quotes are single-line string quotes: a string ends at its quote or at the line's end
	// (unless the line break is escaped).
	Quotes string
	// Raw are quotes whose strings span lines (Go raw strings, JavaScript template literals).
	Raw string
	// RawEscapes: a backslash escapes in Raw strings too (JavaScript; not Go).
	RawEscapes bool
	// Triple: Python's """ and ''' strings span lines.
	Triple bool
	// HashAfterSpace: '#' starts a comment only at a line's start or after a space or tab (the
	// guess for an unknown language, where '#' may be code, as in C's #include it is not).
	HashAfterSpace bool
	// CharQuote: '\'' starts a character literal only when it closes within a few bytes (Rust,
	// where 'a is a lifetime).
	CharQuote bool

	starts [256]bool // bytes that may open a string or a comment (init)
}

func init() {
	for _, sy := range append(slices.Collect(maps.Values(byName)), &generic) {
		for _, m := range append(slices.Clone(sy.LineComments), sy.BlockOpen, sy.Quotes, sy.Raw) {
			if m != "" {
				sy.starts[m[0]] = true
			}
		}
		for i := 0; i < len(sy.Quotes); i++ {
			sy.starts[sy.Quotes[i]] = true
		}
		if sy.HashAfterSpace {
			sy.starts['#'] = true
		}
	}
}

var (
	cFamily = Syntax{Name: "c", LineComments: []string{"//"}, BlockOpen: "/*", BlockClose: "*/", Quotes: `"'`}
	goLang  = Syntax{Name: "go", LineComments: []string{"//"}, BlockOpen: "/*", BlockClose: "*/", Quotes: `"'`, Raw: "`"}
	jsLang  = Syntax{Name: "javascript", LineComments: []string{"//"}, BlockOpen: "/*", BlockClose: "*/", Quotes: `"'`, Raw: "`", RawEscapes: true}
	pyLang  = Syntax{Name: "python", LineComments: []string{"#"}, Quotes: `"'`, Triple: true}
	rsLang  = Syntax{Name: "rust", LineComments: []string{"//"}, BlockOpen: "/*", BlockClose: "*/", Quotes: `"'`, CharQuote: true}
	hashLng = Syntax{Name: "hash", LineComments: []string{"#"}, Quotes: `"'`}
	sqlLang = Syntax{Name: "sql", LineComments: []string{"--"}, BlockOpen: "/*", BlockClose: "*/", Quotes: `"'`}
	generic = Syntax{Name: "generic", LineComments: []string{"//"}, BlockOpen: "/*", BlockClose: "*/", Quotes: `"'`, Raw: "`", HashAfterSpace: true}
)

// byName maps LSP language ids and file extensions to a syntax.
var byName = map[string]*Syntax{
	"go":         &goLang,
	"javascript": &jsLang, "javascriptreact": &jsLang, "typescript": &jsLang, "typescriptreact": &jsLang,
	"js": &jsLang, "jsx": &jsLang, "mjs": &jsLang, "cjs": &jsLang, "ts": &jsLang, "tsx": &jsLang, "mts": &jsLang, "cts": &jsLang,
	"vue": &jsLang, "svelte": &jsLang,
	"python": &pyLang, "py": &pyLang, "pyi": &pyLang,
	"c": &cFamily, "cpp": &cFamily, "h": &cFamily, "hpp": &cFamily, "cc": &cFamily, "cxx": &cFamily,
	"java": &cFamily, "csharp": &cFamily, "cs": &cFamily, "kotlin": &cFamily, "kt": &cFamily,
	"swift": &cFamily, "scala": &cFamily, "dart": &cFamily, "php": &cFamily, "objective-c": &cFamily,
	"rust": &rsLang, "rs": &rsLang,
	"shellscript": &hashLng, "sh": &hashLng, "bash": &hashLng, "zsh": &hashLng, "ruby": &hashLng, "rb": &hashLng,
	"yaml": &hashLng, "yml": &hashLng, "toml": &hashLng, "perl": &hashLng, "pl": &hashLng, "r": &hashLng,
	"dockerfile": &hashLng, "makefile": &hashLng, "elixir": &hashLng, "ex": &hashLng, "exs": &hashLng,
	"sql": &sqlLang, "lua": &sqlLang, "haskell": &sqlLang, "hs": &sqlLang,
}

// For returns the syntax for an LSP language id ("go", "python", "typescriptreact", …) or, when
// the id is empty or unknown, for the file's extension; the generic guess when neither is known.
func For(languageID, file string) *Syntax {
	if s, ok := byName[strings.ToLower(languageID)]; ok {
		return s
	}
	if ext := strings.TrimPrefix(path.Ext(file), "."); ext != "" {
		if s, ok := byName[strings.ToLower(ext)]; ok {
			return s
		}
	}
	return &generic
}

// Mode is what the scanner is inside.
type Mode uint8

const (
	Code Mode = iota
	String
	LineComment
	BlockComment
)

// State is where a scan stands: in code, or inside a string (with its quote) or a comment.
type State struct {
	Mode  Mode
	Quote string // the string's closing quote
}

// InString reports whether the state is inside a string literal.
func (s State) InString() bool { return s.Mode == String }

// Scan walks text from st and calls code(i, ch) for every byte of code (outside strings and
// comments, quotes and comment markers excluded) until it returns false; it returns the state
// after the last byte walked. code may be nil.
func (sy *Syntax) Scan(text string, st State, code func(i int, ch byte) bool) State {
	for i := 0; i < len(text); i++ {
		ch := text[i]
		switch st.Mode {
		case LineComment:
			if ch == '\n' {
				st = State{}
			}
			continue
		case BlockComment:
			if strings.HasPrefix(text[i:], sy.BlockClose) {
				i += len(sy.BlockClose) - 1
				st = State{}
			}
			continue
		case String:
			raw := st.Quote == "`" || len(st.Quote) == 3
			if ch == '\\' && (!raw || sy.RawEscapes || len(st.Quote) == 3) {
				i++ // the next byte (an escaped quote or line break) stays in the string
				continue
			}
			if strings.HasPrefix(text[i:], st.Quote) {
				i += len(st.Quote) - 1
				st = State{}
			} else if ch == '\n' && !raw {
				st = State{} // an unterminated single-line string ends with its line
			}
			continue
		}
		if n := sy.opens(text, i); n > 0 {
			st = sy.openState(text[i : i+n])
			i += n - 1
			continue
		}
		if code != nil && !code(i, ch) {
			return st
		}
	}
	return st
}

// opens returns the length of the string quote or comment marker that starts at text[i] (0 when
// none does).
func (sy *Syntax) opens(text string, i int) int {
	ch := text[i]
	if !sy.starts[ch] {
		return 0
	}
	if sy.Triple && (ch == '"' || ch == '\'') && strings.HasPrefix(text[i:], strings.Repeat(string(ch), 3)) {
		return 3
	}
	if strings.IndexByte(sy.Quotes, ch) >= 0 {
		if ch == '\'' && sy.CharQuote && !charLiteral(text[i:]) {
			return 0
		}
		return 1
	}
	if strings.IndexByte(sy.Raw, ch) >= 0 {
		return 1
	}
	if sy.BlockOpen != "" && strings.HasPrefix(text[i:], sy.BlockOpen) {
		return len(sy.BlockOpen)
	}
	for _, lc := range sy.LineComments {
		if strings.HasPrefix(text[i:], lc) {
			return len(lc)
		}
	}
	if sy.HashAfterSpace && ch == '#' && (i == 0 || text[i-1] == ' ' || text[i-1] == '\t' || text[i-1] == '\n') {
		return 1
	}
	return 0
}

func (sy *Syntax) openState(marker string) State {
	switch {
	case marker == sy.BlockOpen:
		return State{Mode: BlockComment}
	case strings.IndexByte(sy.Quotes, marker[0]) >= 0 || strings.IndexByte(sy.Raw, marker[0]) >= 0:
		return State{Mode: String, Quote: marker}
	}
	return State{Mode: LineComment}
}

// charLiteral reports whether s (starting with ') is a character literal such as 'a', '\n' or
// '\u{1F600}', not a lifetime ('a).
func charLiteral(s string) bool {
	if len(s) > 2 && s[1] == '\\' {
		end := min(len(s), 14)
		for j := 3; j < end; j++ {
			if s[j] == '\'' {
				return true
			}
		}
		return false
	}
	_, n := utf8.DecodeRuneInString(s[1:])
	return len(s) > 1+n && s[1] != '\'' && s[1+n] == '\''
}

// LineStates returns the state at the start of each line of text (a line that starts inside a
// multi-line string or comment continues it: its indentation is not code's).
func (sy *Syntax) LineStates(text string) []State {
	out := []State{{}}
	st := State{}
	for {
		i := strings.IndexByte(text, '\n')
		if i < 0 {
			return out
		}
		st = sy.Scan(text[:i+1], st, nil)
		out = append(out, st)
		text = text[i+1:]
	}
}
