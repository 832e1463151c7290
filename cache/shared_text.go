package cache

import (
	"fmt"
	"unicode/utf8"
)

// checkSharedText refuses a text answer (a completion, an action) from the shared tier that no
// model answer of ours would be put in front of a user as: invalid UTF-8, a control character
// other than tab and line breaks (an escape sequence can rewrite a terminal or a log viewer),
// or a bidirectional control (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C: "Trojan
// Source" text that reads differently from how it runs). Such a value is corrupt: a miss.
func checkSharedText(v []byte) error {
	for i := 0; i < len(v); {
		c := v[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
				return fmt.Errorf("%w: control character %#x in a shared answer", ErrCorruptValue, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(v[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			return fmt.Errorf("%w: invalid UTF-8 in a shared answer", ErrCorruptValue)
		case r >= 0x80 && r <= 0x9f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069,
			r == 0x200e, r == 0x200f, r == 0x061c:
			return fmt.Errorf("%w: control character %U in a shared answer", ErrCorruptValue, r)
		}
		i += n
	}
	return nil
}
