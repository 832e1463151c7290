package lsp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.lsp.dev/protocol"

	"go.lsp.dev/jsonrpc2"
)

// Indexer is what a service offers when it indexes the workspace for retrieval (optional: the
// server checks for it).
type Indexer interface {
	// IndexWorkspace indexes the roots (absolute paths), calling report as files are done.
	IndexWorkspace(ctx context.Context, roots []string, report func(IndexProgress)) (IndexSummary, error)
	// UpdateFiles brings the index up to date for files (absolute paths) that were saved,
	// created, changed or deleted, without walking the whole workspace.
	UpdateFiles(ctx context.Context, paths []string) error
	// Search ranks indexed code for a query.
	Search(ctx context.Context, query string, limit int) ([]SearchResult, error)
}

// IndexProgress is how far indexing got.
type IndexProgress struct {
	Done, Total int
}

// IndexSummary is what an indexing run did, for the end of its progress.
type IndexSummary struct {
	Files, Chunks, Embedded, CacheHits int
}

// SearchResult is one ranked piece of code.
type SearchResult struct {
	File      string // absolute path
	StartLine int    // 0-based
	EndLine   int    // 0-based, inclusive
	Score     float64
	Snippet   string
}

// Commands the server executes (workspace/executeCommand).
const (
	CommandSearch  = "mimi.search"
	CommandReindex = "mimi.reindex"
)

// indexRoots is the workspace folders that may be indexed, and whether indexing is on at all.
// Never a home directory or a filesystem root (or an ancestor of home): a client that falls
// back to one would send the user's whole home — configuration, credentials, history — to the
// model. Never over an unauthenticated TCP socket: any local user could index and read back
// another user's files through mimi.search.
func (s *Server) indexRoots(ctx context.Context) ([]string, bool) {
	if _, ok := s.svc.(Indexer); !ok || s.opts.LockEndpoints || s.opts.Remote {
		return nil, false
	}
	s.mu.Lock()
	on, roots := s.cfg.Indexing, append([]string(nil), s.roots...)
	s.mu.Unlock()
	if !on {
		return nil, false
	}
	home, _ := os.UserHomeDir()
	var out []string
	for _, r := range roots {
		r = filepath.Clean(r)
		if r == filepath.Dir(r) || (home != "" && isAncestorOrSelf(r, filepath.Clean(home))) {
			s.showOnce(ctx, "index-root:"+r, protocol.MessageTypeWarning, fmt.Sprintf(
				"mimi-lsp: not indexing %s (a home directory or a filesystem root); open a project folder to get workspace context.", r))
			continue
		}
		out = append(out, r)
	}
	// A folder inside another one is indexed with it, not twice.
	nested := func(r string) bool {
		return slices.ContainsFunc(out, func(o string) bool { return o != r && isAncestorOrSelf(o, r) })
	}
	return slices.DeleteFunc(out, nested), true
}

// isAncestorOrSelf reports whether dir is p or contains it.
func isAncestorOrSelf(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && (rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))))
}

// startIndexing indexes the workspace folders in the background with a cancellable progress.
// A new run cancels the previous one.
func (s *Server) startIndexing() {
	ix, _ := s.svc.(Indexer)
	roots, on := s.indexRoots(s.bgCtx)
	if !on || len(roots) == 0 {
		return
	}
	s.mu.Lock()
	if s.indexCancel != nil {
		s.indexCancel()
	}
	ictx, cancel := context.WithCancel(s.bgCtx)
	s.indexCancel = cancel
	s.mu.Unlock()
	s.background(func(context.Context) {
		defer cancel()
		p, pctx := s.startProgress(ictx, "mimi: indexing workspace", fmt.Sprintf("%d folder(s)", len(roots)))
		sum, err := ix.IndexWorkspace(pctx, roots, func(pr IndexProgress) {
			p.report(pr.Done, pr.Total, fmt.Sprintf("%d/%d files", pr.Done, pr.Total))
		})
		switch {
		case errors.Is(err, context.Canceled):
			p.end("indexing cancelled")
		case err != nil:
			p.end("indexing failed: " + err.Error())
			s.log.Warn("indexing failed", "err", err)
		default:
			p.end(fmt.Sprintf("indexed %d files, %d chunks (%d embedded, %d from the cache)",
				sum.Files, sum.Chunks, sum.Embedded, sum.CacheHits))
		}
	})
}

// maxRefreshPaths is how many changed paths a refresh collects before it gives up on them and
// re-walks the workspace instead (a branch switch, a generated tree).
const maxRefreshPaths = 2000

// refreshIndex brings the index up to date after files changed on disk: paths (absolute) for
// a save or watched-file events, nil when the change is unknown (a full re-walk). Quietly (no
// progress) and one refresh at a time: changes that arrive meanwhile are collected and
// handled by one more round.
func (s *Server) refreshIndex(paths []string) {
	ix, _ := s.svc.(Indexer)
	roots, on := s.indexRoots(s.bgCtx)
	if !on || len(roots) == 0 {
		return
	}
	s.mu.Lock()
	if s.refreshPaths == nil {
		s.refreshPaths = map[string]bool{}
	}
	for _, p := range paths {
		s.refreshPaths[p] = true
	}
	if paths == nil || len(s.refreshPaths) > maxRefreshPaths {
		s.refreshFull = true
		clear(s.refreshPaths)
	}
	if s.refreshing {
		s.mu.Unlock()
		return
	}
	s.refreshing = true
	s.mu.Unlock()
	s.background(func(ctx context.Context) {
		for {
			s.mu.Lock()
			full, ps := s.refreshFull, slices.Collect(maps.Keys(s.refreshPaths))
			s.refreshFull = false
			clear(s.refreshPaths)
			if !full && len(ps) == 0 || ctx.Err() != nil {
				s.refreshing = false
				s.mu.Unlock()
				return
			}
			s.mu.Unlock()
			var err error
			if full {
				_, err = ix.IndexWorkspace(ctx, roots, func(IndexProgress) {})
			} else {
				err = ix.UpdateFiles(ctx, ps)
			}
			if err != nil && ctx.Err() == nil {
				s.log.Warn("index refresh failed", "err", err)
			}
		}
	})
}

// didChangeWatchedFiles refreshes the index for the files the client reports.
func (s *Server) didChangeWatchedFiles(raw json.RawMessage) error {
	var p struct {
		Changes []struct {
			URI string `json:"uri"`
		} `json:"changes"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		s.refreshIndex(nil)
		return err
	}
	var paths []string
	for _, c := range p.Changes {
		if f := uriPath(c.URI); f != "" {
			paths = append(paths, f)
		}
	}
	if len(paths) > 0 {
		s.refreshIndex(paths)
	}
	return nil
}

// watchFiles asks the client to report file changes in the workspace (created, changed,
// deleted — also by other programs, e.g. git checkout) when it supports dynamic registration.
func (s *Server) watchFiles() {
	s.mu.Lock()
	ok := s.clientWatch && s.cfg.Indexing
	s.mu.Unlock()
	if _, indexes := s.svc.(Indexer); !ok || !indexes || s.conn == nil {
		return
	}
	s.background(func(ctx context.Context) {
		params := map[string]any{"registrations": []any{map[string]any{
			"id": "mimi-index-watch", "method": "workspace/didChangeWatchedFiles",
			"registerOptions": map[string]any{"watchers": []any{map[string]any{"globPattern": "**/*"}}},
		}}}
		var ignored any
		if _, err := s.conn.Call(ctx, "client/registerCapability", params, &ignored); err != nil {
			s.log.Debug("file watching not registered; each save re-walks the workspace instead", "err", err)
			s.mu.Lock()
			s.clientWatch = false
			s.mu.Unlock()
		}
	})
}

type executeCommandParams struct {
	Command   string            `json:"command"`
	Arguments []json.RawMessage `json:"arguments"`
}

type searchArgs struct {
	Query string `json:"query"`
	Limit int    `json:"limit"`
}

// wireSearchResult is a search hit on the wire.
type wireSearchResult struct {
	URI     string  `json:"uri"`
	Range   Range   `json:"range"`
	Score   float64 `json:"score"`
	Snippet string  `json:"snippet"`
}

// executeCommand runs mimi.search (off the read loop) and mimi.reindex.
func (s *Server) executeCommand(ctx context.Context, id jsonrpc2.ID, reply jsonrpc2.Replier, raw json.RawMessage) error {
	var p executeCommandParams
	if err := json.Unmarshal(raw, &p); err != nil {
		return s.replyErr(ctx, reply, jsonrpc2.Errorf(jsonrpc2.InvalidParams, "executeCommand: %v", err))
	}
	switch p.Command {
	case CommandAction:
		return s.actionCommand(ctx, id, reply, p.Arguments)
	case CommandAccepted:
		return s.accepted(ctx, reply, p.Arguments)
	}
	ix, ok := s.svc.(Indexer)
	if !ok && (p.Command == CommandSearch || p.Command == CommandReindex) {
		return s.replyErr(ctx, reply, jsonrpc2.Errorf(jsonrpc2.InvalidRequest, "%s: workspace indexing is not available", p.Command))
	}
	if _, on := s.indexRoots(ctx); !on && ok {
		return s.replyErr(ctx, reply, jsonrpc2.Errorf(jsonrpc2.InvalidRequest,
			"%s: workspace indexing is off (the indexing setting, or a TCP session)", p.Command))
	}
	switch p.Command {
	case CommandReindex:
		s.startIndexing()
		return s.reply(ctx, reply, nil, nil)
	case CommandSearch:
		var a searchArgs
		if len(p.Arguments) != 1 || json.Unmarshal(p.Arguments[0], &a) != nil || a.Query == "" {
			return s.replyErr(ctx, reply, jsonrpc2.Errorf(jsonrpc2.InvalidParams, `mimi.search takes [{"query": "...", "limit": 10}]`))
		}
		if a.Limit <= 0 || a.Limit > 100 {
			a.Limit = 10
		}
		cctx, c, ok := s.track(ctx, id)
		if !ok {
			return s.replyErr(ctx, reply, jsonrpc2.Errorf(jsonrpc2.InvalidRequest, "server has exited"))
		}
		go func() {
			defer s.untrack(c)
			hits, err := ix.Search(cctx, a.Query, a.Limit)
			if cause := context.Cause(cctx); cause != nil {
				_ = s.replyErr(ctx, reply, jsonrpc2.NewError(codeRequestCancelled, cause.Error()))
				return
			}
			if err != nil {
				_ = s.replyErr(ctx, reply, jsonrpc2.Errorf(jsonrpc2.InternalError, "mimi.search: %v", err))
				return
			}
			out := make([]wireSearchResult, 0, len(hits))
			for _, h := range hits {
				out = append(out, wireSearchResult{URI: fileURI(h.File), Score: h.Score, Snippet: h.Snippet,
					Range: Range{Start: Position{Line: uint32(h.StartLine)}, End: Position{Line: uint32(h.EndLine + 1)}}})
			}
			_ = s.reply(ctx, reply, out, nil)
		}()
		return nil
	default:
		return s.replyErr(ctx, reply, jsonrpc2.Errorf(jsonrpc2.InvalidParams, "unknown command %q (mimi.search, mimi.reindex, mimi.action, mimi.accepted)", p.Command))
	}
}
