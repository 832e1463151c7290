package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/internal/wiring"
	"github.com/mimi-lsp/mimi-lsp/metrics"
)

// sidecar runs the metrics server and its Prometheus target file, and follows the settings the
// editor sends (initializationOptions, didChangeConfiguration): a new metricsAddr or
// metricsToken restarts the server, a new metricsTargetsDir or workspace rewrites the target
// file, a new Ollama host or model re-points the models API. A failure is logged, never fatal:
// completions matter more than their metrics.
type sidecar struct {
	w      *wiring.Wiring
	log    *slog.Logger
	models modelsRef

	mu        sync.Mutex
	cfg       config.Config
	workspace string
	srv       *metrics.Sidecar
	remove    func() // the target file's
	closed    bool
}

func newSidecar(w *wiring.Wiring, cfg config.Config, log *slog.Logger) *sidecar {
	s := &sidecar{w: w, log: log, cfg: cfg}
	s.models.set(w.ModelsAPI(cfg))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.startLocked()
	s.writeTargetLocked()
	return s
}

// addr is where the server listens ("" when it does not).
func (s *sidecar) addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv == nil {
		return ""
	}
	return s.srv.Addr
}

// apply follows a session's configuration (lsp.Options.OnConfig).
func (s *sidecar) apply(workspace string, cfg config.Config) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	old := s.cfg
	s.cfg = cfg
	if cfg.OllamaHost != old.OllamaHost || cfg.ConnectTimeout != old.ConnectTimeout || cfg.CompletionModel != old.CompletionModel ||
		cfg.ActionModel != old.ActionModel || cfg.EmbedModel != old.EmbedModel {
		s.models.set(s.w.ModelsAPI(cfg))
	}
	moved := cfg.MetricsAddr != old.MetricsAddr || cfg.MetricsToken != old.MetricsToken
	if !moved && workspace == s.workspace && cfg.MetricsTargetsDir == old.MetricsTargetsDir {
		return
	}
	s.workspace = workspace
	if moved {
		s.moveLocked(old)
	}
	if cfg.MetricsTargetsDir != old.MetricsTargetsDir || s.srv == nil {
		s.removeTargetLocked() // the file is in another directory now (or nothing serves)
	}
	// Rewritten in place (atomically): Prometheus never sees the target disappear.
	s.writeTargetLocked()
}

// moveLocked restarts the server for a new metricsAddr or metricsToken. A new address is
// bound before the old server stops, and a failure keeps the old one (logged); the same
// address is rebound on the port the old server had.
func (s *sidecar) moveLocked(old config.Config) {
	if s.cfg.MetricsAddr == "off" {
		s.stopLocked()
		return
	}
	prev := s.srv
	if prev != nil && s.cfg.MetricsAddr == old.MetricsAddr {
		s.stopLocked()
		s.startAt(prev.Addr)
		return
	}
	if !s.startAt(s.cfg.MetricsAddr) {
		s.cfg.MetricsAddr = old.MetricsAddr // still served where it was
		s.srv = prev
		return
	}
	if prev != nil {
		prev.Close()
	}
}

func (s *sidecar) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.removeTargetLocked()
	s.stopLocked()
	s.models.set(nil)
}

func (s *sidecar) startLocked() {
	if s.cfg.MetricsAddr != "off" {
		s.startAt(s.cfg.MetricsAddr)
	}
}

// startAt serves on addr; s.srv is the new server when it reports true.
func (s *sidecar) startAt(addr string) bool {
	srv, err := metrics.Serve(s.w.Metrics(), metrics.ServerConfig{Addr: addr, Token: s.cfg.MetricsToken,
		Cache: s.w.CacheAPI(), Models: &s.models, Log: s.log})
	if err != nil || srv == nil {
		s.log.Warn("metrics sidecar not started", "addr", addr, "err", err)
		return false
	}
	s.srv = srv
	return true
}

func (s *sidecar) stopLocked() {
	if s.srv != nil {
		s.srv.Close()
		s.srv = nil
	}
}

func (s *sidecar) writeTargetLocked() {
	dir := targetsDir(s.cfg)
	if s.srv == nil || dir == "" {
		return
	}
	remove, err := metrics.WriteTarget(dir, s.srv.Addr, s.workspace)
	if err != nil {
		s.log.Warn("metrics: no Prometheus target file", "dir", dir, "err", err)
		return
	}
	s.remove = remove
}

func (s *sidecar) removeTargetLocked() {
	if s.remove != nil {
		s.remove()
		s.remove = nil
	}
}

// targetsDir is where the Prometheus file_sd target files go ("" for none).
func targetsDir(cfg config.Config) string {
	switch cfg.MetricsTargetsDir {
	case "off":
		return ""
	case "":
		base, err := os.UserCacheDir()
		if err != nil {
			return ""
		}
		return filepath.Join(base, "mimi-lsp", "targets")
	}
	return cfg.MetricsTargetsDir
}

// modelsRef is the models API the sidecar serves, replaced when the Ollama host or a model
// changes (the replaced client is closed).
type modelsRef struct {
	mu sync.Mutex
	v  *wiring.ModelsAPI
}

func (r *modelsRef) set(v *wiring.ModelsAPI) {
	r.mu.Lock()
	old := r.v
	r.v = v
	r.mu.Unlock()
	old.Close()
}

func (r *modelsRef) get() *wiring.ModelsAPI {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.v
}

func (r *modelsRef) Routes(ctx context.Context) (metrics.Ollama, []metrics.Route) {
	if v := r.get(); v != nil {
		return v.Routes(ctx)
	}
	return metrics.Ollama{Detail: "ollamaHost is not a valid address"}, []metrics.Route{}
}

func (r *modelsRef) Running(ctx context.Context) ([]metrics.RunningModel, error) {
	if v := r.get(); v != nil {
		return v.Running(ctx)
	}
	return nil, errBadHost
}

var errBadHost = errors.New("ollamaHost is not a valid address")
