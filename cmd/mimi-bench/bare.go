package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/textproto"
	"strconv"
	"strings"
)

// bareServer is the baseline of the hit benchmark: an LSP server that only parses each frame
// and answers a completion with one fixed item (the shape and size of mimi-lsp's), so the
// same client measures what framing, JSON and the pipes cost on this machine in this run.
// `mimi-bench bare` runs it on stdio.
func bareServer(in io.Reader, out io.Writer) error {
	r := bufio.NewReaderSize(in, 64<<10)
	w := bufio.NewWriter(out)
	tp := textproto.NewReader(r)
	item := map[string]any{
		"label": "a + b", "kind": 15, "detail": "mimi · qwen2.5-coder:1.5b", "sortText": "0",
		"filterText": "a + b", "insertTextFormat": 1,
		"documentation": map[string]any{"kind": "markdown", "value": "```go\na + b\n```"},
		"textEdit": map[string]any{"range": map[string]any{"start": map[string]any{"line": 901, "character": 8},
			"end": map[string]any{"line": 901, "character": 8}}, "newText": "a + b"},
		"command": map[string]any{"title": "mimi: suggestion accepted", "command": "mimi.accepted", "arguments": []any{"1"}},
	}
	for {
		hdr, err := tp.ReadMIMEHeader()
		if err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
		n, err := strconv.Atoi(strings.TrimSpace(hdr.Get("Content-Length")))
		if err != nil {
			return fmt.Errorf("bad Content-Length: %v", err)
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			return err
		}
		var msg struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		if err := json.Unmarshal(body, &msg); err != nil || len(msg.ID) == 0 {
			if msg.Method == "exit" {
				return nil
			}
			continue // a notification (didOpen, initialized, …)
		}
		var result any
		switch msg.Method {
		case "initialize":
			result = map[string]any{"capabilities": map[string]any{"textDocumentSync": 2, "completionProvider": map[string]any{}}}
		case "textDocument/completion":
			result = map[string]any{"isIncomplete": true, "items": []any{item}}
		}
		data, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": msg.ID, "result": result})
		fmt.Fprintf(w, "Content-Length: %d\r\n\r\n", len(data))
		_, _ = w.Write(data)
		if err := w.Flush(); err != nil {
			return err
		}
	}
}
