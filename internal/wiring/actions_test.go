package wiring

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/actions"
	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/fakeollama"
)

// TestActionModelMissing: a missing action model is found at start with the ollama pull that
// fixes it; with actionFallback=hide the actions disappear, by default they run on the
// completion model with a notice; secret files get no actions.
func TestActionModelMissing(t *testing.T) {
	fake := fakeollama.New("")
	defer fake.Close()
	fake.SetBehaviour(func(r fakeollama.Request) fakeollama.Behaviour {
		return fakeollama.Behaviour{Chunks: []string{"```go\nfunc add(a, b int) int {\n\treturn a + b\n}\n```"}}
	})
	src := "package p\n\nfunc add(a, b int) int {\n\treturn 0 // TODO\n}\n"
	req := actions.Request{Text: src, Language: "go", Path: "p.go", Start: strings.Index(src, "return"), End: strings.Index(src, "return")}
	for _, fallback := range []string{"hide", "completion-model"} {
		t.Run(fallback, func(t *testing.T) {
			cfg := config.Default()
			cfg.OllamaHost, cfg.ActionModel, cfg.ActionFallback, cfg.Indexing = fake.URL, "missing-coder:30b", fallback, false
			w := New(cfg, slog.New(slog.DiscardHandler))
			defer w.Close(time.Second)
			s, err := w.NewSession(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if len(s.CodeActions(req, "/w/p.go")) == 0 {
				t.Fatal("no actions before the check")
			}
			msg := s.CheckActions(context.Background())
			if !strings.Contains(msg, "ollama pull missing-coder:30b") {
				t.Fatalf("check said %q", msg)
			}
			as := s.CodeActions(req, "/w/p.go")
			if fallback == "hide" {
				if len(as) != 0 {
					t.Fatalf("hidden actions listed: %v", as)
				}
				return
			}
			var impl actions.Action
			for _, a := range as {
				if a.ID == actions.Implement {
					impl = a
				}
			}
			res, err := s.ResolveAction(context.Background(), actions.PromptInput{Action: impl, Request: req}, "/w/p.go", nil)
			if err != nil || res.Model != cfg.CompletionModel || !strings.Contains(res.Notice, "ollama pull missing-coder:30b") || len(res.Edits) == 0 {
				t.Fatalf("fallback resolve: %+v, %v", res, err)
			}
			if as := s.CodeActions(req, "/w/.env"); len(as) != 0 {
				t.Fatalf("actions in a secret file: %v", as)
			}
		})
	}
}

// TestNoActionsOnTextHoldingACredential: a file with an innocent name that holds a private
// key gets no actions, and an action resolved anyway (a stale menu), or one whose test file
// holds a key, is refused without a model call.
func TestNoActionsOnTextHoldingACredential(t *testing.T) {
	fake := fakeollama.New("```go\nfunc add() {}\n```")
	defer fake.Close()
	cfg := config.Default()
	cfg.OllamaHost, cfg.Indexing = fake.URL, false
	w := New(cfg, slog.New(slog.DiscardHandler))
	defer w.Close(time.Second)
	s, err := w.NewSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	key := "-----BEGIN OPENSSH PRIVATE KEY-----\n" + strings.Repeat(strings.Repeat("b3Bl", 16)+"\n", 3) + "-----END OPENSSH PRIVATE KEY-----\n"
	clean := "package p\n\nfunc add(a, b int) int {\n\treturn 0\n}\n"
	at := strings.Index(clean, "return")
	req := actions.Request{Text: clean, Language: "go", Path: "p.go", Start: at, End: at}
	as := s.CodeActions(req, "/w/p.go")
	if len(as) == 0 {
		t.Fatal("no actions in a clean file")
	}
	secret := req
	secret.Text = clean + "\nconst k = `" + key + "`\n"
	if got := s.CodeActions(secret, "/w/p.go"); len(got) != 0 {
		t.Fatalf("actions offered in a file holding a key: %v", got)
	}
	for name, in := range map[string]actions.PromptInput{
		"document":  {Action: as[0], Request: secret},
		"test file": {Action: as[0], Request: req, TestFile: "p_test.go", TestText: "package p\n\n// " + key},
	} {
		if _, err := s.ResolveAction(context.Background(), in, "/w/p.go", nil); err == nil || !strings.Contains(err.Error(), "private key") {
			t.Errorf("%s: resolve err %v; want a refusal naming the private key", name, err)
		}
	}
	if n := len(fake.Requests()); n != 0 {
		t.Fatalf("%d model calls for text holding a key", n)
	}
}
