package main

import (
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
