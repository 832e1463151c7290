package completion

import (
	"context"
	"log/slog"
	"strings"
	"testing"
)

// pemKey is a private key in PEM form, built at run time (so this file holds none).
func pemKey() string {
	return "-----BEGIN EC PRIVATE KEY-----\n" + strings.Repeat(strings.Repeat("Zm9v", 16)+"\n", 3) + "-----END EC PRIVATE KEY-----\n"
}

// TestFileHoldingACredentialGetsNoCompletion: a file with an innocent name whose text holds a
// private key is treated as a secret file (no model call, no cache lookup), with a notice the
// first time only; when the key is deleted, completions come back.
func TestFileHoldingACredentialGetsNoCompletion(t *testing.T) {
	g := &scripted{chunks: []string{"x"}}
	e, c := newDenyEngine(t, g, slog.New(slog.DiscardHandler))
	text := "package config\n\nvar key = `" + pemKey() + "`\n\nfunc f() {\n\t\n}\n"
	off := strings.Index(text, "\t\n") + 1
	r := Request{Text: text, Offset: off, File: "/w/config.go", Path: "config.go"}
	res, err := e.Complete(context.Background(), r)
	if err != nil || res.Text != "" || g.calls.Load() != 0 || c.uses.Load() != 0 {
		t.Fatalf("file with a key: %+v %v, model calls %d, cache uses %d", res, err, g.calls.Load(), c.uses.Load())
	}
	if !strings.Contains(res.Notice, "config.go") || !strings.Contains(res.Notice, "private key") {
		t.Fatalf("notice %q: want one naming the file and what it holds", res.Notice)
	}
	r.Text, r.Offset = text+" ", off // another keystroke: still denied, no second notice
	if res, ok := e.Ready(r); !ok || res.Notice != "" || res.Text != "" {
		t.Fatalf("second request: %+v %v; want answered empty without a notice", res, ok)
	}
	clean := strings.Replace(text, pemKey(), "", 1)
	r.Text, r.Offset = clean, strings.Index(clean, "\t\n")+1
	if res, err := e.Complete(context.Background(), r); err != nil || res.Text != "x" || g.calls.Load() != 1 {
		t.Fatalf("key deleted: %+v %v calls=%d; want a completion", res, err, g.calls.Load())
	}
}

// TestSnippetHoldingACredentialDropped: code from another file is dropped when its text holds
// a credential, whatever the file's name.
func TestSnippetHoldingACredentialDropped(t *testing.T) {
	g := &scripted{chunks: []string{"x"}}
	e, _ := newDenyEngine(t, g, slog.New(slog.DiscardHandler))
	sn := []Snippet{{Path: "util/keys.go", Text: "var k = `" + pemKey() + "`"}, {Path: "util/math.go", Text: "func Sub(a, b int) int { return a - b }"}}
	if _, err := e.Complete(context.Background(), Request{Text: "x := \n", Offset: 5, Path: "main.go", Snippets: sn}); err != nil {
		t.Fatal(err)
	}
	if p := g.lastReq.Prompt; strings.Contains(p, "PRIVATE KEY") || strings.Contains(p, "Zm9v") || !strings.Contains(p, "func Sub") {
		t.Fatalf("prompt:\n%s", p)
	}
}
