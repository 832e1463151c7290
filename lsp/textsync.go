package lsp

import (
	"encoding/json"
	"fmt"
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
	s.docs.put(NewDocument(td.URI, td.LanguageID, td.Version, td.Text))
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
	if p.TextDocument.Version != 0 && p.TextDocument.Version <= d.Version {
		s.log.Warn("didChange version did not increase; applying anyway", "uri", d.URI, "have", d.Version, "got", p.TextDocument.Version)
	}
	nd, err := d.apply(p.TextDocument.Version, p.ContentChanges, s.encoding())
	if err != nil {
		// Keep the last good text: applying half a change would corrupt every later position.
		return fmt.Errorf("didChange %s: %w", d.URI, err)
	}
	s.docs.put(nd)
	return nil
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
	return nil
}
