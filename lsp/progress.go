package lsp

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"go.lsp.dev/protocol"
)

// progress is one work-done progress shown by the client ($/progress begin, reports, end),
// cancellable by the user (window/workDoneProgress/cancel). Without client support it only logs.
type progress struct {
	s      *Server
	token  string // "" when the client does not support work-done progress
	last   atomic.Int32
	ended  atomic.Bool
	cancel context.CancelFunc
}

var progressSeq atomic.Int64

// startProgress creates a token (a server→client request: never call it on the read loop) and
// sends begin. The returned context ends when the user cancels the progress or ctx ends.
func (s *Server) startProgress(ctx context.Context, title, message string) (*progress, context.Context) {
	pctx, cancel := context.WithCancel(ctx)
	p := &progress{s: s, cancel: cancel}
	p.last.Store(-1)
	s.mu.Lock()
	supported := s.clientProgress
	s.mu.Unlock()
	if supported && s.conn != nil {
		token := fmt.Sprintf("mimi-%d", progressSeq.Add(1))
		var ignored any
		if _, err := s.conn.Call(pctx, "window/workDoneProgress/create", map[string]any{"token": token}, &ignored); err != nil {
			s.log.Debug("workDoneProgress/create failed; progress only in the log", "err", err)
		} else {
			p.token = token
			s.mu.Lock()
			s.progresses[token] = p
			s.mu.Unlock()
			p.notify(map[string]any{"kind": "begin", "title": title, "message": message, "cancellable": true, "percentage": 0})
		}
	}
	s.log.Info(title, "message", message)
	return p, pctx
}

// report sends a percentage and message (only when the percentage moved).
func (p *progress) report(done, total int, message string) {
	pct := 0
	if total > 0 {
		pct = min(100, done*100/total)
	}
	if p.last.Swap(int32(pct)) == int32(pct) || p.token == "" {
		return
	}
	p.notify(map[string]any{"kind": "report", "message": message, "percentage": pct})
}

// reportText sends a message without a percentage (work of unknown length).
func (p *progress) reportText(message string) {
	if p.token == "" || p.ended.Load() {
		return
	}
	p.notify(map[string]any{"kind": "report", "message": message})
}

// end sends the end notification once and forgets the token.
func (p *progress) end(message string) {
	if p.ended.Swap(true) {
		return
	}
	p.cancel()
	if p.token != "" {
		p.notify(map[string]any{"kind": "end", "message": message})
		p.s.mu.Lock()
		delete(p.s.progresses, p.token)
		p.s.mu.Unlock()
	}
	p.s.log.Info("progress end", "message", message)
}

func (p *progress) notify(value map[string]any) {
	if err := p.s.conn.Notify(context.Background(), "$/progress", map[string]any{"token": p.token, "value": value}); err != nil {
		p.s.log.Debug("$/progress failed", "err", err)
	}
}

// cancelProgress handles window/workDoneProgress/cancel (the user pressed cancel).
func (s *Server) cancelProgress(token string) {
	s.mu.Lock()
	p := s.progresses[token]
	s.mu.Unlock()
	if p != nil {
		s.log.Info("progress cancelled by the user", "token", token)
		p.cancel()
	}
}

// background runs fn off the read loop on the session's background context (ended by
// shutdown, exit and the end of Serve, which waits for it).
func (s *Server) background(fn func(ctx context.Context)) {
	s.mu.Lock()
	if s.exited || s.closing || s.state == stateShutdown {
		s.mu.Unlock()
		return
	}
	s.bgWG.Add(1)
	ctx := s.bgCtx
	s.mu.Unlock()
	go func() {
		defer s.bgWG.Done()
		fn(ctx)
	}()
}

// progressCapable reads capabilities.window.workDoneProgress.
type windowCapabilities struct {
	WorkDoneProgress bool `json:"workDoneProgress"`
}

var _ = protocol.WorkDoneProgressBegin{} // the shapes sent above are these (3.16)

// bgState is embedded in Server.
type bgState struct {
	bgCtx    context.Context
	bgCancel context.CancelFunc
	bgWG     sync.WaitGroup
}
