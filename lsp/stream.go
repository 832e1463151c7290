package lsp

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"go.lsp.dev/jsonrpc2"
)

// maxFrame bounds one message (a 10 MB document fits; a bogus Content-Length does not OOM us).
const maxFrame = 64 << 20

// stream is a jsonrpc2.Stream with LSP base-protocol framing that survives bad input: a frame
// whose body is not a JSON-RPC message is answered with a ParseError/InvalidRequest response
// (id null) and skipped, and garbage header lines are skipped until the next Content-Length.
// jsonrpc2's own stream ends the connection on either.
type stream struct {
	in     *bufio.Reader
	out    io.Writer
	wmu    sync.Mutex
	log    *slog.Logger
	closer func() error
}

func newStream(r io.Reader, w io.Writer, closer func() error, log *slog.Logger) *stream {
	return &stream{in: bufio.NewReaderSize(r, 64<<10), out: w, log: log, closer: closer}
}

// Read returns the next decodable message.
func (s *stream) Read(ctx context.Context) (jsonrpc2.Message, int64, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		data, n, err := s.readFrame()
		if err != nil {
			return nil, n, err
		}
		msg, err := decodeMessage(data)
		if err == nil {
			return msg, n, nil
		}
		code, text := jsonrpc2.ParseError, "parse error: "
		if json.Valid(data) {
			code, text = jsonrpc2.InvalidRequest, "invalid request: "
		}
		s.log.Warn("dropping malformed JSON-RPC message", "err", err, "bytes", len(data))
		_ = s.writeRaw(map[string]any{
			"jsonrpc": "2.0", "id": nil,
			"error": map[string]any{"code": code, "message": text + err.Error()},
		})
	}
}

// readFrame reads headers then the body.
func (s *stream) readFrame() ([]byte, int64, error) {
	var total int64
	length := -1
	for {
		line, err := s.in.ReadString('\n')
		total += int64(len(line))
		if err != nil {
			if errors.Is(err, io.EOF) && strings.TrimSpace(line) == "" {
				return nil, total, io.EOF
			}
			return nil, total, fmt.Errorf("reading header: %w", err)
		}
		line = strings.TrimSpace(line)
		if line == "" {
			if length >= 0 {
				break
			}
			continue // blank line before any header: skip
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			s.log.Warn("skipping invalid header line", "line", truncate(line, 80))
			length = -1
			continue
		}
		if strings.EqualFold(strings.TrimSpace(name), "Content-Length") {
			n, err := strconv.Atoi(strings.TrimSpace(value))
			if err != nil || n <= 0 || n > maxFrame {
				s.log.Warn("skipping frame with invalid Content-Length", "value", truncate(value, 40))
				length = -1
				continue
			}
			length = n
		}
	}
	data := make([]byte, length)
	n, err := io.ReadFull(s.in, data)
	total += int64(n)
	if err != nil {
		return nil, total, fmt.Errorf("reading body: %w", err)
	}
	return data, total, nil
}

// Write frames and writes one message.
func (s *stream) Write(_ context.Context, msg jsonrpc2.Message) (int64, error) {
	data, err := encodeMessage(msg)
	if err != nil {
		return 0, fmt.Errorf("marshaling message: %w", err)
	}
	return s.writeData(data)
}

func (s *stream) writeRaw(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = s.writeData(data)
	return err
}

func (s *stream) writeData(data []byte) (int64, error) {
	// One write per message: header and body together.
	frame := make([]byte, 0, len(data)+32)
	frame = frameHeader(frame, len(data))
	frame = append(frame, data...)
	s.wmu.Lock()
	defer s.wmu.Unlock()
	n, err := s.out.Write(frame)
	return int64(n), err
}

// Close is called by jsonrpc2 when reading fails; the server decides when to close output
// (after in-flight replies are written), so Close only runs the closer it was given.
func (s *stream) Close() error {
	if s.closer != nil {
		return s.closer()
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
