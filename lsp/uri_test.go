package lsp

import "testing"

// TestURIPathConversion: the URIs editors send on each platform become the right paths, and
// paths become URIs that convert back (VS Code lowercases the drive and escapes its colon).
func TestURIPathConversion(t *testing.T) {
	for _, tc := range []struct {
		uri     string
		windows bool
		path    string
	}{
		{"file:///home/me/a%20b/x.go", false, "/home/me/a b/x.go"},
		{"file://localhost/home/me/x.go", false, "/home/me/x.go"},
		{"file://server/share/x.go", false, ""},
		{"untitled:Untitled-1", false, ""},
		{"FILE:///tmp/x", false, "/tmp/x"},
		{"file:///c%3A/Users/me/x.go", true, `C:\Users\me\x.go`},
		{"file:///C:/Users/me/a%20b.go", true, `C:\Users\me\a b.go`},
		{"file:///d:", true, `D:\`},
		{"file://server/share/dir/x.go", true, `\\server\share\dir\x.go`},
		{"file:///no/drive", true, ""},
		{"file:///home/me/%E4%B8%96.go", false, "/home/me/世.go"},
		{"file://wsl%24/Ubuntu/home/me/.env", true, `\\wsl$\Ubuntu\home\me\.env`},
		{"file:///home/me/100%/.env", false, "/home/me/100%/.env"},
	} {
		if got := uriToPath(tc.uri, tc.windows); got != tc.path {
			t.Errorf("uriToPath(%q, windows=%v) = %q, want %q", tc.uri, tc.windows, got, tc.path)
		}
	}
	for _, tc := range []struct {
		path    string
		windows bool
		uri     string
	}{
		{"/home/me/a b/x.go", false, "file:///home/me/a%20b/x.go"},
		{`C:\Users\me\x.go`, true, "file:///C:/Users/me/x.go"},
		{`\\server\share\x.go`, true, "file://server/share/x.go"},
		{"/tmp/#1?.go", false, "file:///tmp/%231%3F.go"},
	} {
		got := pathToURI(tc.path, tc.windows)
		if got != tc.uri {
			t.Errorf("pathToURI(%q, windows=%v) = %q, want %q", tc.path, tc.windows, got, tc.uri)
		}
		if back := uriToPath(got, tc.windows); back != tc.path {
			t.Errorf("round trip of %q: %q", tc.path, back)
		}
	}
}

func FuzzURIRoundTrip(f *testing.F) {
	f.Add("/home/me/x.go", false)
	f.Add(`C:\Users\me\x.go`, true)
	f.Add(`\\srv\share\x`, true)
	f.Fuzz(func(t *testing.T, p string, windows bool) {
		u := pathToURI(p, windows)
		back := uriToPath(u, windows)
		if back == "" {
			return // not a path this platform has (relative, no drive)
		}
		// Once a path has been through a URI, it survives another trip unchanged.
		if again := uriToPath(pathToURI(back, windows), windows); again != back {
			t.Fatalf("%q -> %q -> %q -> %q", p, u, back, again)
		}
	})
}
