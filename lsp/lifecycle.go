package lsp

import (
	"context"
	"encoding/json"
	"net/url"
	"path/filepath"
	"slices"
	"strings"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/mimi-lsp/mimi-lsp/config"
)

// initializeParams is the part of InitializeParams we read (3.17 positionEncodings included,
// which protocol v0.12.0 lacks).
type initializeParams struct {
	ProcessID             *int32          `json:"processId"`
	RootURI               string          `json:"rootUri"`
	RootPath              string          `json:"rootPath"`
	InitializationOptions json.RawMessage `json:"initializationOptions"`
	WorkspaceFolders      []struct {
		URI  string `json:"uri"`
		Name string `json:"name"`
	} `json:"workspaceFolders"`
	Capabilities struct {
		General struct {
			PositionEncodings []string `json:"positionEncodings"`
		} `json:"general"`
		TextDocument struct {
			InlineCompletion json.RawMessage `json:"inlineCompletion"`
		} `json:"textDocument"`
		Window    windowCapabilities `json:"window"`
		Workspace struct {
			DidChangeWatchedFiles struct {
				DynamicRegistration bool `json:"dynamicRegistration"`
			} `json:"didChangeWatchedFiles"`
		} `json:"workspace"`
	} `json:"capabilities"`
	ClientInfo *struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"clientInfo"`
}

// serverCapabilities lists what we advertise, including 3.17/3.18 fields.
type serverCapabilities struct {
	PositionEncoding         Encoding                         `json:"positionEncoding"`
	TextDocumentSync         protocol.TextDocumentSyncOptions `json:"textDocumentSync"`
	CompletionProvider       *protocol.CompletionOptions      `json:"completionProvider,omitempty"`
	InlineCompletionProvider bool                             `json:"inlineCompletionProvider"`
	ExecuteCommandProvider   *protocol.ExecuteCommandOptions  `json:"executeCommandProvider,omitempty"`
	CodeActionProvider       *codeActionOptions               `json:"codeActionProvider,omitempty"`
	Workspace                *workspaceServerCapabilities     `json:"workspace,omitempty"`
}

type workspaceServerCapabilities struct {
	WorkspaceFolders struct {
		Supported           bool `json:"supported"`
		ChangeNotifications bool `json:"changeNotifications"`
	} `json:"workspaceFolders"`
}

type initializeResult struct {
	Capabilities serverCapabilities   `json:"capabilities"`
	ServerInfo   *protocol.ServerInfo `json:"serverInfo"`
}

func (s *Server) initialize(ctx context.Context, raw json.RawMessage) (any, error) {
	var p initializeParams
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, jsonrpc2.Errorf(jsonrpc2.InvalidParams, "initialize: %v", err)
	}
	var ac struct {
		Capabilities clientActionCaps `json:"capabilities"`
	}
	_ = json.Unmarshal(raw, &ac) // same document: it parsed above
	enc := UTF16
	for _, e := range p.Capabilities.General.PositionEncodings {
		if Encoding(e) == UTF8 {
			enc = UTF8 // cheapest for us: offsets are bytes
			break
		}
	}
	root := p.RootURI
	if root == "" && len(p.WorkspaceFolders) > 0 {
		root = p.WorkspaceFolders[0].URI
	}
	rootPath := uriPath(root)
	if rootPath == "" && p.RootPath != "" {
		rootPath = p.RootPath
	}

	cfg := s.opts.Config
	unknown, err := cfg.ApplyJSON(p.InitializationOptions)
	s.lockEndpoints(ctx, s.opts.Config, &cfg)
	if err == nil {
		err = cfg.Validate()
	}
	roots := []string{}
	if rootPath != "" {
		roots = append(roots, rootPath)
	}
	for _, f := range p.WorkspaceFolders {
		if fp := uriPath(f.URI); fp != "" && !slices.Contains(roots, fp) {
			roots = append(roots, fp)
		}
	}
	s.mu.Lock()
	s.enc = enc
	s.roots = roots
	s.clientProgress = p.Capabilities.Window.WorkDoneProgress
	s.clientWatch = p.Capabilities.Workspace.DidChangeWatchedFiles.DynamicRegistration
	s.clientActions = ac.Capabilities.actions()
	s.clientInline = len(p.Capabilities.TextDocument.InlineCompletion) > 0 && string(p.Capabilities.TextDocument.InlineCompletion) != "null"
	if p.ClientInfo != nil && strings.EqualFold(p.ClientInfo.Name, "helix") {
		// Helix resolves code actions blocking its UI (then drops them after its timeout):
		// it gets the command path, which applies the edit when the model is done.
		s.clientActions.resolveEdit = false
		// Nor does it run a completion item's command (helix-editor/helix#15585).
		s.clientNoCommands = true
	}
	s.root = rootPath
	if rootPath != "" {
		s.rootName = filepath.Base(rootPath)
	}
	s.mu.Unlock()
	if err != nil {
		s.showOnce(ctx, "config", protocol.MessageTypeError,
			"mimi-lsp: invalid initializationOptions, using the defaults: "+err.Error())
		if s.opts.OnConfig != nil {
			s.mu.Lock()
			cur := s.cfg
			s.mu.Unlock()
			s.opts.OnConfig(s.workspaceName(), cur)
		}
	} else if err := s.setConfig(cfg); err != nil {
		s.showOnce(ctx, "config", protocol.MessageTypeError, "mimi-lsp: "+err.Error())
		if s.opts.OnConfig != nil { // the service refused it; the process-wide parts still follow
			s.opts.OnConfig(s.workspaceName(), cfg)
		}
	}
	if len(unknown) > 0 {
		s.show(ctx, protocol.MessageTypeWarning, "mimi-lsp: unknown initializationOptions ignored: "+strings.Join(unknown, ", "))
	}
	client := ""
	if p.ClientInfo != nil {
		client = p.ClientInfo.Name + " " + p.ClientInfo.Version
	}
	s.log.Info("initialize", "client", client, "root", rootPath, "positionEncoding", enc)

	s.mu.Lock()
	s.state = stateInitialized
	s.mu.Unlock()
	return initializeResult{
		Capabilities: serverCapabilities{
			PositionEncoding: enc,
			TextDocumentSync: protocol.TextDocumentSyncOptions{
				OpenClose: true,
				Change:    protocol.TextDocumentSyncKindIncremental,
				Save:      &protocol.SaveOptions{IncludeText: false},
			},
			CompletionProvider:       s.completionOptions(),
			InlineCompletionProvider: true,
			ExecuteCommandProvider:   s.commands(),
			CodeActionProvider:       s.codeActionOptions(),
			Workspace:                s.workspaceCapabilities(),
		},
		ServerInfo: &protocol.ServerInfo{Name: "mimi-lsp", Version: s.opts.Version},
	}, nil
}

// workspaceName is the workspace folder's name ("" when unknown).
func (s *Server) workspaceName() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rootName
}

// setConfig installs a validated configuration in the running service (nothing is rebuilt).
func (s *Server) setConfig(cfg config.Config) error {
	if err := s.svc.Configure(cfg); err != nil {
		return err
	}
	s.mu.Lock()
	s.cfg = cfg
	workspace := s.rootName
	s.mu.Unlock()
	if s.opts.OnConfig != nil {
		s.opts.OnConfig(workspace, cfg)
	}
	return nil
}

func (s *Server) didChangeConfiguration(ctx context.Context, raw json.RawMessage) {
	var p struct {
		Settings json.RawMessage `json:"settings"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		s.log.Warn("didChangeConfiguration: bad params", "err", err)
		return
	}
	s.mu.Lock()
	cfg := s.cfg
	s.mu.Unlock()
	prev := cfg
	unknown, err := cfg.ApplyJSON(p.Settings)
	s.lockEndpoints(ctx, prev, &cfg)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		s.show(ctx, protocol.MessageTypeError, "mimi-lsp: settings not applied: "+err.Error())
		return
	}
	if len(unknown) > 0 {
		// Once per set of keys: clients that resend every setting on each change get one message.
		s.showOnce(ctx, "unknown-settings:"+strings.Join(unknown, ","), protocol.MessageTypeWarning,
			"mimi-lsp: unknown settings ignored: "+strings.Join(unknown, ", "))
	}
	if err := s.setConfig(cfg); err != nil {
		s.show(ctx, protocol.MessageTypeError, "mimi-lsp: "+err.Error())
	}
}

// lockedKeys are the settings a client of an unauthenticated TCP socket may not change: where
// the server sends code (Ollama, Redis), what it shares them under, the process-wide
// resources every session uses (each Redis setting makes a new client), and what shapes the
// owner's Ollama: a model name, a context size or a keep-alive of its own would make Ollama
// load (or unload) models under the owner's completions.
var lockedKeys = []string{"ollamaHost", "connectTimeout", "redisURL", "redisNamespace", "redisTimeout",
	"redisConnectTimeout", "cacheSecret", "numParallel", "metricsAddr", "metricsToken", "metricsTargetsDir",
	"completionModel", "actionModel", "embedModel", "numCtx", "actionNumCtx", "keepAlive"}

// lockEndpoints undoes client changes to lockedKeys when the session comes over an
// unauthenticated socket (Options.LockEndpoints), and says so once.
func (s *Server) lockEndpoints(ctx context.Context, prev config.Config, cfg *config.Config) {
	if !s.opts.LockEndpoints {
		return
	}
	var refused []string
	for _, f := range config.Fields() {
		if !slices.Contains(lockedKeys, f.JSON) || cfg.Get(f) == prev.Get(f) {
			continue
		}
		if f.JSON != "ollamaHost" || !sameHost(cfg.OllamaHost, prev.OllamaHost) {
			refused = append(refused, f.JSON)
		}
		cfg.Copy(f, prev)
	}
	cfg.OllamaHost = prev.OllamaHost
	if len(refused) > 0 {
		s.showOnce(ctx, "locked:"+strings.Join(refused, ","), protocol.MessageTypeWarning, "mimi-lsp: "+strings.Join(refused, ", ")+
			" cannot be set by a client over TCP (start the server with --allow-remote to allow it); keeping the server's value")
	}
}

// sameHost reports whether two OLLAMA_HOST values name the same server.
func sameHost(a, b string) bool {
	na, errA := config.NormalizeHost(a)
	nb, errB := config.NormalizeHost(b)
	if errA != nil || errB != nil {
		return a == b
	}
	return na == nb
}

// documentPath is the path part of any URI (file:, but also fugitive:, jdt:, zipfile:, …), for
// the secret-file check: a .env shown through a plugin's own scheme is still a secret.
func documentPath(u string) string {
	if p := uriPath(u); p != "" {
		return p
	}
	parsed, err := url.Parse(u)
	if err != nil || parsed.Path == "" {
		return ""
	}
	return parsed.Path
}

// relPath is the document's path relative to the workspace root (for prompts).
func (s *Server) relPath(uri string) string {
	p := uriPath(uri)
	if p == "" {
		return ""
	}
	s.mu.Lock()
	root := s.root
	s.mu.Unlock()
	if root != "" {
		if r, err := filepath.Rel(root, p); err == nil && !strings.HasPrefix(r, "..") {
			return filepath.ToSlash(r)
		}
	}
	return filepath.Base(p)
}

// cacheScope is the configured scope, else the workspace folder: a shared cache never serves
// one project's code into another's unless a scope is configured on purpose.
func (s *Server) cacheScope(configured string) string {
	if configured != "" {
		return "scope:" + configured
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return "workspace:" + s.root
}

// completionItems reports whether completion requests get the AI item: completionItems=auto
// gives them only to editors without inline completion (the item would push the language
// server's items down on every keystroke where ghost text already shows the suggestion).
func (s *Server) completionItems() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch s.cfg.CompletionItems {
	case "on":
		return true
	case "off":
		return false
	}
	return !s.clientInline
}

// completionOptions advertises completion when the session gives completion items (turning
// them on later, in an editor with inline completion, takes a restart).
func (s *Server) completionOptions() *protocol.CompletionOptions {
	if !s.completionItems() {
		return nil
	}
	return &protocol.CompletionOptions{ResolveProvider: false}
}

// commands lists the executeCommand commands: the accept command, and search, reindex and
// actions when the service has them.
func (s *Server) commands() *protocol.ExecuteCommandOptions {
	cmds := []string{CommandAccepted}
	if _, ok := s.svc.(Indexer); ok {
		cmds = append(cmds, CommandSearch, CommandReindex)
	}
	if _, ok := s.svc.(Actioner); ok {
		cmds = append(cmds, CommandAction)
	}
	return &protocol.ExecuteCommandOptions{Commands: cmds}
}

type codeActionOptions struct {
	CodeActionKinds []string `json:"codeActionKinds"`
	ResolveProvider bool     `json:"resolveProvider"`
}

// codeActionOptions advertises the AI actions when the service makes them.
func (s *Server) codeActionOptions() *codeActionOptions {
	if _, ok := s.svc.(Actioner); !ok {
		return nil
	}
	return &codeActionOptions{CodeActionKinds: actionKinds(), ResolveProvider: true}
}

// workspaceCapabilities asks for workspace folder changes when the service indexes.
func (s *Server) workspaceCapabilities() *workspaceServerCapabilities {
	if _, ok := s.svc.(Indexer); !ok {
		return nil
	}
	w := &workspaceServerCapabilities{}
	w.WorkspaceFolders.Supported, w.WorkspaceFolders.ChangeNotifications = true, true
	return w
}

// didChangeWorkspaceFolders updates the folders and re-indexes (unchanged folders cost a stat
// per file; removed ones leave the search).
func (s *Server) didChangeWorkspaceFolders(raw json.RawMessage) error {
	var p struct {
		Event struct {
			Added, Removed []struct {
				URI string `json:"uri"`
			}
		} `json:"event"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return err
	}
	s.mu.Lock()
	for _, f := range p.Event.Removed {
		if fp := uriPath(f.URI); fp != "" {
			s.roots = slices.DeleteFunc(s.roots, func(r string) bool { return r == fp })
		}
	}
	for _, f := range p.Event.Added {
		if fp := uriPath(f.URI); fp != "" && !slices.Contains(s.roots, fp) {
			s.roots = append(s.roots, fp)
		}
	}
	s.mu.Unlock()
	s.startIndexing()
	return nil
}
