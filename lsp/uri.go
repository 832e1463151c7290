package lsp

import (
	"net/url"
	"path"
	"runtime"
	"strings"
)

// The one conversion between file: URIs and filesystem paths (RFC 8089, as VS Code and
// Neovim write them). On Windows "file:///c%3A/Users/me/a.go" is C:\Users\me\a.go (not
// \c:\Users\…) and "file://server/share/a.go" is the UNC path \\server\share\a.go; elsewhere
// a URI with a host other than localhost names no local file.

const onWindows = runtime.GOOS == "windows"

// uriPath returns the filesystem path of a file: URI ("" when it is not one, or names no
// local file).
func uriPath(u string) string { return uriToPath(u, onWindows) }

// FileURI is the file: URI of an absolute filesystem path.
func FileURI(p string) string { return pathToURI(p, onWindows) }

// fileURI is FileURI (the package's own spelling).
func fileURI(p string) string { return FileURI(p) }

func uriToPath(u string, windows bool) string {
	if len(u) < 5 || !strings.EqualFold(u[:5], "file:") {
		return ""
	}
	var p, host string
	if parsed, err := url.Parse(u); err == nil && parsed.Opaque == "" {
		p, host = parsed.Path, parsed.Host
	} else {
		// url.Parse refuses what editors do send (VS Code escapes the authority:
		// file://wsl%24/Ubuntu/…): split and unescape by hand, so the secret-file rules still
		// see the path. A part that does not unescape is taken as it is.
		rest, ok := strings.CutPrefix(u[5:], "//")
		if !ok {
			return ""
		}
		host, p = rest, "/"
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			host, p = rest[:i], rest[i:]
		}
		p, _, _ = strings.Cut(p, "#")
		p, _, _ = strings.Cut(p, "?")
		if h, err := url.PathUnescape(host); err == nil {
			host = h
		}
		if q, err := url.PathUnescape(p); err == nil {
			p = q
		}
	}
	if strings.EqualFold(host, "localhost") {
		host = ""
	}
	if !windows {
		if host != "" || p == "" {
			return ""
		}
		return p
	}
	if host != "" { // UNC
		if p == "" {
			p = "/"
		}
		return `\\` + host + strings.ReplaceAll(p, "/", `\`)
	}
	if len(p) >= 3 && p[0] == '/' && isDriveLetter(p[1]) && p[2] == ':' {
		p = p[1:] // "/C:/x" is C:/x
		p = strings.ToUpper(p[:1]) + p[1:]
		if len(p) == 2 {
			p += "/" // "file:///C:" is the drive's root
		}
	} else {
		return "" // no drive, no host: not a Windows path
	}
	return strings.ReplaceAll(p, "/", `\`)
}

func pathToURI(p string, windows bool) string {
	if !windows {
		return (&url.URL{Scheme: "file", Path: p}).String()
	}
	s := strings.ReplaceAll(p, `\`, "/")
	if strings.HasPrefix(s, "//") { // UNC: \\server\share\x
		rest := s[2:]
		host, tail, _ := strings.Cut(rest, "/")
		return (&url.URL{Scheme: "file", Host: host, Path: "/" + tail}).String()
	}
	if len(s) >= 2 && isDriveLetter(s[0]) && s[1] == ':' {
		s = "/" + s
	}
	return (&url.URL{Scheme: "file", Path: path.Clean(s)}).String()
}

func isDriveLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
