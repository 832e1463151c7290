package lsp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	segjson "github.com/segmentio/encoding/json"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/mimi-lsp/mimi-lsp/completion"
	"github.com/mimi-lsp/mimi-lsp/config"
)

type positionParams struct {
	TextDocument textDocumentIdentifier `json:"textDocument"`
	Position     *Position              `json:"position"`
	Context      struct {
		TriggerKind int `json:"triggerKind"`
	} `json:"context"`
}

// inlineInvoked is InlineCompletionTriggerKind.Invoked (LSP 3.18): the user asked explicitly.
const inlineInvoked = 1

// inlineCompletionItem and inlineCompletionList are LSP 3.18 types (absent from protocol v0.12.0).
type inlineCompletionItem struct {
	InsertText string            `json:"insertText"`
	FilterText string            `json:"filterText,omitempty"`
	Range      *Range            `json:"range,omitempty"`
	Command    *protocol.Command `json:"command,omitempty"`
}

// completionList and completionItem are the fields of protocol's types this server sends:
// encoding protocol.CompletionItem (two dozen fields, most empty) was a fifth of a cache hit's
// CPU.
type completionList struct {
	IsIncomplete bool             `json:"isIncomplete"`
	Items        []completionItem `json:"items"`
}

type completionItem struct {
	Label            string                      `json:"label"`
	Kind             protocol.CompletionItemKind `json:"kind,omitempty"`
	Detail           string                      `json:"detail,omitempty"`
	Documentation    *protocol.MarkupContent     `json:"documentation,omitempty"`
	FilterText       string                      `json:"filterText,omitempty"`
	SortText         string                      `json:"sortText,omitempty"`
	InsertTextFormat protocol.InsertTextFormat   `json:"insertTextFormat,omitempty"`
	TextEdit         *protocol.TextEdit          `json:"textEdit,omitempty"`
	Command          *protocol.Command           `json:"command,omitempty"`
}

type inlineCompletionList struct {
	Items []inlineCompletionItem `json:"items"`
}

var errSuperseded = errors.New("superseded by a newer completion request for the same document")

// startCompletion snapshots the document on the read loop (so it reflects every didChange
// before it), then answers on its own goroutine.
func (s *Server) startCompletion(ctx context.Context, id jsonrpc2.ID, reply jsonrpc2.Replier, raw json.RawMessage, inline bool) error {
	var p positionParams
	if err := segjson.Unmarshal(raw, &p); err != nil || p.Position == nil || p.TextDocument.URI == "" {
		return s.replyErr(ctx, reply, jsonrpc2.Errorf(jsonrpc2.InvalidParams, "completion needs textDocument.uri and position"))
	}
	if !inline && !s.completionItems() {
		// Off (or auto in an editor that shows inline suggestions): a complete empty list, so
		// the editor does not ask again on every keystroke.
		return s.reply(ctx, reply, completionList{Items: []completionItem{}}, nil)
	}
	doc, ok := s.docs.get(p.TextDocument.URI)
	if !ok {
		return s.replyErr(ctx, reply, jsonrpc2.Errorf(jsonrpc2.InvalidParams, "document not open: %s (send didOpen first)", p.TextDocument.URI))
	}
	if doc.lost {
		s.log.Debug("completion skipped: document out of sync", "uri", doc.URI)
		return s.reply(ctx, reply, emptyResult(inline), nil)
	}
	enc := s.encoding()
	off, err := doc.Offset(*p.Position, enc)
	if err != nil {
		return s.replyErr(ctx, reply, jsonrpc2.Errorf(jsonrpc2.InvalidParams, "%v", err))
	}
	s.mu.Lock()
	cfg := s.cfg
	s.mu.Unlock()

	cctx, c, ok := s.track(ctx, id)
	if !ok {
		return s.replyErr(ctx, reply, jsonrpc2.Errorf(jsonrpc2.InvalidRequest, "server has exited"))
	}
	method := "completion"
	if inline {
		method = "inline"
	}
	s.supersede(doc.URI + "\x00" + method)
	s.mu.Lock()
	s.latest[doc.URI+"\x00"+method] = c
	s.mu.Unlock()

	req := s.completionRequest(doc, off, cfg)
	req.Explicit = inline && p.Context.TriggerKind == inlineInvoked // no debounce: the user is waiting
	key := doc.URI + "\x00" + method
	if rc, ok := s.svc.(ReadyCompleter); ok {
		// A cache hit or typing-ahead needs no waiting: answered here, on the read loop,
		// without a hand-off to another goroutine.
		start := time.Now()
		var res completion.Result
		if req, res, ok = rc.CompleteReady(req); ok {
			s.answerCompletion(ctx, cctx, reply, doc, off, inline, cfg, res, nil, start)
			s.forgetLatest(key, c)
			s.untrack(c)
			return nil
		}
	}
	go func() {
		defer s.untrack(c)
		defer s.forgetLatest(key, c)
		tctx, cancel := context.WithTimeout(cctx, cfg.Timeout)
		defer cancel()
		start := time.Now()
		res, err := s.svc.Complete(tctx, req)
		s.answerCompletion(ctx, cctx, reply, doc, off, inline, cfg, res, err, start)
	}()
	return nil
}

// ReadyCompleter is a Service that can answer a completion at once when nothing needs waiting
// for (a cache hit, typing-ahead); ok false sends the request down the full path.
type ReadyCompleter interface {
	// CompleteReady returns r as Complete should get it next (e.g. with what it looked up for
	// it), and the answer when ok.
	CompleteReady(r completion.Request) (completion.Request, completion.Result, bool)
}

// answerCompletion replies to a completion with its result (or its failure) and records it.
func (s *Server) answerCompletion(ctx, cctx context.Context, reply jsonrpc2.Replier, doc *Document, off int, inline bool,
	cfg config.Config, res completion.Result, err error, start time.Time) {
	s.checkProblem(ctx)
	observe := func(outcome string) {
		if s.opts.Observer != nil {
			s.opts.Observer.Completion(string(res.Source), outcome, time.Since(start))
		}
	}
	if cause := context.Cause(cctx); errors.Is(cause, errSuperseded) {
		observe("superseded")
		// A newer request for the same document replaced this one: the spec reserves
		// RequestCancelled for the client's own cancel, so answer an empty incomplete list
		// (the client asks again; nothing is shown as an error).
		s.log.Debug("completion superseded", "uri", doc.URI)
		_ = s.reply(ctx, reply, emptyResult(inline), nil)
		return
	} else if cause != nil {
		// Cancelled by $/cancelRequest, shutdown or exit.
		observe("cancelled")
		s.log.Debug("completion cancelled", "uri", doc.URI, "cause", cause)
		_ = s.replyErr(ctx, reply, jsonrpc2.NewError(codeRequestCancelled, cause.Error()))
		return
	}
	if err != nil {
		observe("error")
		s.completionFailed(ctx, err)
		_ = s.reply(ctx, reply, emptyResult(inline), nil)
		return
	}
	if res.Notice != "" {
		s.showOnce(ctx, "notice:"+doc.URI, protocol.MessageTypeWarning, "mimi-lsp: "+res.Notice)
	}
	if res.Text == "" {
		observe("empty")
	} else {
		observe("answered")
		s.mu.Lock()
		s.lastAnswer = lastAnswer{Source: string(res.Source), Seconds: time.Since(start).Seconds()}
		s.mu.Unlock()
	}
	s.clearProblems()
	res.Text = matchLineEndings(doc.Text, res.Text)
	s.log.Debug("completion", "uri", doc.URI, "source", res.Source, "len", len(res.Text), "ms", time.Since(start).Milliseconds())
	enc := s.encoding()
	if inline {
		_ = s.reply(ctx, reply, s.inlineResult(doc, off, enc, res), nil)
	} else {
		_ = s.reply(ctx, reply, s.completionResult(doc, off, enc, res, cfg.CompletionRank), nil)
	}
}

// supersede cancels the newest request under key (a newer one replaces it).
func (s *Server) supersede(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if key == "" {
		return
	}
	for k, c := range s.latest {
		if k == key || strings.HasPrefix(k, key+"\x00") {
			c.cancel(errSuperseded)
			delete(s.latest, k)
		}
	}
}

func (s *Server) forgetLatest(key string, c *call) {
	s.mu.Lock()
	if s.latest[key] == c {
		delete(s.latest, key)
	}
	s.mu.Unlock()
}

// completionFailed tells the user once per kind of problem (until a completion succeeds
// again) and logs at warn level that first time only; repeats go to the debug log.
func (s *Server) completionFailed(ctx context.Context, err error) {
	// The layer that knows a failure words it (model.Error does); lsp only decides how loud.
	key, typ, msg := "other", protocol.MessageTypeWarning, ""
	var up userProblem
	switch {
	case errors.As(err, &up):
		k, m, severe, ok := up.Problem()
		if !ok {
			break
		}
		key, msg = k, "mimi-lsp: "+m
		if severe {
			typ = protocol.MessageTypeError
		}
	case errors.Is(err, context.DeadlineExceeded): // the deadline this server set (cfg.Timeout)
		s.mu.Lock()
		timeout := s.cfg.Timeout
		s.mu.Unlock()
		key, msg = "model:timeout", fmt.Sprintf("mimi-lsp: the model did not answer in time (timeout %s). "+
			"Ollama may be loading the model or overloaded; raise `timeout` if this persists.", timeout)
	}
	if msg != "" {
		s.mu.Lock()
		s.lastProblem = msg // for mimi/stats (the editor's status item) until a completion works
		s.mu.Unlock()
	}
	if msg == "" || !s.showProblem(ctx, key, typ, msg) {
		s.log.Debug("completion failed (already reported)", "err", err)
		if msg == "" {
			s.log.Warn("completion failed", "err", err)
		}
		return
	}
	s.log.Warn("completion failed", "err", err)
}

// userProblem is a failure that words itself for the user (model.Error): key names the
// problem (shown once), msg says what to do, severe makes it an error rather than a warning;
// ok false: not the user's to see.
type userProblem interface {
	Problem() (key, msg string, severe, ok bool)
}

func emptyResult(inline bool) any {
	if inline {
		return inlineCompletionList{Items: []inlineCompletionItem{}}
	}
	return completionList{IsIncomplete: true, Items: []completionItem{}}
}

// wordStart returns the byte offset where the identifier before off begins.
func wordStart(text string, off int) int {
	i := off
	for i > 0 {
		r, n := utf8.DecodeLastRuneInString(text[:i])
		if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			break
		}
		i -= n
	}
	return i
}

// completionResult turns a suggestion into one item whose textEdit replaces the word before
// the cursor with word+suggestion: the editor keeps filtering (filterText) as the user types.
// rank "top" sorts it first, "after" after the language server's items; it is never
// preselected (Enter must not take it by surprise).
func (s *Server) completionResult(doc *Document, off int, enc Encoding, res completion.Result, rank string) completionList {
	list := completionList{IsIncomplete: true, Items: []completionItem{}}
	if res.Text == "" {
		return list
	}
	ws := wordStart(doc.Text, off)
	word := doc.Text[ws:off]
	newText := word + res.Text
	rng := Range{Start: doc.PositionOf(ws, enc), End: doc.PositionOf(off, enc)}
	sortText := "0"
	if rank == "after" {
		sortText = "~~~~"
	}
	list.Items = append(list.Items, completionItem{
		Label:            label(newText),
		Kind:             protocol.CompletionItemKindSnippet,
		Detail:           fmt.Sprintf("mimi · %s", res.Model),
		Documentation:    &protocol.MarkupContent{Kind: protocol.Markdown, Value: "```" + doc.LanguageID + "\n" + newText + "\n```"},
		FilterText:       newText,
		SortText:         sortText,
		InsertTextFormat: protocol.InsertTextFormatPlainText,
		TextEdit:         &protocol.TextEdit{Range: rng, NewText: newText},
		Command:          s.acceptCommand(res),
	})
	return list
}

func (s *Server) inlineResult(doc *Document, off int, enc Encoding, res completion.Result) inlineCompletionList {
	list := inlineCompletionList{Items: []inlineCompletionItem{}}
	if res.Text == "" {
		return list
	}
	pos := doc.PositionOf(off, enc)
	list.Items = append(list.Items, inlineCompletionItem{InsertText: res.Text, Range: &Range{Start: pos, End: pos}, Command: s.acceptCommand(res)})
	return list
}

// label is the first non-empty line, trimmed and shortened.
func label(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			if utf8.RuneCountInString(l) > 60 {
				r := []rune(l)
				l = string(r[:59]) + "…"
			}
			return l
		}
	}
	return strings.TrimSpace(s)
}

// matchLineEndings writes a multi-line suggestion with the document's line ending (models
// answer with \n; a CRLF file should not get mixed endings).
func matchLineEndings(doc, text string) string {
	if !strings.Contains(text, "\n") || !strings.Contains(doc, "\r\n") {
		return text
	}
	return strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\n", "\r\n")
}
