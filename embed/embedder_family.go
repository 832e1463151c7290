package embed

import (
	"strings"
	"unicode/utf8"
)

// embedFamily is what the embedder must know about a model family: the task prefixes it was
// trained with (Ollama does not add them) and its context in tokens (inputs are cut to fit).
type embedFamily struct {
	name          string // part of every cache key: a change of prefixes changes the keys
	docPrefix     string
	queryPrefix   string
	contextTokens int
}

// defaultContextTokens is assumed for models the table does not know (Ollama's own default
// context); EmbedderConfig.ContextTokens overrides it.
const defaultContextTokens = 2048

// bytesPerToken estimates the bytes one token covers, conservatively (code averages 3-4): an
// input is cut to contextTokens×bytesPerToken bytes, prefix included.
const bytesPerToken = 3

// familyOf returns the family of an Ollama model name ("nomic-embed-text",
// "nomic-embed-text:v1.5", "registry.example:5000/library/nomic-embed-text:latest", …).
func familyOf(modelName string) embedFamily {
	base := strings.ToLower(modelName)
	if i := strings.LastIndexByte(base, '/'); i >= 0 {
		base = base[i+1:]
	}
	if i := strings.IndexByte(base, ':'); i >= 0 {
		base = base[:i]
	}
	switch {
	case strings.HasPrefix(base, "nomic-embed-text-v2"):
		return embedFamily{name: "nomic-v2", docPrefix: "search_document: ", queryPrefix: "search_query: ", contextTokens: 512}
	case strings.HasPrefix(base, "nomic-embed-text"):
		return embedFamily{name: "nomic-v1", docPrefix: "search_document: ", queryPrefix: "search_query: ", contextTokens: 2048}
	default:
		return embedFamily{name: "plain", contextTokens: defaultContextTokens}
	}
}

// canonicalModel names a model the way Ollama resolves it, so "nomic-embed-text" and
// "nomic-embed-text:latest" share cache entries.
func canonicalModel(modelName string) string {
	last := modelName[strings.LastIndexByte(modelName, '/')+1:]
	if !strings.Contains(last, ":") {
		return modelName + ":latest"
	}
	return modelName
}

// truncateUTF8 cuts s to at most n bytes at a rune boundary.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
