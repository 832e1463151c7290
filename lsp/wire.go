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
	ID     *jsonrpc2.ID    `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  *jsonrpc2.Error `json:"error"`
}

// decodeMessage parses one message (the same cases as jsonrpc2.DecodeMessage). params and
// result alias data, which the caller allocated for this message alone.
func decodeMessage(data []byte) (jsonrpc2.Message, error) {
	var m wireMessage
	rest, err := segjson.Parse(data, &m, segjson.ZeroCopy)
	if err == nil && len(bytes.TrimSpace(rest)) > 0 {
		err = errors.New("data after the message")
	}
	if err != nil {
		return nil, fmt.Errorf("unmarshaling jsonrpc message: %w", err)
	}
	if m.Method == "" {
		if m.ID == nil {
			return nil, jsonrpc2.ErrInvalidRequest
		}
		var rerr error
		if m.Error != nil {
			rerr = m.Error
		}
		return jsonrpc2.NewResponse(*m.ID, rawOrNil(m.Result), rerr)
	}
	if m.ID == nil {
		return jsonrpc2.NewNotification(m.Method, rawOrNil(m.Params))
	}
	return jsonrpc2.NewCall(*m.ID, m.Method, rawOrNil(m.Params))
}

// rawOrNil keeps absent params absent (nil, marshalled as null, as DecodeMessage leaves them).
func rawOrNil(r json.RawMessage) any {
	if len(r) == 0 {
		return nil
	}
	return r
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
