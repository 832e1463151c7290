package model

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/ollama/ollama/api"
)

// Message is one chat message ("system", "user", "assistant").
type Message struct {
	Role, Content string
}

// ChatRequest is one chat through /api/chat (the model's own template applies).
type ChatRequest struct {
	Model     string
	Messages  []Message
	Options   Options
	Stop      []string
	KeepAlive time.Duration
	// Think, when set, asks a reasoning model to think (true) or not (false); nil leaves the
	// model's default (a model without the capability rejects an explicit true).
	Think *bool
}

// Chatter is a backend that chats (*Client does; the scheduler admits chats through it).
type Chatter interface {
	Chat(ctx context.Context, req ChatRequest, onChunk func(chunk, soFar string, thinking bool) bool) (Generation, error)
}

// Chat streams a chat answer. onChunk receives each piece of the answer (thinking false) or of
// the model's separate reasoning (thinking true, never part of Generation.Text) with the
// answer so far; returning false stops generation (the HTTP request is closed, which stops
// Ollama).
func (c *Client) Chat(ctx context.Context, req ChatRequest, onChunk func(chunk, soFar string, thinking bool) bool) (Generation, error) {
	start := time.Now()
	stream := true
	r := &api.ChatRequest{Model: req.Model, Stream: &stream, Options: req.Options.toMap()}
	for _, m := range req.Messages {
		r.Messages = append(r.Messages, api.Message{Role: m.Role, Content: m.Content})
	}
	if len(req.Stop) > 0 {
		r.Options["stop"] = req.Stop
	}
	if req.KeepAlive > 0 {
		r.KeepAlive = &api.Duration{Duration: req.KeepAlive}
	}
	if req.Think != nil {
		r.Think = &api.ThinkValue{Value: *req.Think}
	}
	var b strings.Builder
	var g Generation
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	err := c.api.Chat(cctx, r, func(resp api.ChatResponse) error {
		if t := resp.Message.Thinking; t != "" && onChunk != nil && !onChunk(t, b.String(), true) {
			return errStopEarly
		}
		if t := resp.Message.Content; t != "" {
			b.WriteString(t)
			if onChunk != nil && !onChunk(t, b.String(), false) {
				return errStopEarly
			}
		}
		if resp.Done {
			g.DoneReason = resp.DoneReason
			g.EvalCount = resp.EvalCount
			g.PromptCount = resp.PromptEvalCount
		}
		return nil
	})
	return c.finish(ctx, g, b.String(), start, err, req.Model)
}

var errNoChat = errors.New("model: this backend cannot chat")

// Chat runs one chat when its model has a free slot, at call's priority (nil: a code action).
func (s *Scheduler) Chat(ctx context.Context, call *Call, req ChatRequest, onChunk func(chunk, soFar string, thinking bool) bool) (Generation, error) {
	ch, ok := s.b.(Chatter)
	if !ok {
		return Generation{}, errNoChat
	}
	if call == nil {
		call = NewCall(TaskAction)
	}
	cctx, done, err := s.admit(ctx, call, req.Model)
	if err != nil {
		return Generation{}, err
	}
	defer done()
	n := 0
	for _, m := range req.Messages {
		n += len(m.Content)
	}
	o := s.observe(req.Model, call.Task(), n)
	g, err := ch.Chat(cctx, req, func(chunk, soFar string, thinking bool) bool {
		o.chunk()
		return onChunk == nil || onChunk(chunk, soFar, thinking)
	})
	o.done(cctx, err, g.PromptCount, g.EvalCount, g.DoneReason)
	return g, err
}

// Capabilities asks the backend for a model's capabilities (outside the queues: it is a
// metadata request, not a generation); errNoChat-like when the backend cannot tell.
func (s *Scheduler) Capabilities(ctx context.Context, modelName string) ([]string, error) {
	c, ok := s.b.(interface {
		Capabilities(ctx context.Context, modelName string) ([]string, error)
	})
	if !ok {
		return nil, errors.New("model: this backend cannot report capabilities")
	}
	return c.Capabilities(ctx, modelName)
}
