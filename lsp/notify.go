package lsp

import (
	"context"
	"time"

	"go.lsp.dev/protocol"
)

// show sends window/showMessage (a notification: safe from any goroutine).
func (s *Server) show(ctx context.Context, typ protocol.MessageType, msg string) {
	s.log.Info("showMessage", "type", typ.String(), "message", msg)
	if s.conn == nil {
		return
	}
	if err := s.conn.Notify(context.WithoutCancel(ctx), "window/showMessage",
		&protocol.ShowMessageParams{Type: typ, Message: msg}); err != nil {
		s.log.Warn("showMessage failed", "err", err)
	}
}

// showOnce shows a problem once per key until clearProblems — so an unreachable Ollama
// produces one message, not one per keystroke. It reports whether the message was shown.
func (s *Server) showOnce(ctx context.Context, key string, typ protocol.MessageType, msg string) bool {
	s.mu.Lock()
	seen := s.notified[key]
	s.notified[key] = true
	s.mu.Unlock()
	if !seen {
		s.show(ctx, typ, msg)
	}
	return !seen
}

// clearProblems forgets shown problems after a success, so a later outage is reported again.
func (s *Server) clearProblems() {
	s.mu.Lock()
	s.lastProblem = ""
	for k := range s.notified {
		if k != "config" {
			delete(s.notified, k)
		}
	}
	s.mu.Unlock()
}

// problemQuiet is how long a shared dependency must stay healthy before the same failure is
// shown again: a flaky Redis that trips its breaker every few seconds gives one message, not a
// stream. A different failure is shown at once, but not twice within problemRepeat.
const (
	problemQuiet  = 5 * time.Minute
	problemRepeat = time.Minute
)

// checkProblem tells the user about a failing shared dependency: once per problem, again after
// it had recovered for problemQuiet, and when it fails differently.
func (s *Server) checkProblem(ctx context.Context) {
	now := s.now()
	err := s.svc.Problem()
	s.mu.Lock()
	if err == nil {
		if s.problemShown != "" {
			if s.problemOKSince.IsZero() {
				s.problemOKSince = now
			}
			if now.Sub(s.problemOKSince) >= problemQuiet {
				s.problemShown, s.problemOKSince = "", time.Time{}
			}
		}
		s.mu.Unlock()
		return
	}
	s.problemOKSince = time.Time{}
	msg := "mimi-lsp: " + err.Error()
	show := s.problemShown == "" || (msg != s.problemShown && now.Sub(s.problemAt) >= problemRepeat)
	if show {
		s.problemShown, s.problemAt = msg, now
	}
	s.mu.Unlock()
	if show {
		s.log.Warn("shared dependency failing", "err", err)
		s.show(ctx, protocol.MessageTypeWarning, msg)
	}
}
