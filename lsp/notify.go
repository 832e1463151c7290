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

// showOnce shows a notice once per key for the session (a home-directory root not indexed,
// a locked setting, a bad configuration): a completion that works does not bring it back.
// It reports whether the message was shown.
func (s *Server) showOnce(ctx context.Context, key string, typ protocol.MessageType, msg string) bool {
	return s.showFirst(ctx, s.notified, key, typ, msg)
}

// showProblem shows a completion problem once per key until clearProblems — so an unreachable
// Ollama produces one message, not one per keystroke, and again after it came back and failed.
func (s *Server) showProblem(ctx context.Context, key string, typ protocol.MessageType, msg string) bool {
	return s.showFirst(ctx, s.problems, key, typ, msg)
}

func (s *Server) showFirst(ctx context.Context, seenBy map[string]bool, key string, typ protocol.MessageType, msg string) bool {
	s.mu.Lock()
	seen := seenBy[key]
	seenBy[key] = true
	s.mu.Unlock()
	if !seen {
		s.show(ctx, typ, msg)
	}
	return !seen
}

// clearProblems forgets shown completion problems after a success, so a later outage is
// reported again (notices stay shown).
func (s *Server) clearProblems() {
	s.mu.Lock()
	s.lastProblem = ""
	clear(s.problems)
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
