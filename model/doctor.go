package model

import (
	"context"
	"fmt"
	"time"
)

// Check is one line of a doctor report.
type Check struct {
	Name   string
	OK     bool
	Detail string
	Fix    string // exact command or step when !OK
	Task   Task   // the task a model check is for ("" for the server check)
	Model  string
}

// Doctor checks that Ollama answers and that every routed model is present with the
// capability its task needs. It never fails: problems are in the returned checks.
func (c *Client) Doctor(ctx context.Context, r Router) []Check {
	var out []Check
	v, err := c.Version(ctx)
	if err != nil {
		e := &Error{Kind: KindOf(err), Host: c.host, Model: r.Completion, Err: err}
		return append(out, Check{Name: "ollama reachable", Detail: err.Error(), Fix: e.Hint()})
	}
	out = append(out, Check{Name: "ollama reachable", OK: true, Detail: fmt.Sprintf("%s, version %s", c.host, v)})
	for _, t := range []Task{TaskCompletion, TaskAction, TaskEmbed} {
		name := r.ModelFor(t)
		ck := Check{Name: fmt.Sprintf("%s model %s", t, name), Task: t, Model: name}
		caps, err := c.Capabilities(ctx, name)
		switch {
		case KindOf(err) == KindModelMissing:
			ck.Detail, ck.Fix = "not pulled", "ollama pull "+name
		case err != nil:
			ck.Detail, ck.Fix = err.Error(), "check the Ollama server log"
		case !HasCapability(caps, t.Capability()):
			ck.Detail = fmt.Sprintf("lacks the %q capability (has %v)", t.Capability(), caps)
			ck.Fix = fmt.Sprintf("choose a model with %q for %s", t.Capability(), t)
		case t == TaskCompletion && !HasCapability(caps, "insert"):
			// Raw FIM prompts work without it, but its absence usually means a chat-only model.
			ck.OK, ck.Detail = true, fmt.Sprintf("ok (capabilities %v; no \"insert\": make sure it is a FIM code model)", caps)
		default:
			ck.OK, ck.Detail = true, fmt.Sprintf("ok (capabilities %v)", caps)
		}
		out = append(out, ck)
	}
	return out
}

// Running is one model loaded in Ollama (/api/ps).
type Running struct {
	Name          string    `json:"name"`
	Size          int64     `json:"size"`
	SizeVRAM      int64     `json:"sizeVram"`
	ContextLength int       `json:"contextLength"`
	ExpiresAt     time.Time `json:"expiresAt"`
}

// Running lists the models Ollama has loaded.
func (c *Client) Running(ctx context.Context) ([]Running, error) {
	resp, err := c.api.ListRunning(ctx)
	if err != nil {
		return nil, classify(ctx, err, "", c.host)
	}
	out := make([]Running, 0, len(resp.Models))
	for _, m := range resp.Models {
		out = append(out, Running{Name: m.Name, Size: m.Size, SizeVRAM: m.SizeVRAM, ContextLength: m.ContextLength, ExpiresAt: m.ExpiresAt})
	}
	return out, nil
}
