package secretfiles

import (
	"strings"
	"testing"
)

func mustNew(t testing.TB, extra ...string) *Matcher {
	t.Helper()
	m, err := New(extra)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestBuiltin pins the built-in denylist, including the near misses users trip on.
func TestBuiltin(t *testing.T) {
	m := mustNew(t)
	for _, tc := range []struct {
		path string
		want bool
	}{
		{".env", true},
		{".env.local", true},
		{".env.production", true},
		{".env.example", true}, // a template, but often filled in by mistake: deny (exception: "!.env.example")
		{".envrc", true},       // direnv: exports credentials
		{".ENV", true},         // case-insensitive filesystems
		{"app/.Env.Local", true},
		{"environment.go", false},
		{"env.go", false},
		{"config/env/prod.go", false},
		{"server.pem", true},
		{"certs/CA.PEM", true},
		{"tls.key", true},
		{"keyboard.go", false},
		{"key.go", false},
		{"monkey.keys", false},
		{"id_rsa", true},
		{"id_rsa.pub", true},
		{"id_ed25519", true},
		{"id_ecdsa", true},
		{"keys/id_dsa", true},
		{"ci/deploy_key", true},
		{"deploy_key.pub", true},
		{"prod.env", true},
		{".git-credentials", true},
		{"/home/me/.pgpass", true},
		{"site/.htpasswd", true},
		{"infra/terraform.tfvars", true},
		{"infra/prod.tfvars.json", true},
		{"terraform.tfstate", true},
		{"terraform.tfstate.backup", true},
		{"infra/main.tf", false},
		{"/home/me/.kube/config", true},
		{"/home/me/.kube/cache/x.json", false},
		{"kube/config", false},
		{"/home/me/.docker/config.json", true},
		{"docker/config.json", false},
		{"release.jks", true},
		{"app.keystore", true},
		{"vpn/office.ovpn", true},
		{"/home/me/.ssh/id_ecdsa", true},
		{"/home/me/.ssh/config", true},
		{"/home/me/.ssh/", true},
		{"/home/me/.ssh", false}, // a file named .ssh: only what lies under the directory
		{"deep/down/.aws/credentials", true},
		{".aws/config", true},
		{".gnupg/pubring.kbx", true},
		{"x/.GnuPG/trustdb.gpg", true},
		{"docs/ssh.md", false},
		{".netrc", true},
		{"cert.p12", true},
		{"cert.pfx", true},
		{".npmrc", true},
		{".pypirc", true},
		{"credentials", true},
		{"credentials.json", true},
		{"Credentials.yml", true},
		{"pkg/credentials/provider.go", false}, // a package named credentials is code
		{"secrets.yaml", true},
		{"secrets", false},
		{"secrets/app.go", false},
		{"my_secrets.yaml", false},
		{"main.go", false},
		{"", false},
		{".", false},
		{"/", false},
		// separators and forms
		{`C:\Users\me\.ssh\id_rsa`, true},
		{`C:\Users\me\project\.env`, true},
		{`C:\Users\me\project\main.go`, false},
		{"./.env", true},
		{"a/../.env", true},
		{"/abs/path/to/server.key", true},
	} {
		if got := m.Match(tc.path); got != tc.want {
			t.Errorf("Match(%q) = %t, want %t", tc.path, got, tc.want)
		}
	}
}

// TestUserGlobs pins how user globs extend (and except from) the denylist.
func TestUserGlobs(t *testing.T) {
	for _, tc := range []struct {
		name  string
		globs []string
		path  string
		want  bool
	}{
		{"name at any depth", []string{"*.secret"}, "a/b/c.secret", true},
		{"name is case-insensitive", []string{"*.Secret"}, "A/C.SECRET", true},
		{"name denies a directory's contents", []string{"private"}, "src/private/x.go", true},
		{"name does not match a part", []string{"private"}, "src/privately.go", false},
		{"trailing slash: directory only", []string{"vault/"}, "x/vault/a.go", true},
		{"trailing slash: not a file", []string{"vault/"}, "x/vault", false},
		{"path glob at a boundary", []string{"config/prod/*.yaml"}, "/home/me/app/config/prod/db.yaml", true},
		{"path glob not mid-name", []string{"config/prod/*.yaml"}, "/home/me/app/myconfig/prod/db.yaml", false},
		{"path glob denies beneath", []string{"config/prod"}, "app/config/prod/db/x.yaml", true},
		{"doublestar", []string{"deploy/**/*.tfvars"}, "infra/deploy/eu/west/main.tfvars", true},
		{"doublestar zero dirs", []string{"deploy/**/*.tfvars"}, "deploy/main.tfvars", true},
		{"braces", []string{"*.{crt,jks}"}, "a/store.jks", true},
		{"anchored relative", []string{"/local/*.json"}, "local/dev.json", true},
		{"anchored is not a tail", []string{"/local/*.json"}, "x/local/dev.json", false},
		{"anchored absolute", []string{"/home/me/work/**"}, "/home/me/work/a/b.go", true},
		{"exception", []string{"!.env.example"}, "svc/.env.example", false},
		{"exception keeps others", []string{"!.env.example"}, "svc/.env", true},
		{"exception of a user glob", []string{"*.yaml", "!ci.yaml"}, "ci.yaml", false},
		{"last rule wins", []string{"!ci.yaml", "*.yaml"}, "ci.yaml", true},
		{"blank entries ignored", []string{"", "  "}, "main.go", false},
		{"surrounding spaces", []string{"  *.secret "}, "a.secret", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := mustNew(t, tc.globs...)
			if got := m.Match(tc.path); got != tc.want {
				t.Errorf("globs %q: Match(%q) = %t, want %t", tc.globs, tc.path, got, tc.want)
			}
		})
	}
}

func TestNewRejectsBadGlobs(t *testing.T) {
	for _, g := range []string{"[abc", "*.{pem,key", `foo\`, "!", "/", "[]"} {
		_, err := New([]string{"*.ok", g})
		if err == nil {
			t.Errorf("New(%q) accepted a malformed glob", g)
			continue
		}
		if !strings.Contains(err.Error(), g) {
			t.Errorf("error does not name the glob %q: %v", g, err)
		}
	}
}

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{" , ,", nil},
		{"*.a,*.b", []string{"*.a", "*.b"}},
		{" *.a , dir/ ", []string{"*.a", "dir/"}},
		{"*.{pem,crt},x", []string{"*.{pem,crt}", "x"}},
		{`a\,b,c`, []string{`a\,b`, "c"}},
		{"{a,{b,c}},d", []string{"{a,{b,c}}", "d"}},
	} {
		got := Split(tc.in)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
			t.Errorf("Split(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzMatch checks invariances that must hold for any path: the separator style, ASCII case
// and the directory a workspace lives in do not change the answer for the built-in list.
func FuzzMatch(f *testing.F) {
	for _, s := range []string{".env", "a/b/.ssh/x", "keyboard.go", "x/credentials.json", "main.go",
		`C:\x\.aws\config`, "..", "a/", "/", "", ".ENV.local", "{a,b}", "[x]"} {
		f.Add(s)
	}
	m := mustNew(f)
	user := mustNew(f, "*.secret", "conf/**/*.yaml", "!.env.example")
	f.Fuzz(func(t *testing.T, p string) {
		got := m.Match(p)
		user.Match(p) // must not panic
		if b := strings.ReplaceAll(p, "/", `\`); m.Match(b) != got {
			t.Errorf("Match(%q) = %t but Match(%q) = %t", p, got, b, !got)
		}
		if u := asciiUpper(p); m.Match(u) != got {
			t.Errorf("Match(%q) = %t but Match(%q) = %t", p, got, u, !got)
		}
		if strings.Contains(p, "..") || strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`) {
			return
		}
		if abs := "/home/user/project/" + p; m.Match(abs) != got {
			t.Errorf("Match(%q) = %t but Match(%q) = %t", p, got, abs, !got)
		}
		if strings.Trim(p, `/\.`) != "" && !m.Match("x/.ssh/"+p) {
			t.Errorf("Match(%q) = false under .ssh/", "x/.ssh/"+p)
		}
	})
}

func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func BenchmarkMatch(b *testing.B) {
	m := mustNew(b, "*.secret", "config/prod/*.yaml", "!.env.example")
	for b.Loop() {
		m.Match("/home/me/src/github.com/acme/service/internal/handlers/user.go")
	}
}
