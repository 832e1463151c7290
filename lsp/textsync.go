package lsp

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.lsp.dev/protocol"
)

type textDocumentItem struct {
	URI        string `json:"uri"`
	LanguageID string `json:"languageId"`
	Version    int32  `json:"version"`
	Text       string `json:"text"`
}

type versionedTextDocumentIdentifier struct {
	URI     string `json:"uri"`
	Version int32  `json:"version"`
}

type textDocumentIdentifier struct {
	URI string `json:"uri"`
}

func (s *Server) encoding() Encoding {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.enc
}

func (s *Server) didOpen(raw json.RawMessage) error {
	var p struct {
		TextDocument textDocumentItem `json:"textDocument"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return err
	}
	if p.TextDocument.URI == "" {
		return fmt.Errorf("didOpen without a uri")
	}
	td := p.TextDocument
	d := NewDocument(td.URI, td.LanguageID, td.Version, td.Text)
	s.docs.put(d)
	s.prefetch(d, 0)
	s.log.Debug("didOpen", "uri", td.URI, "bytes", len(td.Text), "open", s.docs.len())
	return nil
}

func (s *Server) didChange(raw json.RawMessage) error {
	var p struct {
		TextDocument   versionedTextDocumentIdentifier `json:"textDocument"`
		ContentChanges []contentChange                 `json:"contentChanges"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return err
	}
	d, ok := s.docs.get(p.TextDocument.URI)
	if !ok {
		return fmt.Errorf("didChange for a document that is not open: %s", p.TextDocument.URI)
	}
	if d.lost {
		// Only a full-text change (or didOpen) brings a lost document back.
		i := lastFullChange(p.ContentChanges)
		if i < 0 {
			s.log.Debug("didChange ignored: document out of sync until a full change or didOpen", "uri", d.URI)
			return nil
		}
		p.ContentChanges = p.ContentChanges[i:]
		s.log.Info("document back in sync (full change)", "uri", d.URI)
	}
	if p.TextDocument.Version != 0 && p.TextDocument.Version <= d.Version {
		s.log.Warn("didChange version did not increase; applying anyway", "uri", d.URI, "have", d.Version, "got", p.TextDocument.Version)
	}
	nd, err := d.apply(p.TextDocument.Version, p.ContentChanges, s.encoding())
	if err != nil {
		// Our text no longer matches the editor's: every later position would point at the
		// wrong place and suggestions would be built from text the user does not see. Drop the
		// text, answer nothing for this document until it is reopened or fully replaced, and
		// say so once.
		s.docs.put(lostDocument(d, p.TextDocument.Version))
		s.supersede(d.URI)
		s.show(context.Background(), protocol.MessageTypeWarning, fmt.Sprintf("mimi-lsp: lost track of %s after an edit it could not apply (%v); "+
			"completions are paused for this file until the editor reopens it or sends its full text.", d.URI, err))
		return fmt.Errorf("didChange %s: %w", d.URI, err)
	}
	now := time.Now()
	nd.edited, nd.interval = now, typingInterval(d.edited, d.interval, now)
	s.docs.put(nd)
	s.prefetch(nd, changeEnd(nd, p.ContentChanges, s.encoding()))
	return nil
}

// lastFullChange is the index of the last change without a range (-1 when every change is
// incremental).
func lastFullChange(changes []contentChange) int {
	for i := len(changes) - 1; i >= 0; i-- {
		if changes[i].Range == nil {
			return i
		}
	}
	return -1
}

func (s *Server) didClose(raw json.RawMessage) error {
	var p struct {
		TextDocument textDocumentIdentifier `json:"textDocument"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return err
	}
	if !s.docs.remove(p.TextDocument.URI) {
		return fmt.Errorf("didClose for a document that is not open: %s", p.TextDocument.URI)
	}
	s.supersede(p.TextDocument.URI)
	return nil
}

func (s *Server) didSave(raw json.RawMessage) error {
	var p struct {
		TextDocument textDocumentIdentifier `json:"textDocument"`
		Text         *string                `json:"text"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return err
	}
	if d, ok := s.docs.get(p.TextDocument.URI); ok && p.Text != nil && *p.Text != d.Text {
		s.docs.put(NewDocument(d.URI, d.LanguageID, d.Version, *p.Text))
	}
	// The saved file is on disk now. Without file watchers nothing else reports changes made
	// outside the editor (git pull, code generators): each save re-walks the workspace (a stat
	// per unchanged file) instead.
	s.mu.Lock()
	watched := s.clientWatch
	s.mu.Unlock()
	if f := uriPath(p.TextDocument.URI); f != "" && watched {
		s.refreshIndex([]string{f})
	} else {
		s.refreshIndex(nil)
	}
	return nil
}
