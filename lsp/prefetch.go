package lsp

import (
	"github.com/mimi-lsp/mimi-lsp/completion"
	"github.com/mimi-lsp/mimi-lsp/config"
	"time"
)

// Prefetcher is what a service offers when it can prepare a completion ahead of the keystroke
// (optional: the server checks for it): today, retrieving code from other files for the region
// being edited, so the next completion there finds it ready instead of starting it.
type Prefetcher interface {
	// Prefetch starts the preparation for a completion at r.Offset in the background and
	// returns at once; a region already prepared or being prepared costs a map lookup.
	Prefetch(r completion.Request)
}

// completionRequest is the engine's request for a completion in doc at off.
func (s *Server) completionRequest(doc *Document, off int, cfg config.Config) completion.Request {
	return completion.Request{Text: doc.Text, Offset: off, Path: s.relPath(doc.URI), File: documentPath(doc.URI), Repo: s.rootName,
		Language: doc.LanguageID, Scope: s.cacheScope(cfg.CacheScope), TypingInterval: doc.typingIntervalAt(time.Now())}
}

// prefetch prepares a completion where the user is editing: on open (the top of the file,
// where editors without a restored cursor start) and after each change (where it ends).
func (s *Server) prefetch(doc *Document, off int) {
	pf, ok := s.svc.(Prefetcher)
	if !ok || doc.lost || off < 0 || off > len(doc.Text) {
		return
	}
	s.mu.Lock()
	cfg := s.cfg
	s.mu.Unlock()
	pf.Prefetch(s.completionRequest(doc, off, cfg))
}

// changeEnd is the offset in the new text where the last change ends (0 when unknown).
func changeEnd(nd *Document, changes []contentChange, enc Encoding) int {
	if len(changes) == 0 {
		return 0
	}
	c := changes[len(changes)-1]
	if c.Range == nil {
		return 0
	}
	off, err := nd.Offset(c.Range.Start, enc)
	if err != nil {
		return 0
	}
	return min(len(nd.Text), off+len(c.Text))
}
