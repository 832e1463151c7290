package model

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/ollama/ollama/api"
)

// Kind classifies a failed Ollama call so callers can decide what to tell the user.
type Kind int

const (
	KindUnknown      Kind = iota
	KindUnreachable       // connection refused, DNS, dial timeout
	KindModelMissing      // 404 model not found
	KindOverloaded        // 503 queue full, 429
	KindBadRequest        // 400 (e.g. suffix without insert capability, bad options)
	KindTimeout           // our deadline passed
	KindCancelled         // the caller cancelled (editor moved on)
	KindServer            // 5xx or an error line inside a stream
)

func (k Kind) String() string {
	return [...]string{"unknown", "unreachable", "model-missing", "overloaded", "bad-request", "timeout", "cancelled", "server"}[k]
}

// Error is a classified Ollama failure.
type Error struct {
	Kind  Kind
	Model string
	Host  string
	Err   error
}

func (e *Error) Error() string {
	return fmt.Sprintf("ollama %s (model %s at %s): %v", e.Kind, e.Model, e.Host, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Hint tells the user how to fix the problem, with the exact command where there is one.
func (e *Error) Hint() string {
	switch e.Kind {
	case KindUnreachable:
		return fmt.Sprintf("Ollama is not reachable at %s. Start it with `ollama serve` (or `docker compose up -d ollama`), "+
			"or point OLLAMA_HOST at the machine that runs it; then `ollama pull %s`.", e.Host, e.Model)
	case KindModelMissing:
		return fmt.Sprintf("Model %q is not available in Ollama at %s. Run `ollama pull %s`.", e.Model, e.Host, e.Model)
	case KindOverloaded:
		return fmt.Sprintf("Ollama at %s is overloaded (queue full); completions resume when it catches up. Consider OLLAMA_NUM_PARALLEL or a smaller model.", e.Host)
	case KindBadRequest:
		return fmt.Sprintf("Ollama rejected the request for %q: %v", e.Model, e.Err)
	case KindTimeout:
		return fmt.Sprintf("Ollama at %s did not answer in time for %q (model loading or an overloaded machine).", e.Host, e.Model)
	default:
		return fmt.Sprintf("Ollama at %s failed for %q: %v", e.Host, e.Model, e.Err)
	}
}

// Problem words the failure for the user, as the layer that knows it: key stays the same for
// the same problem (a front end shows it once), msg says what to do, severe means the user must
// act (nothing works until then) rather than wait. ok is false for a failure that is not the
// user's to see: a cancelled call, an unclassified one.
func (e *Error) Problem() (key, msg string, severe, ok bool) {
	if e.Kind == KindUnknown || e.Kind == KindCancelled {
		return "", "", false, false
	}
	severe = e.Kind == KindUnreachable || e.Kind == KindModelMissing || e.Kind == KindBadRequest
	return "model:" + e.Kind.String(), e.Hint(), severe, true
}

// KindOf returns the Kind of err (KindUnknown when err is not an *Error).
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindUnknown
}

func classify(ctx context.Context, err error, model, host string) error {
	if err == nil {
		return nil
	}
	kind := KindUnknown
	var se api.StatusError
	var ne net.Error
	var oe *net.OpError
	switch {
	case errors.Is(ctx.Err(), context.Canceled) || errors.Is(err, context.Canceled):
		kind = KindCancelled
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		kind = KindTimeout
	case errors.As(err, &se):
		switch {
		case se.StatusCode == http.StatusNotFound:
			kind = KindModelMissing
		case se.StatusCode == http.StatusServiceUnavailable || se.StatusCode == http.StatusTooManyRequests:
			kind = KindOverloaded
		case se.StatusCode == 499:
			kind = KindCancelled
		case se.StatusCode >= 400 && se.StatusCode < 500:
			kind = KindBadRequest
		default:
			kind = KindServer
		}
	case errors.As(err, &oe) && oe.Op == "dial":
		kind = KindUnreachable
	case errors.As(err, &ne) && ne.Timeout():
		kind = KindTimeout
	case strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "no such host"):
		kind = KindUnreachable
	default:
		// The api client returns plain errors for {"error": …} lines inside a 200 stream.
		kind = KindServer
	}
	return &Error{Kind: kind, Model: model, Host: host, Err: err}
}
