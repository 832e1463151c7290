package lsp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	segjson "github.com/segmentio/encoding/json"
	"go.lsp.dev/jsonrpc2"
)

// The wire format, done in one pass each way. jsonrpc2.DecodeMessage builds a streaming
// decoder per message (about 29 KB allocated for a 150-byte request), and a reply was encoded
// twice (the result into a RawMessage, then the response around it, compacting the result
// again); both showed at the top of the hit path's profile.

// wireMessage is any JSON-RPC message on the wire.
type wireMessage struct {
	Version string          `json:"jsonrpc"`
	ID      *jsonrpc2.ID    `json:"id"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
}

// decodeMessage parses one message as jsonrpc2.DecodeMessage does (a fuzz test holds them
// equal), without its per-message streaming decoder. Responses and messages whose params are
// absent or null go to DecodeMessage itself: the constructors would turn absent params into
// "null", and a handler must see them absent (e.g. $/cancelRequest without params cancels
// nothing). The constructors re-encode params (compacted): the same JSON value.
func decodeMessage(data []byte) (jsonrpc2.Message, error) {
	var m wireMessage
	if _, err := segjson.Parse(data, &m, segjson.ZeroCopy); err != nil {
		return nil, fmt.Errorf("unmarshaling jsonrpc message: %w", err)
	}
	if m.Version != "2.0" {
		return jsonrpc2.DecodeMessage(data) // its own error
	}
	if m.Method == "" || isNull(m.Params) {
		// A response (to one of the few requests the server sends), or no params.
		return jsonrpc2.DecodeMessage(data)
	}
	if m.ID == nil {
		return jsonrpc2.NewNotification(m.Method, m.Params)
	}
	return jsonrpc2.NewCall(*m.ID, m.Method, m.Params)
}

func isNull(r json.RawMessage) bool {
	return len(r) == 0 || string(bytes.TrimSpace(r)) == "null"
}

// encodeMessage writes msg; a response is framed around its result as it is (already JSON).
func encodeMessage(msg jsonrpc2.Message) ([]byte, error) {
	resp, ok := msg.(*jsonrpc2.Response)
	if !ok {
		return json.Marshal(msg)
	}
	rid := resp.ID()
	id, err := rid.MarshalJSON()
	if err != nil {
		return nil, err
	}
	var b []byte
	if rerr := resp.Err(); rerr != nil {
		var je *jsonrpc2.Error
		if !errors.As(rerr, &je) {
			je = &jsonrpc2.Error{Message: rerr.Error()} // as jsonrpc2 does (code 0)
		}
		e, err := json.Marshal(je)
		if err != nil {
			return nil, err
		}
		b = make([]byte, 0, 40+len(id)+len(e))
		b = append(b, `{"jsonrpc":"2.0","error":`...)
		b = append(b, e...)
	} else {
		result := resp.Result()
		if len(result) == 0 {
			result = json.RawMessage("null")
		}
		b = make([]byte, 0, 40+len(id)+len(result))
		b = append(b, `{"jsonrpc":"2.0","result":`...)
		b = append(b, result...)
	}
	b = append(b, `,"id":`...)
	b = append(b, id...)
	return append(b, '}'), nil
}

// frameHeader is the LSP base-protocol header for a body of n bytes.
func frameHeader(dst []byte, n int) []byte {
	dst = append(dst, "Content-Length: "...)
	dst = strconv.AppendInt(dst, int64(n), 10)
	return append(dst, "\r\n\r\n"...)
}
