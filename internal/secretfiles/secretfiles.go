// Package secretfiles decides which files must never reach a model, an index or a cache: a
// built-in denylist of files that usually hold credentials, plus the user's own globs. It is a
// leaf (completion and workspace indexing both consult it; it imports nothing of ours).
//
// Rules, chosen so that a mistake denies too much rather than leaks:
//   - Matching is case-insensitive: on macOS and Windows ".ENV" is the same file as ".env".
//   - ".env*" includes templates such as ".env.example": they are often filled with real values
//     by mistake and completion does not need them. A user who wants them back writes an
//     exception ("!.env.example").
//   - Built-in name rules look at the file's own name only, so "pkg/credentials/provider.go"
//     (a Go package called credentials) is not denied, but "credentials.json" is.
//   - ".ssh", ".aws" and ".gnupg" deny everything beneath them, at any depth.
//
// User globs (doublestar syntax: *, ?, [a-z], {a,b}, ** across directories) follow .gitignore
// habits: a glob without a slash matches a file or directory name at any depth (a matching
// directory denies everything under it); a glob with a slash matches a trailing part of the
// path at directory boundaries ("config/*.yaml" matches "/home/me/app/config/prod.yaml"); a
// leading slash anchors it to the start of the path as given (workspace-relative or absolute);
// a leading "!" makes an exception that allows what an earlier rule denied.
package secretfiles

import (
	"fmt"
	"path"
	"strings"
	"sync"

	"github.com/bmatcuk/doublestar/v4"
)

// Builtin is the denylist every Matcher starts with (documentation and tests read it).
var Builtin = []string{
	// names of the file itself
	".env*", "*.env", "*.pem", "*.key", "id_rsa*", "id_ed25519*", "id_ecdsa*", "id_dsa*", "deploy_key*",
	".netrc", "*.p12", "*.pfx", "*.jks", "*.keystore", "*.ovpn",
	".npmrc", ".pypirc", ".git-credentials", ".pgpass", ".htpasswd", "credentials*", "secrets.*",
	"*.tfvars", "*.tfvars.json", "*.tfstate", "*.tfstate.*",
	// a trailing part of the path
	".kube/config", ".docker/config.json",
	// directories: everything beneath, at any depth
	".ssh/", ".aws/", ".gnupg/",
}

type kind int

const (
	fileName kind = iota // the last element's name (built-in names)
	anyName              // any element's name: the file or one of its directories
	dirName              // one of the directories (all elements but the last)
	tail                 // a trailing part of the path, at a directory boundary
	anchored             // the path from its start
)

type rule struct {
	src   string // as written, for errors and debugging
	glob  string // lower-case, slash-separated
	kind  kind
	allow bool // an exception ("!glob")
}

// Matcher reports whether a path is a secret file. Its rules never change after New; it is safe
// for concurrent use (Match remembers verdicts under a mutex).
type Matcher struct {
	rules []rule

	// seen remembers verdicts: every completion asks about the same few open files, and
	// matching ~30 globs each time was an eighth of a cache hit's CPU.
	mu   sync.Mutex
	seen map[string]bool

	sniffer Sniffer // content rules (content.go)
}

// seenMax bounds the remembered verdicts (then they start over).
const seenMax = 4096

// New returns a Matcher for the built-in denylist plus extra (user globs; blanks are ignored).
// A malformed glob is an error that names it.
func New(extra []string) (*Matcher, error) {
	m := &Matcher{}
	for _, g := range Builtin {
		r, err := parse(g, true)
		if err != nil {
			return nil, err // a bug in Builtin: tests catch it
		}
		m.rules = append(m.rules, r)
	}
	for _, g := range extra {
		if strings.TrimSpace(g) == "" {
			continue
		}
		r, err := parse(strings.TrimSpace(g), false)
		if err != nil {
			return nil, err
		}
		m.rules = append(m.rules, r)
	}
	return m, nil
}

// Split turns the comma-separated configuration form into globs. Commas inside braces belong
// to the glob ("*.{pem,crt}"), so they do not split.
func Split(list string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(list); i++ {
		switch list[i] {
		case '\\':
			i++ // an escaped character is never a separator or a brace
		case '{':
			depth++
		case '}':
			if depth > 0 {
				depth--
			}
		case ',':
			if depth == 0 {
				out = appendNonBlank(out, list[start:i])
				start = i + 1
			}
		}
	}
	return appendNonBlank(out, list[min(start, len(list)):])
}

func appendNonBlank(out []string, s string) []string {
	if s = strings.TrimSpace(s); s != "" {
		out = append(out, s)
	}
	return out
}

func parse(src string, builtin bool) (rule, error) {
	r := rule{src: src}
	g := src
	if !builtin {
		if rest, ok := strings.CutPrefix(g, "!"); ok {
			r.allow, g = true, rest
		}
	}
	g = strings.ToLower(g)
	dirOnly := strings.HasSuffix(g, "/")
	g = strings.TrimRight(g, "/")
	switch {
	case g == "":
		return r, fmt.Errorf("secret file glob %q matches nothing", src)
	case dirOnly && !strings.Contains(g, "/"):
		r.kind = dirName
	case strings.HasPrefix(g, "/"):
		r.kind, g = anchored, strings.TrimLeft(g, "/")
	case strings.Contains(g, "/"):
		r.kind = tail
	case builtin:
		r.kind = fileName
	default:
		r.kind = anyName
	}
	if !doublestar.ValidatePattern(g) {
		return r, fmt.Errorf("secret file glob %q is malformed (unclosed [ or {, or a trailing \\)", src)
	}
	r.glob = g
	return r, nil
}

// Match reports whether path (absolute or workspace-relative, "/" or "\" separators) is a
// secret. A path ending in a separator is a directory: its own name is then tested by directory
// rules too. The empty path is not a secret.
func (m *Matcher) Match(p string) bool {
	m.mu.Lock()
	v, ok := m.seen[p]
	m.mu.Unlock()
	if ok {
		return v
	}
	v = m.match(p)
	m.mu.Lock()
	if m.seen == nil || len(m.seen) >= seenMax {
		m.seen = map[string]bool{}
	}
	m.seen[p] = v
	m.mu.Unlock()
	return v
}

// MatchUncached is Match without remembering the verdict: for a walk over a whole workspace,
// whose thousands of paths would only push out the open files' verdicts.
func (m *Matcher) MatchUncached(p string) bool { return m.match(p) }

func (m *Matcher) match(p string) bool {
	p = strings.ToLower(strings.ReplaceAll(p, `\`, "/"))
	isDir := strings.HasSuffix(p, "/")
	p = strings.TrimLeft(path.Clean("/"+p), "/")
	if p == "" {
		return false
	}
	elems := strings.Split(p, "/")
	denied := false
	for _, r := range m.rules {
		// Later exceptions allow, later denials deny again: the last matching rule wins.
		if r.allow == denied && r.match(p, elems, isDir) {
			denied = !r.allow
		}
	}
	return denied
}

func (r *rule) match(p string, elems []string, isDir bool) bool {
	switch r.kind {
	case fileName:
		return doublestar.MatchUnvalidated(r.glob, elems[len(elems)-1])
	case anyName, dirName:
		dirs := len(elems) - 1
		if isDir || r.kind == anyName {
			dirs = len(elems)
		}
		for _, e := range elems[:dirs] {
			if doublestar.MatchUnvalidated(r.glob, e) {
				return true
			}
		}
		return false
	case tail:
		// "**/" lets it start at any directory; "/**" denies what lies beneath a match.
		return doublestar.MatchUnvalidated("**/"+r.glob, p) || doublestar.MatchUnvalidated("**/"+r.glob+"/**", p)
	default: // anchored
		return doublestar.MatchUnvalidated(r.glob, p) || doublestar.MatchUnvalidated(r.glob+"/**", p)
	}
}
