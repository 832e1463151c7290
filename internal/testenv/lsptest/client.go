// Package lsptest is an LSP client for tests: it speaks the base protocol over any stream (a
// net.Pipe to an in-process server, or the stdio of a real mimi-lsp process), records the
// server's notifications and can send raw bytes for malformed-input tests.
package lsptest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Client is a minimal, thread-safe LSP client.
type Client struct {
	w     io.Writer
	wmu   sync.Mutex
	seq   atomic.Int64
	mu    sync.Mutex
	wait  map[string]chan Response
	notes []Notification
	noteC chan struct{}
	done  chan struct{}
	err   error
	// answer builds the result of server→client requests by method (default: null).
	answer map[string]func(params json.RawMessage) any
}

// Answer sets the result the client gives a server→client request of method.
func (c *Client) Answer(method string, f func(params json.RawMessage) any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.answer == nil {
		c.answer = map[string]func(json.RawMessage) any{}
	}
	c.answer[method] = f
}

// Response is a reply from the server.
type Response struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *RPCError       `json:"error"`
}

// RPCError is a JSON-RPC error object.
type RPCError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *RPCError) Error() string { return fmt.Sprintf("rpc error %d: %s", e.Code, e.Message) }

// Notification is a server→client notification (or request, with ID set).
type Notification struct {
	ID     json.RawMessage `json:"id,omitempty"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
}

// New starts reading r.
func New(r io.Reader, w io.Writer) *Client {
	c := &Client{w: w, wait: map[string]chan Response{}, noteC: make(chan struct{}, 1), done: make(chan struct{})}
	go c.read(bufio.NewReader(r))
	return c
}

func (c *Client) read(r *bufio.Reader) {
	defer close(c.done)
	for {
		length := -1
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				c.mu.Lock()
				c.err = err
				c.mu.Unlock()
				return
			}
			line = strings.TrimSpace(line)
			if line == "" {
				break
			}
			if v, ok := strings.CutPrefix(line, "Content-Length:"); ok {
				length, _ = strconv.Atoi(strings.TrimSpace(v))
			}
		}
		body := make([]byte, length)
		if _, err := io.ReadFull(r, body); err != nil {
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
			return
		}
		var probe struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		_ = json.Unmarshal(body, &probe)
		if probe.Method != "" {
			var n Notification
			_ = json.Unmarshal(body, &n)
			if len(n.ID) > 0 { // a server→client request: its set answer, else null
				c.mu.Lock()
				f := c.answer[n.Method]
				c.mu.Unlock()
				var result any
				if f != nil {
					result = f(n.Params)
				}
				// Answered off the read loop, as an editor does: over a synchronous pipe, a
				// write from here would wait for a server that is itself waiting to write to us.
				go func() { _ = c.write(map[string]any{"jsonrpc": "2.0", "id": n.ID, "result": result}) }()
			}
			c.mu.Lock()
			c.notes = append(c.notes, n)
			c.mu.Unlock()
			select {
			case c.noteC <- struct{}{}:
			default:
			}
			continue
		}
		var resp Response
		_ = json.Unmarshal(body, &resp)
		c.mu.Lock()
		ch := c.wait[string(resp.ID)]
		delete(c.wait, string(resp.ID))
		if ch == nil { // e.g. a parse error reply with id null
			c.notes = append(c.notes, Notification{Method: "(response)", ID: resp.ID, Params: body})
		}
		c.mu.Unlock()
		if ch != nil {
			ch <- resp
		}
	}
}

func (c *Client) write(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.WriteRaw([]byte(fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(data), data)))
}

// WriteRaw writes bytes as they are (for malformed-frame tests).
func (c *Client) WriteRaw(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.w.Write(b)
	return err
}

// Pending is a request whose reply has not been awaited yet.
type Pending struct {
	ID int64
	ch chan Response
	c  *Client
}

// Send sends a request and returns without waiting.
func (c *Client) Send(method string, params any) (*Pending, error) {
	id := c.seq.Add(1)
	ch := make(chan Response, 1)
	c.mu.Lock()
	c.wait[strconv.FormatInt(id, 10)] = ch
	c.mu.Unlock()
	err := c.write(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	return &Pending{ID: id, ch: ch, c: c}, err
}

// Wait waits for the reply; result (when non-nil) receives the decoded result.
func (p *Pending) Wait(ctx context.Context, result any) error {
	select {
	case r := <-p.ch:
		if r.Error != nil {
			return r.Error
		}
		if result != nil && len(r.Result) > 0 {
			return json.Unmarshal(r.Result, result)
		}
		return nil
	case <-p.c.done:
		return fmt.Errorf("connection closed before reply to #%d: %v", p.ID, p.c.readErr())
	case <-ctx.Done():
		return fmt.Errorf("no reply to #%d: %w", p.ID, ctx.Err())
	}
}

// Call sends a request and waits for its reply.
func (c *Client) Call(ctx context.Context, method string, params, result any) error {
	p, err := c.Send(method, params)
	if err != nil {
		return err
	}
	return p.Wait(ctx, result)
}

// Notify sends a notification.
func (c *Client) Notify(method string, params any) error {
	return c.write(map[string]any{"jsonrpc": "2.0", "method": method, "params": params})
}

// Cancel sends $/cancelRequest for p.
func (c *Client) Cancel(p *Pending) error {
	return c.Notify("$/cancelRequest", map[string]any{"id": p.ID})
}

// Notifications returns the notifications with method (all when method is "").
func (c *Client) Notifications(method string) []Notification {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Notification
	for _, n := range c.notes {
		if method == "" || n.Method == method {
			out = append(out, n)
		}
	}
	return out
}

// WaitNotification waits until a notification with method has arrived (or ctx ends).
func (c *Client) WaitNotification(ctx context.Context, method string) (Notification, error) {
	for {
		if ns := c.Notifications(method); len(ns) > 0 {
			return ns[0], nil
		}
		select {
		case <-c.noteC:
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
			return Notification{}, fmt.Errorf("no %s notification: %w", method, ctx.Err())
		}
	}
}

// Done is closed when the server closes its output.
func (c *Client) Done() <-chan struct{} { return c.done }

func (c *Client) readErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}
