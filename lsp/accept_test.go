package lsp_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/lsptest"
	"github.com/mimi-lsp/mimi-lsp/lsp"
)

type acceptStats struct {
	Completion struct {
		Shown            uint64            `json:"shown"`
		Accepted         uint64            `json:"accepted"`
		AcceptRate       float64           `json:"acceptRate"`
		AcceptedBySource map[string]uint64 `json:"acceptedBySource"`
	} `json:"completion"`
}

func (s *session) acceptStats(t *testing.T) acceptStats {
	t.Helper()
	var st acceptStats
	if err := s.c.Call(ctx(t), "mimi/stats", nil, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestAcceptedSuggestionsAreCounted: every shown suggestion (completion item or inline item)
// carries the mimi.accepted command with an id and no text; running it counts the accept once,
// by source; an unknown id is ignored quietly; bad arguments are an InvalidParams error.
func TestAcceptedSuggestionsAreCounted(t *testing.T) {
	f := newFake(t, "a + b")
	s := start(t, f.URL, nil)
	raw, err := s.c.Initialize(ctx(t), "file:///work", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"`+lsp.CommandAccepted+`"`) {
		t.Fatalf("executeCommandProvider lacks %s: %s", lsp.CommandAccepted, raw)
	}
	uri := "file:///work/add.go"
	_ = s.c.DidOpen(uri, "go", "package main\n\nfunc add(a, b int) int {\n\treturn \n}\n")
	list := s.complete(t, uri, 3, 8)
	if len(list.Items) != 1 || list.Items[0].Command == nil || list.Items[0].Command.Command != lsp.CommandAccepted ||
		len(list.Items[0].Command.Arguments) != 1 || list.Items[0].Preselect {
		t.Fatalf("completion item %+v", list.Items)
	}
	itemCmd := list.Items[0].Command
	if strings.Contains(string(itemCmd.Arguments[0]), "a + b") {
		t.Fatalf("the command carries the suggestion's text: %s", itemCmd.Arguments[0])
	}
	// The same suggestion through inline completion, then its rest as the user types it:
	// one suggestion, one id, shown once.
	var inl lsptest.InlineList
	if err := s.c.Call(ctx(t), "textDocument/inlineCompletion", lsptest.PositionParams(uri, 3, 8), &inl); err != nil {
		t.Fatal(err)
	}
	if len(inl.Items) != 1 || inl.Items[0].Command == nil || string(inl.Items[0].Command.Arguments[0]) != string(itemCmd.Arguments[0]) {
		t.Fatalf("inline item %+v: want the completion item's id %s", inl.Items, itemCmd.Arguments[0])
	}
	_ = s.c.DidChange(uri, 2, lsptest.Change{StartLine: 3, StartChar: 8, EndLine: 3, EndChar: 8, Text: "a "})
	if err := s.c.Call(ctx(t), "textDocument/inlineCompletion", lsptest.PositionParams(uri, 3, 10), &inl); err != nil {
		t.Fatal(err)
	}
	if len(inl.Items) != 1 || inl.Items[0].InsertText != "+ b" || string(inl.Items[0].Command.Arguments[0]) != string(itemCmd.Arguments[0]) {
		t.Fatalf("typing-ahead item %+v: want the rest under id %s", inl.Items, itemCmd.Arguments[0])
	}
	if st := s.acceptStats(t); st.Completion.Shown != 1 || st.Completion.Accepted != 0 {
		t.Fatalf("before any accept: %+v", st.Completion)
	}
	// Another suggestion elsewhere is another id.
	_ = s.c.DidChange(uri, 3, lsptest.Change{StartLine: 4, StartChar: 1, EndLine: 4, EndChar: 1, Text: "\nfunc sub(a, b int) int {\n\treturn \n"})
	list = s.complete(t, uri, 6, 8)
	if len(list.Items) != 1 || string(list.Items[0].Command.Arguments[0]) == string(itemCmd.Arguments[0]) {
		t.Fatalf("a second suggestion %+v shares the first's id", list.Items)
	}
	if st := s.acceptStats(t); st.Completion.Shown != 2 {
		t.Fatalf("two suggestions: %+v", st.Completion)
	}
	exec := func(args ...any) error {
		return s.c.Call(ctx(t), "workspace/executeCommand", map[string]any{"command": lsp.CommandAccepted, "arguments": args}, nil)
	}
	var id string
	_ = json.Unmarshal(inl.Items[0].Command.Arguments[0], &id)
	for range 2 { // the second run of the same accept counts nothing
		if err := exec(id); err != nil {
			t.Fatal(err)
		}
	}
	if err := exec("999999"); err != nil {
		t.Fatalf("an unknown id: %v", err)
	}
	if err := exec(map[string]any{"x": 1}); err == nil || !strings.Contains(err.Error(), "takes") {
		t.Fatalf("bad arguments: %v", err)
	}
	st := s.acceptStats(t)
	if st.Completion.Shown != 2 || st.Completion.Accepted != 1 || st.Completion.AcceptRate != 0.5 ||
		st.Completion.AcceptedBySource["model"] != 1 { // where the suggestion first came from
		t.Fatalf("after one accept: %+v", st.Completion)
	}
}

// TestCompletionItemsFollowInlineSupport: an editor that asks for inline completion gets no
// completion items by default (no completionProvider, an empty complete list if it asks
// anyway); completionItems=on brings them back; completionRank=after sorts the item last.
func TestCompletionItemsFollowInlineSupport(t *testing.T) {
	f := newFake(t, "a + b")
	inline := map[string]any{"inlineCompletion": map[string]any{}}
	doc := "package main\n\nfunc add(a, b int) int {\n\treturn \n}\n"
	uri := "file:///work/add.go"
	for _, tc := range []struct {
		name     string
		opts     map[string]any
		items    bool
		sortText string
	}{
		{"auto", nil, false, ""},
		{"on", map[string]any{"completionItems": "on"}, true, "0"},
		{"on-after", map[string]any{"completionItems": "on", "completionRank": "after"}, true, "~~~~"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, f.URL, func(*config.Config) {})
			raw, err := s.c.InitializeWith(ctx(t), "file:///work", nil, inline, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(string(raw), `"completionProvider"`); got != tc.items {
				t.Fatalf("completionProvider advertised = %v, want %v: %s", got, tc.items, raw)
			}
			_ = s.c.DidOpen(uri, "go", doc)
			list := s.complete(t, uri, 3, 8)
			if (len(list.Items) == 1) != tc.items || (!tc.items && list.IsIncomplete) {
				t.Fatalf("completion %+v", list)
			}
			if tc.items && list.Items[0].SortText != tc.sortText {
				t.Fatalf("sortText %q, want %q", list.Items[0].SortText, tc.sortText)
			}
			var inl lsptest.InlineList
			if err := s.c.Call(ctx(t), "textDocument/inlineCompletion", lsptest.PositionParams(uri, 3, 8), &inl); err != nil || len(inl.Items) != 1 {
				t.Fatalf("inline %+v %v", inl, err)
			}
		})
	}
}

// TestStatsCarryTheProblem: while completions fail (Ollama down), mimi/stats says why and how
// to fix it (what an editor's status item shows); once a completion works it is gone.
func TestStatsCarryTheProblem(t *testing.T) {
	f := newFake(t, "a + b")
	s := start(t, "http://127.0.0.1:1", nil)
	s.init(t)
	uri := "file:///work/add.go"
	_ = s.c.DidOpen(uri, "go", "package main\n\nfunc add(a, b int) int {\n\treturn \n}\n")
	_ = s.complete(t, uri, 3, 8)
	var st struct {
		Model   string `json:"model"`
		Problem string `json:"problem"`
	}
	if err := s.c.Call(ctx(t), "mimi/stats", nil, &st); err != nil {
		t.Fatal(err)
	}
	if st.Model != "qwen2.5-coder:1.5b" || !strings.Contains(st.Problem, "ollama serve") {
		t.Fatalf("stats while Ollama is down: %+v", st)
	}
	_ = s.c.Notify("workspace/didChangeConfiguration", map[string]any{"settings": map[string]any{"ollamaHost": f.URL}})
	if list := s.complete(t, uri, 3, 8); len(list.Items) != 1 {
		t.Fatalf("completion after the fix: %+v", list)
	}
	st.Problem = ""
	if err := s.c.Call(ctx(t), "mimi/stats", nil, &st); err != nil || st.Problem != "" {
		t.Fatalf("problem after a working completion: %q %v", st.Problem, err)
	}
}

// TestHelixItemsCarryNoAcceptCommand: Helix never runs an item's command, so its items carry
// none and are not counted as shown (they would only lower the acceptance rate).
func TestHelixItemsCarryNoAcceptCommand(t *testing.T) {
	f := newFake(t, "a + b")
	s := start(t, f.URL, nil)
	if err := s.c.Call(ctx(t), "initialize", map[string]any{"processId": nil, "rootUri": "file:///work",
		"clientInfo": map[string]any{"name": "helix", "version": "25.07"}, "capabilities": map[string]any{}}, nil); err != nil {
		t.Fatal(err)
	}
	_ = s.c.Notify("initialized", map[string]any{})
	uri := "file:///work/add.go"
	_ = s.c.DidOpen(uri, "go", "package main\n\nfunc add(a, b int) int {\n\treturn \n}\n")
	list := s.complete(t, uri, 3, 8)
	if len(list.Items) != 1 || list.Items[0].Command != nil {
		t.Fatalf("helix item %+v", list.Items)
	}
	if st := s.acceptStats(t); st.Completion.Shown != 0 {
		t.Fatalf("helix suggestions counted as shown: %+v", st.Completion)
	}
}
