// Package lsp is the only package that speaks LSP: framing and dispatch over jsonrpc2, the
// lifecycle, document sync, positions and the completion handlers.
package lsp

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	"go.lsp.dev/jsonrpc2"

	"github.com/mimi-lsp/mimi-lsp/completion"
	"github.com/mimi-lsp/mimi-lsp/config"
)

// Service is everything a session asks of the layers below it (wiring provides it).
type Service interface {
	Complete(ctx context.Context, r completion.Request) (completion.Result, error)
	// Configure applies a validated configuration in place: typing-ahead state, calls in
	// flight and statistics survive; replaced clients are released.
	Configure(cfg config.Config) error
	// Stats is what mimi/stats reports (how completions were answered, the cache).
	Stats() map[string]any
	// Problem is a user-facing problem of a shared dependency that does not fail requests
	// (e.g. the shared cache keeps failing); nil when healthy. Cheap: called per completion.
	Problem() error
	// Close releases what the session holds.
	Close()
}

// Options wires a server.
type Options struct {
	Config config.Config
	// NewService builds the session's service for the starting configuration; later
	// configurations (initializationOptions, didChangeConfiguration) go to its Configure.
	NewService func(config.Config) (Service, error)
	Log        *slog.Logger
	Version    string
	// Observer records requests, completions and actions (metrics); nil records nothing.
	Observer Observer
	// ShutdownGrace bounds how long Serve waits for in-flight replies once input ends.
	ShutdownGrace time.Duration
	// OnConfig, when set, hears the session's workspace folder name and each configuration
	// it applies (from initialize on): process-wide parts outside LSP (the metrics sidecar)
	// follow the editor's settings through it. Called on the session's goroutines, in order.
	OnConfig func(workspace string, cfg config.Config)
	// LockEndpoints refuses client settings that would point the server at another host
	// (ollamaHost, redisURL): set when serving an unauthenticated TCP socket.
	LockEndpoints bool
	// Remote: the client may be another user than the one this process runs as (a TCP
	// session): the server reads no workspace file for it — no index, no test file from disk;
	// what it sees is what the client sends.
	Remote bool
}

// Server is one LSP session.
type Server struct {
	opts Options
	log  *slog.Logger
	docs *store

	conn jsonrpc2.Conn

	mu       sync.Mutex
	state    state
	cfg      config.Config
	svc      Service
	enc      Encoding
	root     string // workspace root path ("" when unknown)
	rootName string
	exitCode int
	exited   bool
	closing  bool // Serve is waiting for the last replies: track nothing new
	exitCh   chan struct{}
	inflight map[jsonrpc2.ID]*call
	latest   map[string]*call // per document+method: the newest completion request
	wg       sync.WaitGroup
	notified map[string]bool // notices already shown to the user (by kind): once per session
	problems map[string]bool // completion problems shown since the last completion that worked
	bgState
	roots            []string             // workspace folders (absolute paths) to index
	clientProgress   bool                 // the client supports window/workDoneProgress
	progresses       map[string]*progress // by token, for window/workDoneProgress/cancel
	indexCancel      context.CancelFunc   // the running indexing, if any
	refreshing       bool                 // a quiet index refresh runs
	refreshPaths     map[string]bool      // files changed since it started: one more round
	refreshFull      bool                 // or a full re-walk
	clientWatch      bool                 // the client registers file watchers dynamically
	clientActions    clientActions        // what the client does with code actions
	clientInline     bool                 // the client asks for textDocument/inlineCompletion
	clientNoCommands bool                 // the client never runs an item's command (Helix)
	shown            shownRing            // suggestions shown, for the accept command
	lastProblem      string               // why completions fail now, with its fix ("" when they work)
	lastAnswer       lastAnswer           // the session's latest answered completion (mimi/stats)
	// The last Service.Problem shown, when, and since when it has been healthy.
	problemShown   string
	problemAt      time.Time
	problemOKSince time.Time
	now            func() time.Time
}

type state int

const (
	stateNew state = iota
	stateInitialized
	stateShutdown
)

type call struct {
	id         jsonrpc2.ID
	cancel     context.CancelCauseFunc
	superseded bool
}

// New returns a server; Serve runs it on a connection.
func New(opts Options) (*Server, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.ShutdownGrace == 0 {
		opts.ShutdownGrace = 2 * time.Second
	}
	s := &Server{
		opts:       opts,
		log:        opts.Log,
		docs:       newStore(),
		cfg:        opts.Config,
		enc:        UTF16,
		inflight:   map[jsonrpc2.ID]*call{},
		exitCh:     make(chan struct{}),
		latest:     map[string]*call{},
		notified:   map[string]bool{},
		problems:   map[string]bool{},
		now:        time.Now,
		progresses: map[string]*progress{},
	}
	s.bgCtx, s.bgCancel = context.WithCancel(context.Background())
	svc, err := opts.NewService(opts.Config)
	if err != nil {
		return nil, err
	}
	s.svc = svc
	return s, nil
}

// Serve runs the session until `exit` or end of input and returns the process exit code:
// 0 after shutdown+exit, 1 when exit came without shutdown or the input ended first.
func (s *Server) Serve(ctx context.Context, r io.Reader, w io.Writer) int {
	defer s.svc.Close()
	st := newStream(r, w, nil, s.log)
	s.conn = jsonrpc2.NewConn(st)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.conn.Go(ctx, s.handle)
	select {
	case <-s.conn.Done():
	case <-s.exitCh:
	case <-ctx.Done():
	}
	if c, ok := r.(io.Closer); ok {
		defer c.Close() // unblocks the read loop (net.Pipe, sockets); stdin ends with the process
	}
	if err := s.conn.Err(); err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, context.Canceled) {
		s.log.Info("connection ended", "err", err)
	}
	// Let in-flight requests write their replies before we return (and the caller closes stdout).
	// No request is tracked from here on (the read loop may still deliver one on a ctx cancel).
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	s.bgCancel() // background work (indexing) ends with the session
	done := make(chan struct{})
	go func() { s.wg.Wait(); s.bgWG.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(s.opts.ShutdownGrace):
		s.cancelAll(errors.New("server exiting"))
		<-done
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.exited {
		return s.exitCode
	}
	if s.state == stateShutdown {
		return 0
	}
	return 1
}

// handle runs on jsonrpc2's single read goroutine: notifications are applied here, in order;
// requests that may be slow are started on their own goroutine with a cancellable context.
// It never returns an error (that would close the connection).
func (s *Server) handle(ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
	call, isCall := req.(*jsonrpc2.Call)
	if !isCall {
		s.handleNotification(ctx, req)
		return nil
	}
	reply = s.observed(req.Method(), reply)
	id := call.ID()
	s.mu.Lock()
	st, exited := s.state, s.exited
	s.mu.Unlock()
	switch {
	case exited:
		// After exit nothing new is started (Serve may already be waiting for the last replies).
		return s.replyErr(ctx, reply, jsonrpc2.Errorf(jsonrpc2.InvalidRequest, "server has exited (got %s)", req.Method()))
	case st == stateNew && req.Method() != "initialize":
		return s.replyErr(ctx, reply, jsonrpc2.Errorf(jsonrpc2.ServerNotInitialized, "server not initialized: send initialize first (got %s)", req.Method()))
	case st == stateShutdown:
		return s.replyErr(ctx, reply, jsonrpc2.Errorf(jsonrpc2.InvalidRequest, "server is shutting down (got %s)", req.Method()))
	case st == stateInitialized && req.Method() == "initialize":
		return s.replyErr(ctx, reply, jsonrpc2.Errorf(jsonrpc2.InvalidRequest, "initialize was already received"))
	}
	switch req.Method() {
	case "initialize":
		res, err := s.initialize(ctx, req.Params())
		return s.reply(ctx, reply, res, err)
	case "shutdown":
		s.mu.Lock()
		s.state = stateShutdown
		s.mu.Unlock()
		s.cancelAll(errors.New("shutdown"))
		s.bgCancel()
		return s.reply(ctx, reply, nil, nil)
	case "textDocument/completion":
		return s.startCompletion(ctx, id, reply, req.Params(), false)
	case "textDocument/inlineCompletion":
		return s.startCompletion(ctx, id, reply, req.Params(), true)
	case "mimi/stats":
		return s.reply(ctx, reply, s.stats(), nil)
	case "workspace/executeCommand":
		return s.executeCommand(ctx, id, reply, req.Params())
	case "textDocument/codeAction":
		return s.codeAction(ctx, id, reply, req.Params())
	case "codeAction/resolve":
		return s.resolveCodeAction(ctx, id, reply, req.Params())
	default:
		return s.replyErr(ctx, reply, jsonrpc2.Errorf(jsonrpc2.MethodNotFound, "method not supported: %s", req.Method()))
	}
}

func (s *Server) handleNotification(ctx context.Context, req jsonrpc2.Request) {
	method := req.Method()
	s.mu.Lock()
	st := s.state
	s.mu.Unlock()
	if method == "exit" {
		s.mu.Lock()
		already := s.exited
		s.mu.Unlock()
		if !already {
			s.exit()
		}
		return
	}
	if st == stateNew {
		s.log.Debug("dropping notification before initialize", "method", method)
		return
	}
	s.mu.Lock()
	gone := s.exited || s.closing
	s.mu.Unlock()
	if gone {
		s.log.Debug("dropping notification after exit", "method", method)
		return
	}
	var err error
	switch method {
	case "$/cancelRequest":
		var p struct {
			ID jsonrpc2.ID `json:"id"`
		}
		if err = json.Unmarshal(req.Params(), &p); err == nil {
			s.cancel(p.ID, errCancelledByClient)
		}
	case "initialized":
		s.startIndexing()
		s.watchFiles()
		s.checkActions()
	case "workspace/didChangeWatchedFiles":
		err = s.didChangeWatchedFiles(req.Params())
	case "workspace/didChangeWorkspaceFolders":
		err = s.didChangeWorkspaceFolders(req.Params())
	case "window/workDoneProgress/cancel":
		var p struct {
			Token json.RawMessage `json:"token"`
		}
		if err = json.Unmarshal(req.Params(), &p); err == nil {
			var tok string
			if json.Unmarshal(p.Token, &tok) != nil {
				tok = string(p.Token) // a numeric token
			}
			s.cancelProgress(tok)
		}
	case "textDocument/didOpen":
		err = s.didOpen(req.Params())
	case "textDocument/didChange":
		err = s.didChange(req.Params())
	case "textDocument/didClose":
		err = s.didClose(req.Params())
	case "textDocument/didSave":
		err = s.didSave(req.Params())
	case "workspace/didChangeConfiguration":
		s.didChangeConfiguration(ctx, req.Params())
	default:
		s.log.Debug("ignoring notification", "method", method)
	}
	if err != nil {
		s.log.Warn("bad notification", "method", method, "err", err)
	}
}

var errCancelledByClient = errors.New("cancelled by the client")

// codeRequestCancelled is LSP's RequestCancelled (jsonrpc2 v0.10.0 has no constant for it).
const codeRequestCancelled jsonrpc2.Code = -32800

// track registers a request so $/cancelRequest can reach it and Serve waits for its reply.
// It returns false once exit was received: Serve may already be waiting on the WaitGroup, and
// an Add then would race with that Wait.
func (s *Server) track(ctx context.Context, id jsonrpc2.ID) (context.Context, *call, bool) {
	cctx, cancel := context.WithCancelCause(ctx)
	c := &call{id: id, cancel: cancel}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.exited || s.closing {
		cancel(nil)
		return nil, nil, false
	}
	s.inflight[id] = c
	s.wg.Add(1)
	return cctx, c, true
}

func (s *Server) untrack(c *call) {
	s.mu.Lock()
	if s.inflight[c.id] == c {
		delete(s.inflight, c.id)
	}
	s.mu.Unlock()
	c.cancel(nil)
	s.wg.Done()
}

func (s *Server) cancel(id jsonrpc2.ID, cause error) {
	s.mu.Lock()
	c := s.inflight[id]
	s.mu.Unlock()
	if c != nil {
		c.cancel(cause)
	}
}

func (s *Server) cancelAll(cause error) {
	s.mu.Lock()
	calls := make([]*call, 0, len(s.inflight))
	for _, c := range s.inflight {
		calls = append(calls, c)
	}
	s.mu.Unlock()
	for _, c := range calls {
		c.cancel(cause)
	}
}

// reply writes a result or error; it writes even when ctx is cancelled (a reply with a
// cancelled context would be dropped and the client would hang).
func (s *Server) reply(ctx context.Context, reply jsonrpc2.Replier, result any, err error) error {
	if werr := reply(context.WithoutCancel(ctx), result, err); werr != nil {
		s.log.Warn("writing reply failed", "err", werr)
	}
	return nil
}

func (s *Server) replyErr(ctx context.Context, reply jsonrpc2.Replier, err *jsonrpc2.Error) error {
	s.log.Debug("request failed", "code", err.Code, "err", err.Message)
	return s.reply(ctx, reply, nil, err)
}

func (s *Server) exit() {
	s.mu.Lock()
	if s.exited {
		s.mu.Unlock()
		return
	}
	s.exited = true
	s.exitCode = 1
	if s.state == stateShutdown {
		s.exitCode = 0
	}
	s.mu.Unlock()
	s.cancelAll(errors.New("exit"))
	s.bgCancel()
	close(s.exitCh) // Serve returns once in-flight replies are written
}

// stats answers the custom request mimi/stats: how completions were answered and the cache.
func (s *Server) stats() map[string]any {
	out := s.svc.Stats()
	if out == nil {
		out = map[string]any{}
	}
	out["documents"] = s.docs.len()
	dep := s.svc.Problem() // a shared dependency (Redis) failing: asked now, so it never flickers
	s.mu.Lock()
	out["model"] = s.cfg.CompletionModel
	if s.lastProblem != "" {
		out["problem"] = s.lastProblem
	} else if dep != nil {
		out["problem"] = "mimi-lsp: " + dep.Error()
	}
	if s.lastAnswer.Source != "" {
		out["last"] = s.lastAnswer
	}
	s.mu.Unlock()
	return out
}

// lastAnswer is the latest answered completion of a session: what an editor's status item
// shows as "last latency".
type lastAnswer struct {
	Source  string  `json:"source"`
	Seconds float64 `json:"seconds"`
}

// Observer is what the server reports to (metrics). Methods must be cheap and safe for
// concurrent use.
type Observer interface {
	// Request: one request's reply, by method, time from receipt, and outcome (ok, error,
	// cancelled).
	Request(method string, d time.Duration, outcome string)
	// Completion: one completion, by source and outcome (answered, empty, cancelled,
	// superseded, error).
	Completion(source, outcome string, d time.Duration)
	// Suggestion: a suggestion shown to the user, or accepted by them (event "shown" or
	// "accepted"), by source and model.
	Suggestion(event, source, model string)
	// Action: one resolved code action, by action and outcome (edit, explained, error,
	// cancelled).
	Action(action, outcome string, d time.Duration)
}

// observed wraps a reply so the observer sees it once, with its latency and outcome.
func (s *Server) observed(method string, reply jsonrpc2.Replier) jsonrpc2.Replier {
	obs := s.opts.Observer
	if obs == nil {
		return reply
	}
	start := time.Now()
	return func(ctx context.Context, result any, err error) error {
		outcome := "ok"
		if err != nil {
			outcome = "error"
			var je *jsonrpc2.Error
			if errors.As(err, &je) && je.Code == codeRequestCancelled {
				outcome = "cancelled"
			}
		}
		obs.Request(method, time.Since(start), outcome)
		return reply(ctx, result, err)
	}
}
