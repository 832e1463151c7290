package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/mimi-lsp/mimi-lsp/config"
)

// TestReadmeConfigTableIsCurrent keeps the README's configuration reference true.
func TestReadmeConfigTableIsCurrent(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), config.Reference()) {
		t.Fatalf("README.md configuration table is stale; replace it with the output of `mimi-lsp config`:\n%s", config.Reference())
	}
}

func TestParseLocation(t *testing.T) {
	for in, ok := range map[string]bool{"a.go:1:2": true, "c:/x/a.go:3:4": true, "a.go:0:1": false, "a.go:1": false, "a.go:x:1": false} {
		_, _, _, err := parseLocation(in)
		if (err == nil) != ok {
			t.Errorf("parseLocation(%q) err = %v", in, err)
		}
	}
}

// TestVSCodeSettingsMatchConfig keeps the VS Code extension's settings true to the server:
// every server option is a mimi.* setting with the same default, and every mimi.* setting but
// the client's own (serverPath, enable, grafanaUrl) is a server option.
func TestVSCodeSettingsMatchConfig(t *testing.T) {
	b, err := os.ReadFile("../../editors/vscode/package.json")
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct {
		Contributes struct {
			Configuration struct {
				Properties map[string]struct {
					Default any `json:"default"`
				} `json:"properties"`
			} `json:"configuration"`
		} `json:"contributes"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // 67108864, not 6.7108864e+07
	if err := dec.Decode(&pkg); err != nil {
		t.Fatal(err)
	}
	def := config.Default()
	byName := map[string]config.Field{}
	for _, f := range config.Fields() {
		byName[f.JSON] = f
	}
	props := pkg.Contributes.Configuration.Properties
	if len(props) < 5 {
		t.Fatalf("only %d settings in package.json", len(props))
	}
	for _, f := range config.Fields() {
		if _, ok := props["mimi."+f.JSON]; !ok {
			t.Errorf("server setting %s has no mimi.%s in package.json", f.JSON, f.JSON)
		}
	}
	for name, p := range props {
		key := strings.TrimPrefix(name, "mimi.")
		if key == "serverPath" || key == "enable" || key == "grafanaUrl" {
			continue
		}
		f, ok := byName[key]
		if !ok {
			t.Errorf("%s is not a server setting", name)
			continue
		}
		var c config.Config = def
		if err := c.Set(f, fmt.Sprint(p.Default)); err != nil {
			t.Errorf("%s default %v: %v", name, p.Default, err)
			continue
		}
		if c.Get(f) != def.Get(f) {
			t.Errorf("%s default %v, server default %s", name, p.Default, def.Get(f))
		}
	}
}

func TestParseRange(t *testing.T) {
	tests := []struct {
		in         string
		start, end [2]int
		ok         bool
	}{
		{"a.go:3", [2]int{3, 1}, [2]int{3, 1}, true},
		{"a.go:3:5", [2]int{3, 5}, [2]int{3, 5}, true},
		{"a.go:3:5-7:2", [2]int{3, 5}, [2]int{7, 2}, true},
		{"my-file.go:2:1", [2]int{2, 1}, [2]int{2, 1}, true},
		{"a.go:3:5-2:1", [2]int{}, [2]int{}, false},
		{"a.go", [2]int{}, [2]int{}, false},
		{"a.go:0:1", [2]int{}, [2]int{}, false},
	}
	for _, tt := range tests {
		_, s, e, err := parseRange(tt.in)
		if (err == nil) != tt.ok || tt.ok && (s != tt.start || e != tt.end) {
			t.Errorf("parseRange(%q) = %v %v %v", tt.in, s, e, err)
		}
	}
}
