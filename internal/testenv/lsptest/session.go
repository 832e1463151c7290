package lsptest

import (
	"context"
	"encoding/json"
)

// Initialize sends initialize (with the given position encodings offered and options) and
// initialized; it returns the raw initialize result.
func (c *Client) Initialize(ctx context.Context, rootURI string, encodings []string, initOptions any) (json.RawMessage, error) {
	return c.InitializeWith(ctx, rootURI, encodings, nil, initOptions)
}

// InitializeWith is Initialize with textDocument client capabilities (e.g. inlineCompletion).
func (c *Client) InitializeWith(ctx context.Context, rootURI string, encodings []string, textDocument map[string]any, initOptions any) (json.RawMessage, error) {
	caps := map[string]any{
		"general":   map[string]any{"positionEncodings": encodings},
		"window":    map[string]any{"workDoneProgress": true},
		"workspace": map[string]any{"didChangeWatchedFiles": map[string]any{"dynamicRegistration": true}},
	}
	if textDocument != nil {
		caps["textDocument"] = textDocument
	}
	params := map[string]any{
		"processId":    nil,
		"rootUri":      rootURI,
		"clientInfo":   map[string]any{"name": "lsptest", "version": "1"},
		"capabilities": caps,
	}
	if initOptions != nil {
		params["initializationOptions"] = initOptions
	}
	var res json.RawMessage
	if err := c.Call(ctx, "initialize", params, &res); err != nil {
		return nil, err
	}
	return res, c.Notify("initialized", map[string]any{})
}

// DidOpen opens a document.
func (c *Client) DidOpen(uri, lang, text string) error {
	return c.Notify("textDocument/didOpen", map[string]any{
		"textDocument": map[string]any{"uri": uri, "languageId": lang, "version": 1, "text": text},
	})
}

// Change is one incremental edit (line/character in the negotiated encoding).
type Change struct {
	StartLine, StartChar, EndLine, EndChar int
	Text                                   string
}

// DidChange sends incremental changes.
func (c *Client) DidChange(uri string, version int, changes ...Change) error {
	cs := make([]map[string]any, len(changes))
	for i, ch := range changes {
		cs[i] = map[string]any{
			"range": map[string]any{
				"start": map[string]any{"line": ch.StartLine, "character": ch.StartChar},
				"end":   map[string]any{"line": ch.EndLine, "character": ch.EndChar},
			},
			"text": ch.Text,
		}
	}
	return c.Notify("textDocument/didChange", map[string]any{
		"textDocument":   map[string]any{"uri": uri, "version": version},
		"contentChanges": cs,
	})
}

// PositionParams is the params of completion and inlineCompletion.
func PositionParams(uri string, line, char int) map[string]any {
	return map[string]any{
		"textDocument": map[string]any{"uri": uri},
		"position":     map[string]any{"line": line, "character": char},
	}
}

// CompletionList is the part of a completion reply tests read.
type CompletionList struct {
	IsIncomplete bool `json:"isIncomplete"`
	Items        []struct {
		Label      string `json:"label"`
		Detail     string `json:"detail"`
		FilterText string `json:"filterText"`
		TextEdit   *struct {
			Range   json.RawMessage `json:"range"`
			NewText string          `json:"newText"`
		} `json:"textEdit"`
		SortText  string   `json:"sortText"`
		Preselect bool     `json:"preselect"`
		Command   *Command `json:"command"`
	} `json:"items"`
}

// Command is an LSP Command as items carry it.
type Command struct {
	Title     string            `json:"title"`
	Command   string            `json:"command"`
	Arguments []json.RawMessage `json:"arguments"`
}

// InlineList is an inlineCompletion reply.
type InlineList struct {
	Items []struct {
		InsertText string          `json:"insertText"`
		Range      json.RawMessage `json:"range"`
		Command    *Command        `json:"command"`
	} `json:"items"`
}

// Shutdown sends shutdown then exit.
func (c *Client) Shutdown(ctx context.Context) error {
	if err := c.Call(ctx, "shutdown", nil, nil); err != nil {
		return err
	}
	return c.Notify("exit", nil)
}
