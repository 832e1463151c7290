package secretfiles

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The credentials below are built at run time from repeated characters, so this file does not
// itself hold anything that looks live.
func b64(n int) string { return strings.Repeat("Ab3+", n/4+1)[:n] }

func TestSniffFindsCredentials(t *testing.T) {
	pemBody := strings.Repeat(b64(64)+"\n", 4)
	cases := map[string]string{
		"rsa pem":         "-----BEGIN RSA PRIVATE KEY-----\n" + pemBody + "-----END RSA PRIVATE KEY-----\n",
		"pkcs8 in go":     "package x\n\nconst key = `-----BEGIN PRIVATE KEY-----\n" + pemBody + "-----END PRIVATE KEY-----`\n",
		"openssh":         "-----BEGIN OPENSSH PRIVATE KEY-----\n" + pemBody,
		"pgp":             "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n" + pemBody + "-----END PGP PRIVATE KEY BLOCK-----",
		"encrypted pem":   "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0123ABCD\n\n" + pemBody + "-----END RSA PRIVATE KEY-----\n",
		"go concatenated": "var k = \"-----BEGIN EC PRIVATE KEY-----\\n\" +\n\t\"" + b64(64) + "\\n\" +\n\t\"" + b64(64) + "\\n\" +\n\t\"-----END EC PRIVATE KEY-----\\n\"\n",
		"service account": `{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\n` + strings.ReplaceAll(pemBody, "\n", `\n`) + `-----END PRIVATE KEY-----\n"}`,
		"putty":           "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nPublic-Lines: 2\nAAAA\nPrivate-Lines: 1\nAAAA\n",
		"aws ini":         "[default]\naws_access_key_id = AKIA0000000000000000\naws_secret_access_key = " + b64(40) + "\n",
		"aws env":         "export AWS_SECRET_ACCESS_KEY=" + b64(40) + "\n",
		"aws json":        `{"aws_secret_access_key": "` + b64(40) + `"}`,
		"azure":           "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=" + b64(86) + "==;EndpointSuffix=core.windows.net",
		"github":          `token := "ghp_` + strings.Repeat("a1", 18) + `"`,
		"github pat":      "GITHUB_TOKEN=github_pat_" + strings.Repeat("a_1", 28),
		"gitlab":          "glpat-" + strings.Repeat("x", 20),
		"slack":           "SLACK=xoxb-" + strings.Repeat("1234-", 5),
		"stripe":          "stripe.Key = \"sk_live_" + strings.Repeat("Z", 24) + "\"",
	}
	for name, text := range cases {
		if Sniff(text) == "" {
			t.Errorf("%s: not caught:\n%s", name, text)
		}
	}
}

func TestSniffLeavesCodeAboutCredentials(t *testing.T) {
	cases := map[string]string{
		"pem parser":     `if strings.HasPrefix(s, "-----BEGIN RSA PRIVATE KEY-----") { return parse(s) }`,
		"header const":   "const h = \"-----BEGIN PRIVATE KEY-----\"\n\nfunc parse(b []byte) (Key, error) {\n\treturn decodeTheBodyOfTheKeyBlockHereAndThenReturnTheResultToTheCaller(b)\n}\n",
		"header format":  "s := fmt.Sprintf(\"-----BEGIN %s PRIVATE KEY-----\\n\", kind)\nout = append(out, s...)\nout = append(out, base64EncodedBodyOfTheKeyWithLinesOfSixtyFourCharactersEach...)\n",
		"public key":     "-----BEGIN PUBLIC KEY-----\n" + strings.Repeat(b64(64)+"\n", 4) + "-----END PUBLIC KEY-----\n",
		"certificate":    "-----BEGIN CERTIFICATE-----\n" + strings.Repeat(b64(64)+"\n", 4) + "-----END CERTIFICATE-----\n",
		"sdk map":        `secret = cfg["aws_secret_access_key"]` + "\n" + `'aws_secret_access_key': secret_key,`,
		"env reference":  `os.Getenv("AWS_SECRET_ACCESS_KEY")`,
		"short value":    "aws_secret_access_key = changeme\n",
		"token prefix":   `if strings.HasPrefix(tok, "ghp_") || strings.HasPrefix(tok, "xoxb-") {`,
		"docs":           "Set AccountKey=<your key> in the connection string.",
		"empty":          "",
		"marker at end":  "-----BEGIN ",
		"label too long": "-----BEGIN " + strings.Repeat("X", 60) + " PRIVATE KEY-----\n" + b64(200),
	}
	for name, text := range cases {
		if got := Sniff(text); got != "" {
			t.Errorf("%s: reported as holding %s:\n%s", name, got, text)
		}
	}
}

// TestSniffOnRealCode counts the files of Go's own sources that trip a rule: only ones that
// really embed keys (crypto test fixtures) may, so a rule that starts matching ordinary code
// fails here.
func TestSniffOnRealCode(t *testing.T) {
	root := filepath.Join(runtime.GOROOT(), "src")
	if _, err := os.Stat(root); err != nil {
		if os.Getenv("MIMI_REQUIRE_ALL") == "1" {
			t.Fatalf("GOROOT/src missing: %v", err)
		}
		t.Skipf("SKIPPED: GOROOT/src not found (%v)", err)
	}
	files, tripped := 0, map[string]string{}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		files++
		if what := Sniff(string(b)); what != "" {
			tripped[strings.TrimPrefix(p, root+"/")] = what
		}
		return nil
	})
	if files < 1000 {
		t.Fatalf("only %d Go files under %s", files, root)
	}
	for p, what := range tripped {
		if !strings.Contains(p, "crypto") && !strings.Contains(p, "tls") && !strings.Contains(p, "ssh") &&
			!strings.Contains(p, "x509") && !strings.Contains(p, "pem") && !strings.Contains(p, "http") {
			t.Errorf("%s: reported as holding %s (not a crypto fixture)", p, what)
		}
	}
	t.Logf("%d of %d Go files in GOROOT/src hold key material by Sniff (%.2f%%)", len(tripped), files, 100*float64(len(tripped))/float64(files))
}

func BenchmarkSniff(b *testing.B) {
	text := strings.Repeat("func f(x int) error { if x > 0 { return fmt.Errorf(\"-- %d\", x) }; return nil }\n", 3000) // ~256 KiB
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if Sniff(text) != "" {
			b.Fatal("code reported as a secret")
		}
	}
}

// TestSnifferFollowsEdits types credentials into code a character at a time, then deletes
// them, then pastes and cuts whole blocks: the incremental verdict equals a full sniff after
// every step.
func TestSnifferFollowsEdits(t *testing.T) {
	code := strings.Repeat("func f(x int) int { return x + 1 }\n", 40)
	secrets := []string{
		"-----BEGIN EC PRIVATE KEY-----\n" + strings.Repeat(b64(64)+"\n", 2) + "-----END EC PRIVATE KEY-----\n",
		"aws_secret_access_key = " + b64(40) + "\n",
		"tok := \"ghp_" + strings.Repeat("a1", 18) + "\"\n",
	}
	var s Sniffer
	check := func(step, text string) {
		t.Helper()
		if got, want := s.Sniff("doc", text), Sniff(text); got != want {
			t.Fatalf("%s: Sniffer says %q, a full sniff %q", step, got, want)
		}
	}
	for _, sec := range secrets {
		at := len(code) / 2
		text := code
		check("start", text)
		for i := 1; i <= len(sec); i++ { // typing
			text = code[:at] + sec[:i] + code[at:]
			check("typing", text)
		}
		if Sniff(text) == "" {
			t.Fatalf("typed secret not caught: %q", sec)
		}
		for i := len(sec) - 1; i >= 0; i-- { // backspacing
			text = code[:at] + sec[:i] + code[at:]
			check("deleting", text)
		}
		check("paste", code[:10]+sec+code[10:])
		check("cut", code)
		// a value completed far from its marker: the marker typed first, the value later
		check("marker", code[:at]+sec[:len(sec)/2]+code[at:])
		check("value", code[:at]+sec+code[at:])
	}
}

func FuzzSnifferMatchesSniff(f *testing.F) {
	f.Add("package x\n", 0, 0, "aws_secret_access_key="+b64(40))
	f.Add("-----BEGIN RSA PRIVATE KEY-----\n"+b64(100), 20, 5, "")
	f.Add("ghp_"+strings.Repeat("a", 30), 34, 0, "bbbbbbbbbbbbbbbb")
	f.Fuzz(func(t *testing.T, text string, at, del int, ins string) {
		if len(text) > 1<<16 || len(ins) > 1<<12 {
			return
		}
		at = min(max(at, 0), len(text))
		del = min(max(del, 0), len(text)-at)
		var s Sniffer
		s.Sniff("k", text)
		now := text[:at] + ins + text[at+del:]
		if got, want := s.Sniff("k", now), Sniff(now); got != want {
			t.Fatalf("after editing %q at %d (-%d +%q): Sniffer %q, Sniff %q", text, at, del, ins, got, want)
		}
	})
}

// BenchmarkSnifferKeystroke is the completion path's cost: one character typed in a 256 KiB
// file already sniffed.
func BenchmarkSnifferKeystroke(b *testing.B) {
	text := strings.Repeat("func f(x int) error { if x > 0 { return fmt.Errorf(\"-- %d\", x) }; return nil }\n", 3000)
	var s Sniffer
	s.Sniff("doc", text)
	at := len(text) / 2
	texts := [2]string{text[:at] + "a" + text[at:], text[:at] + "b" + text[at:]}
	i := 0
	for b.Loop() {
		if s.Sniff("doc", texts[i&1]) != "" {
			b.Fatal("code reported as a secret")
		}
		i++
	}
}

// TestSnifferIsBounded: many documents and large texts keep the remembered bytes under the
// budget; verdicts stay right.
func TestSnifferIsBounded(t *testing.T) {
	var s Sniffer
	big := strings.Repeat("x", 4<<20)
	for i := range 40 {
		key := strings.Repeat("k", i+1)
		if s.Sniff(key, big+key) != "" {
			t.Fatal("code reported as a secret")
		}
		if s.bytes > snifferBytes || len(s.last) > snifferMax {
			t.Fatalf("after %d documents: %d bytes, %d texts", i+1, s.bytes, len(s.last))
		}
	}
	if got := s.Sniff("huge", strings.Repeat("y", snifferBytes+1)); got != "" || s.last["huge"].text != "" {
		t.Fatalf("a text over the budget was kept (%q)", got)
	}
}
