package model

import (
	"context"
	"fmt"
)

// Check is one line of a doctor report.
type Check struct {
	Name   string
	OK     bool
	Detail string
	Fix    string // exact command or step when !OK
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
		ck := Check{Name: fmt.Sprintf("%s model %s", t, name)}
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
