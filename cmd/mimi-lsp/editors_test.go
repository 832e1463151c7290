package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/mimi-lsp/mimi-lsp/config"
)

// helixFeatures are the feature names Helix accepts in only-features (helix-lsp's
// LanguageServerFeature).
var helixFeatures = []string{"format", "goto-definition", "goto-declaration", "goto-type-definition",
	"goto-reference", "goto-implementation", "signature-help", "hover", "document-highlight", "completion",
	"code-action", "workspace-command", "document-symbols", "workspace-symbols", "diagnostics",
	"rename-symbol", "inlay-hints", "document-colors"}

// TestHelixLanguagesTOML: the shipped languages.toml parses as TOML; mimi is a language server
// running mimi-lsp whose config keys are server settings; every language keeps its own server
// first and adds mimi limited to completion and code actions, with feature names Helix knows.
func TestHelixLanguagesTOML(t *testing.T) {
	var f struct {
		LanguageServer map[string]struct {
			Command string         `toml:"command"`
			Config  map[string]any `toml:"config"`
		} `toml:"language-server"`
		Language []struct {
			Name            string `toml:"name"`
			LanguageServers []any  `toml:"language-servers"`
		} `toml:"language"`
	}
	md, err := toml.DecodeFile("../../editors/helix/languages.toml", &f)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range md.Undecoded() { // inline tables inside language-servers are read below
		if !strings.HasPrefix(k.String(), "language.language-servers.") {
			t.Fatalf("a key this test does not know: %s", k)
		}
	}
	mimi, ok := f.LanguageServer["mimi"]
	if !ok || mimi.Command != "mimi-lsp" {
		t.Fatalf("language-server.mimi = %+v", mimi)
	}
	known := map[string]bool{}
	for _, fd := range config.Fields() {
		known[fd.JSON] = true
	}
	for k := range mimi.Config {
		if !known[k] {
			t.Errorf("language-server.mimi.config.%s is not a setting", k)
		}
	}
	if len(f.Language) < 5 {
		t.Fatalf("%d languages", len(f.Language))
	}
	for _, l := range f.Language {
		if len(l.LanguageServers) != 2 {
			t.Errorf("%s: language-servers %v: want its own server, then mimi", l.Name, l.LanguageServers)
			continue
		}
		if own, ok := l.LanguageServers[0].(string); !ok || own == "mimi" {
			t.Errorf("%s: the first server is %v, want the language's own", l.Name, l.LanguageServers[0])
		}
		m, ok := l.LanguageServers[1].(map[string]any)
		if !ok || m["name"] != "mimi" {
			t.Errorf("%s: second server %v", l.Name, l.LanguageServers[1])
			continue
		}
		feats, _ := m["only-features"].([]any)
		var names []string
		for _, x := range feats {
			s, _ := x.(string)
			if !slices.Contains(helixFeatures, s) {
				t.Errorf("%s: %q is not a Helix feature", l.Name, s)
			}
			names = append(names, s)
		}
		if !slices.Contains(names, "completion") || !slices.Contains(names, "code-action") || slices.Contains(names, "diagnostics") {
			t.Errorf("%s: only-features %v", l.Name, names)
		}
	}
}
