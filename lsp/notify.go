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
	for k := range s.notified {
		if k != "config" && k != keyProblem {
			delete(s.notified, k)
		}
	}
	s.mu.Unlock()
}

// keyProblem is the showOnce key of Service.Problem: it stays shown while the problem lasts
// (a completion that succeeds through the memory tier does not clear it).
const keyProblem = "service-problem"

// problemQuiet is how long a shared dependency must stay healthy before a new failure is shown
// again: a flaky Redis that trips its breaker every few seconds gives one message, not a stream.
const problemQuiet = 5 * time.Minute

// checkProblem tells the user once about a failing shared dependency, and again only after it
// had recovered for problemQuiet and then failed anew.
func (s *Server) checkProblem(ctx context.Context) {
	now := s.now()
	if err := s.svc.Problem(); err != nil {
		s.mu.Lock()
		s.problemOKSince = time.Time{}
		s.mu.Unlock()
		if s.showOnce(ctx, keyProblem, protocol.MessageTypeWarning, "mimi-lsp: "+err.Error()) {
			s.log.Warn("shared dependency failing", "err", err)
		}
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.notified[keyProblem] {
		return
	}
	if s.problemOKSince.IsZero() {
		s.problemOKSince = now
	}
	if now.Sub(s.problemOKSince) >= problemQuiet {
		delete(s.notified, keyProblem)
		s.problemOKSince = time.Time{}
	}
}
