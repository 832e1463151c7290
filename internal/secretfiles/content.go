package secretfiles

import (
	"strings"
	"sync"
)

// Content rules catch credentials in a file whose name is innocent (a key pasted into
// config.go, a service-account JSON saved as app.json): a file whose text trips one is treated
// as a secret file wherever its text would go (a prompt, the index, a cache key).
//
// Each rule is a literal marker found with strings.Index (fast: most files hold none of them)
// and a check of what follows it, so that code that merely names the format (a PEM parser, an
// SDK reading "aws_secret_access_key" from a map) does not trip it. A match means "this looks
// like a live credential": test fixtures with real-looking keys are denied too, on purpose.
type contentRule struct {
	what   string // what the file seems to hold, for the user ("a private key")
	marker string
	// ahead bounds how many bytes after the marker valid reads: a change further away cannot
	// make or unmake this rule's match (sniffChange relies on it).
	ahead int
	// valid reports whether the text after the marker (at most ahead bytes) completes a
	// credential.
	valid func(after string) bool
}

// pemAhead bounds how far past "-----BEGIN " the PEM rule looks (a 4096-bit RSA key is about
// 3.2 KiB).
const pemAhead = 16 << 10

var contentRules = []contentRule{
	{"a private key", "-----BEGIN ", pemAhead, pemPrivateKey},
	{"a private key", "PuTTY-User-Key-File-", 4096, func(a string) bool { return strings.Contains(a, "Private-Lines:") }},
	{"an AWS secret access key", "aws_secret_access_key", awsAhead, awsSecretValue},
	{"an AWS secret access key", "AWS_SECRET_ACCESS_KEY", awsAhead, awsSecretValue},
	{"an Azure storage account key", "AccountKey=", 86, func(a string) bool { return runOf(a, isBase64) >= 86 }},
	{"a GitHub token", "ghp_", 36, tokenOf(36, isAlnum)},
	{"a GitHub token", "gho_", 36, tokenOf(36, isAlnum)},
	{"a GitHub token", "ghu_", 36, tokenOf(36, isAlnum)},
	{"a GitHub token", "ghs_", 36, tokenOf(36, isAlnum)},
	{"a GitHub token", "ghr_", 36, tokenOf(36, isAlnum)},
	{"a GitHub token", "github_pat_", 82, tokenOf(82, isTokenByte)},
	{"a GitLab token", "glpat-", 20, tokenOf(20, isTokenByte)},
	{"a Slack token", "xoxb-", 20, tokenOf(20, isTokenByte)},
	{"a Slack token", "xoxp-", 20, tokenOf(20, isTokenByte)},
	{"a Stripe secret key", "sk_live_", 24, tokenOf(24, isAlnum)},
}

// Sniff reports what credential text seems to hold ("a private key", "a GitHub token"), or ""
// when none. It reads the whole text; on code without any marker it runs at memory speed.
func Sniff(text string) string {
	for _, r := range contentRules {
		if r.find(text, 0, len(text)) {
			return r.what
		}
	}
	return ""
}

// find reports whether a match of r begins in text[lo:hi).
func (r *contentRule) find(text string, lo, hi int) bool {
	hi = min(len(text), hi+len(r.marker)-1) // a marker that begins before hi
	for from := lo; from < hi; {
		i := strings.Index(text[from:hi], r.marker)
		if i < 0 {
			return false
		}
		start := from + i + len(r.marker)
		if r.valid(text[start:min(len(text), start+r.ahead)]) {
			return true
		}
		from = start
	}
	return false
}

// Sniff is Sniff(text) for the document key (its path), remembered per key (see Sniffer), so
// that consumers take a Matcher as their one view of the secret rules. key "" remembers
// nothing.
func (m *Matcher) Sniff(key, text string) string { return m.sniffer.Sniff(key, text) }

// pemPrivateKey: "-----BEGIN <type> PRIVATE KEY-----" (RSA, EC, DSA, OPENSSH, ENCRYPTED, none,
// or "PGP PRIVATE KEY BLOCK"), then a body of at least 64 base64 characters. The body is read
// as a key is written — base64, whitespace, header lines ("Proc-Type: 4,ENCRYPTED"), and in
// source or JSON "\n" escapes, quotes and "+" between string pieces — and ends at the END line
// or the first other byte, so code that merely spells the header (a parser, a
// fmt.Sprintf("-----BEGIN %s PRIVATE KEY-----\n", k)) is no key.
func pemPrivateKey(after string) bool {
	eol := strings.Index(after, "-----")
	if eol < 0 || eol > 40 {
		return false
	}
	label := after[:eol]
	if !strings.HasSuffix(label, "PRIVATE KEY") && !strings.HasSuffix(label, "PRIVATE KEY BLOCK") {
		return false
	}
	body := after[eol+5:]
	n := 0
	for i := 0; i < len(body) && n < 64; i++ {
		c := body[i]
		switch {
		case isBase64(c):
			n++
		case c == '\\' && i+1 < len(body) && (body[i+1] == 'n' || body[i+1] == 'r'):
			i++ // an escaped line break
		case c == '-':
			if strings.HasPrefix(body[i:], "-----END ") {
				return false // ended before 64 characters
			}
			// a header line's value ("DEK-Info: AES-128-CBC")
		case strings.IndexByte(" \t\r\n=\"'`+,:", c) >= 0:
		default:
			return false
		}
	}
	return n >= 64
}

// awsSecretValue: `aws_secret_access_key = wJalr…` in a credentials or env file, `"…": "…"`
// in JSON or YAML: up to a few separator bytes, then exactly 40 base64 characters.
const awsAhead = 8 + 41

func awsSecretValue(after string) bool {
	i := 0
	for i < len(after) && i < 8 && strings.IndexByte(" \t\"'`=:", after[i]) >= 0 {
		i++
	}
	if i == 0 || !strings.ContainsAny(after[:i], "=:") {
		return false
	}
	return runOf(after[i:], isBase64) == 40
}

// tokenOf accepts at least n bytes of ok right after the marker.
func tokenOf(n int, ok func(byte) bool) func(string) bool {
	return func(after string) bool { return runOf(after, ok) >= n }
}

// runOf counts how many leading bytes of s satisfy ok.
func runOf(s string, ok func(byte) bool) int {
	i := 0
	for i < len(s) && ok(s[i]) {
		i++
	}
	return i
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isBase64(c byte) bool { return isAlnum(c) || c == '+' || c == '/' }

func isTokenByte(c byte) bool { return isAlnum(c) || c == '_' || c == '-' }

// Sniffer remembers the last text it sniffed per document, so that a keystroke costs a sniff
// of the bytes around the change, not of the whole file (a completion request sniffs its
// document on every keystroke). Safe for concurrent use.
type Sniffer struct {
	mu    sync.Mutex
	last  map[string]sniffed // by document key (its path)
	bytes int                // the texts' total size
}

type sniffed struct {
	text string // kept so that the comparison with the next text is sound
	what string
}

// snifferMax and snifferBytes bound the remembered documents (then they start over): the open
// files, in practice. A text larger than the byte budget is sniffed whole each time.
const (
	snifferMax   = 256
	snifferBytes = 32 << 20
)

// Sniff is Sniff(text) for the document key, computed from the change since the last text
// sniffed for it when that one was clean.
func (s *Sniffer) Sniff(key, text string) string {
	if key == "" {
		return Sniff(text)
	}
	s.mu.Lock()
	prev, ok := s.last[key]
	s.mu.Unlock()
	var what string
	switch {
	case ok && prev.text == text:
		return prev.what
	case ok && prev.what == "":
		what = sniffChange(prev.text, text)
	default:
		what = Sniff(text)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.last[key]; ok {
		s.bytes -= len(old.text)
		delete(s.last, key)
	}
	if len(text) > snifferBytes {
		return what
	}
	if s.last == nil || len(s.last) >= snifferMax || s.bytes+len(text) > snifferBytes {
		s.last, s.bytes = map[string]sniffed{}, 0
	}
	s.last[key] = sniffed{text, what}
	s.bytes += len(text)
	return what
}

// sniffChange is Sniff(now) when old was clean: a match in now must read some byte that
// differs from old, so each rule is searched only where its marker plus lookahead reaches the
// changed span.
func sniffChange(old, now string) string {
	p := commonPrefix(old, now)
	q := commonSuffix(old[p:], now[p:])
	lo, hi := p, len(now)-q // now[lo:hi] replaced old[p:len(old)-q]
	for _, r := range contentRules {
		if r.find(now, max(0, lo-len(r.marker)-r.ahead), hi+1) {
			return r.what
		}
	}
	return ""
}

// commonPrefix is the length of a's and b's common prefix: whole blocks compared with ==
// (memequal runs at memory speed), then bytes in the first block that differs.
func commonPrefix(a, b string) int {
	const block = 1 << 10
	n := min(len(a), len(b))
	i := 0
	for i+block <= n && a[i:i+block] == b[i:i+block] {
		i += block
	}
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

// commonSuffix is the length of a's and b's common suffix.
func commonSuffix(a, b string) int {
	const block = 1 << 10
	n := min(len(a), len(b))
	i := 0
	for i+block <= n && a[len(a)-i-block:len(a)-i] == b[len(b)-i-block:len(b)-i] {
		i += block
	}
	for i < n && a[len(a)-1-i] == b[len(b)-1-i] {
		i++
	}
	return i
}
