package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/internal/testenv/lsptest"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/ollamatest"
)

// progressEnd waits for the $/progress end of the indexing and returns its message.
func progressEnd(t *testing.T, ctx context.Context, c *lsptest.Client) string {
	t.Helper()
	for {
		for _, n := range c.Notifications("$/progress") {
			var p struct {
				Value struct{ Kind, Message string } `json:"value"`
			}
			_ = json.Unmarshal(n.Params, &p)
			if p.Value.Kind == "end" {
				return p.Value.Message
			}
		}
		if _, err := c.WaitNotification(ctx, "$/progress"); err != nil {
			t.Fatalf("indexing did not end: %v", err)
		}
	}
}

// TestWorkspaceIndexThroughRealOllama: the real binary indexes a workspace on open through the
// real Ollama (tiny embedding model served as nomic-embed-text): progress begins and ends,
// secret and ignored files never reach Ollama, mimi.search finds code by meaning and name, and a
// restarted process makes zero embedding calls.
func TestWorkspaceIndexThroughRealOllama(t *testing.T) {
	ol := ollamatest.StartT(t)
	rec, host := newRecorder(t, ol.URL)
	// The workspace is opened through a symlink: results name files by the editor's paths.
	root := filepath.Join(t.TempDir(), "ws")
	if err := os.Symlink(t.TempDir(), root); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"config/load.go": "package config\n\n// ParseConfig reads the configuration file at path.\nfunc ParseConfig(path string) (*Config, error) {\n\treturn nil, nil\n}\n",
		"db/query.go":    "package db\n\n// UsersByID selects users from the database.\nfunc UsersByID(id int) string {\n\treturn \"SELECT name FROM users WHERE id = ?\"\n}\n",
		".env":           "OPENAI_API_KEY=sk-live-PLANTEDSECRET\n",
		"deploy/id_rsa":  "-----BEGIN OPENSSH PRIVATE KEY-----\nPLANTEDKEYMATERIAL\n",
		".gitignore":     "dist/\n",
		"dist/bundle.go": "package dist\n\nfunc PlantedIgnoredFunction() {}\n",
	}
	writeTree(t, root, files)
	cacheHome := t.TempDir() // the index lives under the user cache directory
	rootURI := "file://" + filepath.ToSlash(root)
	run := func(afterIndex func(ctx context.Context, c *lsptest.Client)) (string, []wireHit) {
		ctx := timeout(t, 90*time.Second)
		c, _, stderr := startServer(t, host, "XDG_CACHE_HOME="+cacheHome, "MIMI_INDEXING=true")
		if _, err := c.Initialize(ctx, rootURI, nil, nil); err != nil {
			t.Fatal(err)
		}
		end := progressEnd(t, ctx, c)
		if afterIndex != nil {
			afterIndex(ctx, c)
		}
		var hits []wireHit
		if err := c.Call(ctx, "workspace/executeCommand", map[string]any{"command": "mimi.search",
			"arguments": []any{map[string]any{"query": "ParseConfig configuration file", "limit": 3}}}, &hits); err != nil {
			t.Fatalf("mimi.search: %v\n%s", err, stderr)
		}
		if err := c.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		return end, hits
	}
	end, hits := run(nil)
	// load.go, query.go and .gitignore; not .env, id_rsa or the ignored dist/.
	if !strings.HasPrefix(end, "indexed 3 files") {
		t.Fatalf("indexing ended with %q", end)
	}
	if len(hits) == 0 || hits[0].URI != rootURI+"/config/load.go" {
		t.Fatalf("search hits = %+v; want %s/config/load.go first", hits, rootURI)
	}
	embeds := rec.all("/api/embed")
	if len(embeds) == 0 {
		t.Fatal("no /api/embed request reached Ollama")
	}
	sent := strings.Join(embeds, "\n")
	for _, secret := range []string{"PLANTEDSECRET", "PLANTEDKEYMATERIAL", "PlantedIgnoredFunction"} {
		if strings.Contains(sent, secret) {
			t.Fatalf("%s reached Ollama", secret)
		}
	}
	if !strings.Contains(sent, "search_document: ") {
		t.Fatalf("documents sent without nomic's task prefix: %.200s", sent)
	}

	// Completions in another file get the relevant code from the index in their prompt: the
	// first completion in a region starts the search, a later one carries its snippets.
	run(func(ctx context.Context, c *lsptest.Client) {
		// A completion inside the secret file makes no model call and no search query.
		envURI := rootURI + "/.env"
		_ = c.DidOpen(envURI, "plaintext", files[".env"]+"OPENAI_")
		var none lsptest.CompletionList
		if err := c.Call(ctx, "textDocument/completion", lsptest.PositionParams(envURI, 1, 7), &none); err != nil || len(none.Items) != 0 {
			t.Fatalf("completion in .env: %+v, %v", none, err)
		}
		uri := rootURI + "/cmd/main.go"
		text := "package main\n\nfunc main() {\n\tcfg, err := ParseConfig(\"app.yaml\")\n\t\n}\n"
		_ = c.DidOpen(uri, "go", text)
		for i := range 150 { // bounded: the search lands within the query-embedding budget (2 s)
			before := len(rec.all("/api/generate"))
			_ = c.DidChange(uri, i+2, lsptest.Change{StartLine: 4, StartChar: 1, EndLine: 4, EndChar: 1, Text: " "})
			var list lsptest.CompletionList
			if err := c.Call(ctx, "textDocument/completion", lsptest.PositionParams(uri, 4, 2+i), &list); err != nil {
				t.Fatal(err)
			}
			for _, b := range rec.all("/api/generate")[before:] {
				var req struct{ Prompt string }
				_ = json.Unmarshal([]byte(b), &req)
				if strings.Contains(req.Prompt, "<|file_sep|>config/load.go\n") && strings.Contains(req.Prompt, "func ParseConfig") {
					return
				}
			}
			time.Sleep(100 * time.Millisecond) // let the background search land (not a timing assert)
		}
		t.Fatal("no completion prompt carried the ParseConfig snippet from config/load.go")
	})

	for _, path := range []string{"/api/embed", "/api/generate"} {
		for _, b := range rec.all(path) {
			if strings.Contains(b, "PLANTEDSECRET") || strings.Contains(b, "OPENAI_API_KEY") {
				t.Fatalf("the secret file's text reached Ollama's %s: %.200s", path, b)
			}
		}
	}

	// A restart: the saved index is reused, unchanged files cost no embedding call (the query
	// of the search is the only /api/embed request).
	before := len(rec.all("/api/embed"))
	end, hits = run(nil)
	if !strings.Contains(end, "(0 embedded") || len(hits) == 0 {
		t.Fatalf("after a restart: %q, hits %+v", end, hits)
	}
	after := rec.all("/api/embed")[before:]
	for _, b := range after {
		if strings.Contains(b, "search_document") {
			t.Fatalf("a restart embedded documents again: %.200s", b)
		}
	}

	// An edit to one function while the editor was closed: only its chunk is embedded again.
	edited := strings.Replace(files["db/query.go"], "WHERE id = ?", "WHERE id = ? LIMIT 1", 1)
	if err := os.WriteFile(filepath.Join(root, "db", "query.go"), []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	before = len(rec.all("/api/embed"))
	end, _ = run(nil)
	if !strings.Contains(end, "(1 embedded") {
		t.Fatalf("after editing one function: %q", end)
	}
	var docs []string
	for _, b := range rec.all("/api/embed")[before:] {
		if strings.Contains(b, "search_document") {
			docs = append(docs, b)
		}
	}
	if len(docs) != 1 || !strings.Contains(docs[0], "LIMIT 1") || strings.Contains(docs[0], "ParseConfig") {
		t.Fatalf("re-embedded after one edit: %q", docs)
	}

	// An edit saved in the editor: didSave updates that one file (no walk), its new function
	// alone is embedded, and a search returns the new code with its current text.
	saved := edited + "\n// OrdersByUser lists the orders of a user.\nfunc OrdersByUser(id int) string {\n\treturn \"SELECT total FROM orders\"\n}\n"
	before = len(rec.all("/api/embed"))
	run(func(ctx context.Context, c *lsptest.Client) {
		uri := rootURI + "/db/query.go"
		_ = c.DidOpen(uri, "go", saved)
		if err := os.WriteFile(filepath.Join(root, "db", "query.go"), []byte(saved), 0o644); err != nil {
			t.Fatal(err)
		}
		_ = c.Notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": uri}})
		for range 150 { // bounded wait for the background update
			var hits []wireHit
			if err := c.Call(ctx, "workspace/executeCommand", map[string]any{"command": "mimi.search",
				"arguments": []any{map[string]any{"query": "OrdersByUser orders of a user", "limit": 3}}}, &hits); err != nil {
				t.Fatal(err)
			}
			if len(hits) > 0 && strings.Contains(hits[0].Snippet, "func OrdersByUser(id int) string {") {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatal("the saved function never became searchable")
	})
	docs = docs[:0]
	for _, b := range rec.all("/api/embed")[before:] {
		if strings.Contains(b, "search_document") {
			docs = append(docs, b)
		}
	}
	if len(docs) != 1 || !strings.Contains(docs[0], "OrdersByUser") || strings.Contains(docs[0], "UsersByID") {
		t.Fatalf("embedded after a save: %q", docs)
	}
}

type wireHit struct {
	URI     string  `json:"uri"`
	Score   float64 `json:"score"`
	Snippet string  `json:"snippet"`
}

// TestIndexAndSearchCommands: `mimi-lsp index DIR` prints what it did (a second run embeds
// nothing), `mimi-lsp search DIR QUERY` prints ranked hits.
func TestIndexAndSearchCommands(t *testing.T) {
	ol := ollamatest.StartT(t)
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"a/config.go": "package a\n\n// ParseConfig reads the configuration.\nfunc ParseConfig(path string) error { return nil }\n",
		"b/users.go":  "package b\n\n// UsersByID queries users.\nfunc UsersByID(id int) {}\n",
	})
	env := append(os.Environ(), "OLLAMA_HOST="+ol.URL, "XDG_CACHE_HOME="+t.TempDir())
	runCmd := func(args ...string) string {
		cmd := exec.Command(binary, args...)
		cmd.Env = env
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("mimi-lsp %v: %v\n%s", args, err, errb.String())
		}
		return out.String()
	}
	first := runCmd("index", root)
	if !strings.Contains(first, "files 2 (indexed 2") || !strings.Contains(first, "chunks") {
		t.Fatalf("index output:\n%s", first)
	}
	if again := runCmd("index", root); !strings.Contains(again, "chunks embedded 0") {
		t.Fatalf("second index run embedded again:\n%s", again)
	}
	if out := runCmd("search", root, "ParseConfig"); !strings.Contains(strings.SplitN(out, "\n", 2)[0], "a/config.go") {
		t.Fatalf("search output:\n%s", out)
	}
}

// writeTree writes files (slash-separated paths relative to root).
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, text := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
