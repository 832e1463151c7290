// Package model is the only package that speaks HTTP to Ollama: the task→model router, the
// generate/embed calls, capability checks and error classification.
package model

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ollama/ollama/api"
)

// Task is what a model is used for.
type Task string

const (
	TaskCompletion Task = "completion"
	TaskAction     Task = "action"
	TaskEmbed      Task = "embed"
)

// Router maps tasks to model names.
type Router struct {
	Completion, Action, Embed string
}

// ModelFor returns the model that serves task.
func (r Router) ModelFor(t Task) string {
	switch t {
	case TaskAction:
		return r.Action
	case TaskEmbed:
		return r.Embed
	default:
		return r.Completion
	}
}

// Capability returns the Ollama capability a task needs.
func (t Task) Capability() string {
	switch t {
	case TaskEmbed:
		return "embedding"
	default:
		return "completion"
	}
}

// Options are the generation options always sent (Ollama's defaults are unsafe for completion).
type Options struct {
	NumCtx      int
	NumPredict  int
	Temperature float64
	TopP        float64
	Seed        int
}

func (o Options) toMap() map[string]any {
	m := map[string]any{
		"num_ctx":     o.NumCtx,
		"num_predict": o.NumPredict,
		"temperature": o.Temperature,
		"top_p":       o.TopP,
	}
	if o.Seed != 0 {
		m["seed"] = o.Seed
	}
	return m
}

// GenerateRequest is one raw generation.
type GenerateRequest struct {
	Model     string
	Prompt    string // sent with raw=true: the caller wrote the model's own tokens
	Options   Options
	Stop      []string
	KeepAlive time.Duration
}

// Generation is the outcome of a generation.
type Generation struct {
	Text       string
	DoneReason string // "stop", "length", or "client" when onChunk stopped it early
	EvalCount  int
	// PromptCount is the prompt's tokens Ollama evaluated (fewer than the prompt's when its
	// KV cache held a common prefix).
	PromptCount int
	Duration    time.Duration
}

// Client talks to one Ollama server.
type Client struct {
	api  *api.Client
	host string
	tr   *http.Transport
}

// Config for New.
type Config struct {
	Host           string        // base URL, already normalised (config.NormalizeHost)
	ConnectTimeout time.Duration // dialing
	Timeout        time.Duration // upper bound for one HTTP exchange; callers set tighter deadlines
}

// New builds a client with its own http.Client (never http.DefaultClient, which has no timeout).
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.Host)
	if err != nil {
		return nil, fmt.Errorf("ollama host %q: %w", cfg.Host, err)
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 2 * time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Minute
	}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: cfg.ConnectTimeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 8,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: cfg.ConnectTimeout,
	}
	return &Client{api: api.NewClient(u, &http.Client{Transport: tr, Timeout: cfg.Timeout}), host: cfg.Host, tr: tr}, nil
}

// Close drops the client's idle connections (calls still running finish on theirs).
func (c *Client) Close() { c.tr.CloseIdleConnections() }

// Host returns the base URL.
func (c *Client) Host() string { return c.host }

var errStopEarly = errors.New("stop early")

// Generate streams a raw generation. onChunk receives each piece of text and the text so far;
// returning false stops generation (the HTTP request is closed, which stops Ollama).
func (c *Client) Generate(ctx context.Context, req GenerateRequest, onChunk func(chunk, soFar string) bool) (Generation, error) {
	start := time.Now()
	stream := true
	r := &api.GenerateRequest{
		Model:   req.Model,
		Prompt:  req.Prompt,
		Raw:     true,
		Stream:  &stream,
		Options: req.Options.toMap(),
	}
	r.Options["stop"] = req.Stop
	if req.KeepAlive > 0 {
		r.KeepAlive = &api.Duration{Duration: req.KeepAlive}
	}
	var b strings.Builder
	var g Generation
	// A child context lets an early stop close the HTTP request.
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	err := c.api.Generate(cctx, r, func(resp api.GenerateResponse) error {
		if resp.Response != "" {
			b.WriteString(resp.Response)
			if onChunk != nil && !onChunk(resp.Response, b.String()) {
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

// finish completes a streamed generation's outcome: an early stop by the caller is a success
// ("client"), any other error is classified.
func (c *Client) finish(ctx context.Context, g Generation, text string, start time.Time, err error, model string) (Generation, error) {
	g.Text = text
	g.Duration = time.Since(start)
	if errors.Is(err, errStopEarly) {
		g.DoneReason = "client"
		return g, nil
	}
	if err != nil {
		return g, classify(ctx, err, model, c.host)
	}
	return g, nil
}

// Embed embeds a batch of inputs (vectors come back L2-normalised).
func (c *Client) Embed(ctx context.Context, modelName string, inputs []string, keepAlive time.Duration) ([][]float32, error) {
	r := &api.EmbedRequest{Model: modelName, Input: inputs}
	if keepAlive > 0 {
		r.KeepAlive = &api.Duration{Duration: keepAlive}
	}
	resp, err := c.api.Embed(ctx, r)
	if err != nil {
		return nil, classify(ctx, err, modelName, c.host)
	}
	return resp.Embeddings, nil
}

// Version returns the server version.
func (c *Client) Version(ctx context.Context) (string, error) {
	v, err := c.api.Version(ctx)
	if err != nil {
		return "", classify(ctx, err, "", c.host)
	}
	return v, nil
}

// Capabilities returns the model's capabilities as Ollama reports them
// ("completion", "insert", "embedding", "tools", …).
func (c *Client) Capabilities(ctx context.Context, modelName string) ([]string, error) {
	resp, err := c.api.Show(ctx, &api.ShowRequest{Model: modelName})
	if err != nil {
		return nil, classify(ctx, err, modelName, c.host)
	}
	out := make([]string, 0, len(resp.Capabilities))
	for _, cp := range resp.Capabilities {
		out = append(out, string(cp))
	}
	return out, nil
}

// HasCapability reports whether caps contains want.
func HasCapability(caps []string, want string) bool { return slices.Contains(caps, want) }
