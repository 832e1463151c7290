package lsp

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"go.lsp.dev/jsonrpc2"
)

// sameJSON reports whether two JSON texts mean the same (both absent counts as the same).
func sameJSON(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return string(a) == string(b)
	}
	return reflect.DeepEqual(x, y)
}

// describe is what a handler can see of a message.
func describe(m jsonrpc2.Message) (kind, method, id string, body json.RawMessage, errText string) {
	switch m := m.(type) {
	case *jsonrpc2.Call:
		return "call", m.Method(), fmt.Sprint(m.ID()), m.Params(), ""
	case *jsonrpc2.Notification:
		return "notification", m.Method(), "", m.Params(), ""
	case *jsonrpc2.Response:
		e := ""
		if m.Err() != nil {
			e = m.Err().Error()
		}
		return "response", "", fmt.Sprint(m.ID()), m.Result(), e
	}
	return fmt.Sprintf("%T", m), "", "", nil, ""
}

// FuzzDecodeMatchesJSONRPC2: decodeMessage decodes every input as jsonrpc2.DecodeMessage does:
// the same error or not, the same kind, method, id, params/result (as JSON values) and error.
func FuzzDecodeMatchesJSONRPC2(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"textDocument/completion","params":{"textDocument":{"uri":"file:///a.go"},"position":{"line":1,"character":2}}}`,
		`{"jsonrpc":"2.0","id":"x","method":"shutdown"}`,
		`{"jsonrpc":"2.0","method":"exit"}`,
		`{"jsonrpc":"2.0","method":"$/cancelRequest","params":null}`,
		`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":3}}`,
		`{"jsonrpc":"2.0","id":null,"method":"initialized","params":{}}`,
		`{"jsonrpc":"2.0","id":7,"result":{"applied":true}}`,
		`{"jsonrpc":"2.0","id":7,"result":null}`,
		`{"jsonrpc":"2.0","id":7,"error":{"code":-32601,"message":"nope"}}`,
		`{"jsonrpc":"1.0","id":1,"method":"x","params":{}}`,
		`{"id":1,"method":"x","params":[1,2]}`,
		`{"jsonrpc":"2.0","id":1,"method":"x","params":{"a":"<b>"}} trailing`,
		`[{"jsonrpc":"2.0","id":1,"method":"x"}]`,
		`{"jsonrpc":"2.0","id":1.5,"method":"x","params":{}}`,
		`{"jsonrpc":"2.0","ID":1,"Method":"x","Params":{}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want, werr := jsonrpc2.DecodeMessage(data)
		got, gerr := decodeMessage(data)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%q: jsonrpc2 error %v, ours %v", data, werr, gerr)
		}
		if werr != nil {
			return
		}
		wk, wm, wid, wb, we := describe(want)
		gk, gm, gid, gb, ge := describe(got)
		if wk != gk || wm != gm || wid != gid || we != ge || !sameJSON(wb, gb) {
			t.Fatalf("%q:\njsonrpc2 %s %q id %s %s %q\nours     %s %q id %s %s %q", data, wk, wm, wid, wb, we, gk, gm, gid, gb, ge)
		}
	})
}
