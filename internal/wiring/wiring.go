// Package wiring assembles the server from its parts: one memory tier per process, a Redis
// tier per URL, an Ollama client and a completion engine per configuration, and the lsp
// options that tie them together. The command and the tests build servers the same way.
package wiring

import (
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/mimi-lsp/mimi-lsp/cache"
	"github.com/mimi-lsp/mimi-lsp/completion"
	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/internal/secretfiles"
	"github.com/mimi-lsp/mimi-lsp/lsp"
	"github.com/mimi-lsp/mimi-lsp/metrics"
	"github.com/mimi-lsp/mimi-lsp/model"
)

// Wiring holds the shared pieces: one memory tier for every engine a process builds, and one
// Redis tier per URL (initializationOptions may name another).
type Wiring struct {
	mem   *cache.Memory
	log   *slog.Logger
	ttl   cache.TTLs
	mu    sync.Mutex
	tiers map[string]*tierRef
	// One scheduler per Ollama host: every engine of the process queues its calls to that
	// server in one place, so the per-model limit holds across sessions.
	schedulers map[string]*schedRef
	closing    sync.WaitGroup        // released tiers flushing their writes before their client closes
	closed     bool                  // Close ran: nothing new is built, lingering releases do nothing
	linger     *time.Duration        // tests: overrides lingerFor
	indexers   map[string]*rootIndex // by root
	metrics    *metrics.Metrics      // the process's one registry
	// retired holds the lookup counters of tiers that were closed, so the exported totals
	// never go down when a session moves to another Redis (Prometheus would see a reset).
	retired cache.Stats
}

// modelHTTPTimeout bounds one HTTP exchange with a model host. Every call has its own deadline
// (timeout, actionTimeout) that may change with the configuration while the client lives on, so
// the bound is the longest deadline config accepts plus a margin: it never cuts an action short.
const modelHTTPTimeout = config.MaxActionTimeout + time.Minute

// retireLocked keeps a closing tier's counters (all but the shared memory tier's, which lives
// on). Called with w.mu held.
func (w *Wiring) retireLocked(v any) {
	t, ok := v.(*cache.Tiered)
	if !ok {
		return
	}
	st := t.Stats()
	delete(st.Tiers, cache.TierMemory)
	st.Keys, st.Bytes = 0, 0
	w.retired = cache.Merge([]cache.Stats{w.retired, st})
	w.retired.Keys, w.retired.Bytes = 0, 0
}

// tierRef and schedRef are the shared tiers and schedulers (see shared).
type (
	tierRef  = shared[*cache.Tiered]
	schedRef = shared[*model.Scheduler]
)

var errClosed = errors.New("mimi-lsp is shutting down")

// lingerFor is how long a tier or scheduler nobody holds stays open: a model call started on it
// before the release (it keeps the request's deadline, at most cfg.Timeout) still writes its
// answer to the cache and finishes on its connection; a session switching back meanwhile
// reuses it.
func lingerFor(cfg config.Config) time.Duration {
	return min(cfg.Timeout, 30*time.Second) + time.Second
}

// New builds the process-wide pieces for cfg.
func New(cfg config.Config, log *slog.Logger) *Wiring {
	ttl := cache.TTLs{
		cache.KindCompletion: cfg.CompletionTTL,
		cache.KindEmbedding:  cfg.EmbeddingTTL,
		cache.KindAction:     cfg.ActionTTL,
	}
	w := &Wiring{mem: cache.NewMemory(cfg.CacheMaxBytes, ttl), log: log, ttl: ttl, tiers: map[string]*tierRef{},
		schedulers: map[string]*schedRef{}, indexers: map[string]*rootIndex{}}
	w.metrics = metrics.New(func() cache.Stats { return cache.Merge(w.cacheStats()) }, w.schedulerLoads, w.indexSizes)
	return w
}

// Metrics is the process's registry (the sidecar serves it; sessions record into it).
func (w *Wiring) Metrics() *metrics.Metrics { return w.metrics }

// indexSizes snapshots the process's workspace indexes.
func (w *Wiring) indexSizes() []metrics.IndexSize {
	w.mu.Lock()
	xs := make([]*rootIndex, 0, len(w.indexers))
	for _, ri := range w.indexers {
		xs = append(xs, ri)
	}
	w.mu.Unlock()
	out := make([]metrics.IndexSize, 0, len(xs))
	for _, ri := range xs {
		if ri.x == nil {
			continue
		}
		st := ri.x.Index().Stats()
		out = append(out, metrics.IndexSize{Files: st.Files, Chunks: st.Chunks})
	}
	return out
}

// schedulerLoads snapshots every scheduler's queues.
func (w *Wiring) schedulerLoads() []metrics.Load {
	w.mu.Lock()
	scheds := make([]*model.Scheduler, 0, len(w.schedulers))
	for _, r := range w.schedulers {
		scheds = append(scheds, r.v)
	}
	w.mu.Unlock()
	var out []metrics.Load
	for _, s := range scheds {
		for m, l := range s.Loads() {
			out = append(out, metrics.Load{Model: m, Running: l.Running, Waiting: l.Waiting})
		}
	}
	return out
}

// cacheStats snapshots every tier of the process (they share the memory tier, whose counters
// are reported once).
func (w *Wiring) cacheStats() []cache.Stats {
	w.mu.Lock()
	tiers := make([]*cache.Tiered, 0, len(w.tiers))
	for _, r := range w.tiers {
		tiers = append(tiers, r.v)
	}
	retired := w.retired
	w.mu.Unlock()
	out := make([]cache.Stats, 0, len(tiers)+2)
	if len(retired.Kinds) > 0 || len(retired.Tiers) > 0 {
		out = append(out, retired)
	}
	if len(tiers) == 0 {
		mem := w.mem.Stats()
		if len(out) == 0 { // nothing ever looked up through a tier: the memory tier's own counts
			out = append(out, cache.Stats{Kinds: mem.Kinds})
		}
		return append(out, cache.Stats{Tiers: map[string]cache.Stats{cache.TierMemory: mem}, Keys: mem.Keys, Bytes: mem.Bytes})
	}
	for i, t := range tiers {
		st := t.Stats()
		if i > 0 { // the memory tier is one for the whole process
			delete(st.Tiers, cache.TierMemory)
		}
		out = append(out, st)
	}
	return out
}

// Tier returns the cache for cfg: memory, plus Redis when RedisURL is set. It lives until Close.
func (w *Wiring) Tier(cfg config.Config) (*cache.Tiered, error) {
	r, err := w.tierRef(cfg)
	if err != nil {
		return nil, err
	}
	return pin(w, r), nil
}

// acquireTier is Tier for a session, which releases it when done with it.
func (w *Wiring) acquireTier(cfg config.Config) (*tierRef, error) {
	r, err := w.tierRef(cfg)
	if err != nil {
		return nil, err
	}
	hold(w, r)
	return r, nil
}

// releaseTier drops a session's reference; the last one flushes the tier's pending writes and
// closes its Redis client after it lingered.
func (w *Wiring) releaseTier(r *tierRef, linger time.Duration) {
	letGo(w, w.tiers, r, linger, func(t *cache.Tiered) {
		t.Flush()
		if c, ok := t.Remote().(interface{ Close() error }); ok {
			_ = c.Close()
		}
	})
}

func (w *Wiring) tierRef(cfg config.Config) (*tierRef, error) {
	// The secret is part of what makes a tier (values are signed with it), so it is in the id;
	// it is hashed so the id (a map key, never printed) does not hold it in clear.
	id := cfg.RedisURL + "|" + cfg.RedisNamespace + "|" + cfg.RedisTimeout.String() + "|" +
		cfg.RedisConnectTimeout.String() + "|" + cache.Key("cacheSecret", cfg.CacheSecret)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, errClosed
	}
	if r, ok := w.tiers[id]; ok {
		return r, nil
	}
	var remote cache.Remote
	if cfg.RedisURL != "" {
		r, err := cache.NewRedis(cache.RedisConfig{URL: cfg.RedisURL, Timeout: cfg.RedisTimeout,
			ConnectTimeout: cfg.RedisConnectTimeout, Namespace: cfg.RedisNamespace, Secret: cfg.CacheSecret,
			TTL: w.ttl, Log: w.log})
		if err != nil {
			return nil, err
		}
		remote = r
	}
	r := &tierRef{key: id, v: cache.NewTiered(w.mem, remote, w.log)}
	w.tiers[id] = r
	return r, nil
}

// Scheduler returns the scheduler for cfg's Ollama host (one per host per process), its limit
// per model set to cfg.NumParallel. The first configuration to name a host sets its client's
// connect timeout. It lives until Close.
func (w *Wiring) Scheduler(cfg config.Config) (*model.Scheduler, error) {
	r, err := w.schedRef(cfg)
	if err != nil {
		return nil, err
	}
	return pin(w, r), nil
}

func (w *Wiring) acquireScheduler(cfg config.Config) (*schedRef, error) {
	r, err := w.schedRef(cfg)
	if err != nil {
		return nil, err
	}
	hold(w, r)
	return r, nil
}

// releaseScheduler drops a session's reference; the last one closes the scheduler's idle
// connections after it lingered (calls still running keep their place in it meanwhile).
func (w *Wiring) releaseScheduler(r *schedRef, linger time.Duration) {
	letGo(w, w.schedulers, r, linger, (*model.Scheduler).Close)
}

func (w *Wiring) schedRef(cfg config.Config) (*schedRef, error) {
	host, err := config.NormalizeHost(cfg.OllamaHost)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, errClosed
	}
	if r, ok := w.schedulers[host]; ok {
		r.v.SetLimit(cfg.NumParallel)
		return r, nil
	}
	client, err := model.New(model.Config{Host: host, ConnectTimeout: cfg.ConnectTimeout, Timeout: modelHTTPTimeout})
	if err != nil {
		return nil, err
	}
	r := &schedRef{key: host, v: model.NewScheduler(client, cfg.NumParallel, w.log)}
	r.v.SetObserver(w.metrics)
	w.schedulers[host] = r
	return r, nil
}

// Engine builds a completion engine for cfg.
func (w *Wiring) Engine(cfg config.Config) (*completion.Engine, error) {
	sched, err := w.Scheduler(cfg)
	if err != nil {
		return nil, err
	}
	t, err := w.Tier(cfg)
	if err != nil {
		return nil, err
	}
	deny, err := secretfiles.New(secretfiles.Split(cfg.SecretFiles))
	if err != nil {
		return nil, err
	}
	e := completion.New(sched, t, completion.ConfigFrom(cfg), w.log, completion.WithObserver(w.metrics))
	e.SetDenylist(deny)
	return e, nil
}

// ServerOptions are the lsp options for a session started with cfg.
func (w *Wiring) ServerOptions(cfg config.Config, version string) lsp.Options {
	return lsp.Options{
		Config:     cfg,
		Log:        w.log,
		Version:    version,
		NewService: func(c config.Config) (lsp.Service, error) { return w.NewSession(c) },
		Observer:   w.metrics,
	}
}

// Close waits (at most grace) for background cache writes, then closes the Redis clients, so
// answers paid for just before exit still reach the shared cache.
func (w *Wiring) Close(grace time.Duration) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.closed = true // a linger callback that already fired finds nothing to do
	tiers := make([]*cache.Tiered, 0, len(w.tiers))
	for _, r := range w.tiers {
		tiers = append(tiers, r.v)
		if r.linger != nil {
			r.linger.Stop()
		}
	}
	scheds := make([]*model.Scheduler, 0, len(w.schedulers))
	for _, r := range w.schedulers {
		scheds = append(scheds, r.v)
		if r.linger != nil {
			r.linger.Stop()
		}
	}
	clear(w.tiers)
	clear(w.schedulers)
	for _, ri := range w.indexers {
		_ = ri.x.Close() // its tier and scheduler close below with the others
	}
	clear(w.indexers)
	w.mu.Unlock()
	done := make(chan struct{})
	go func() {
		for _, t := range tiers {
			t.Flush()
		}
		w.closing.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(grace):
		w.log.Warn("cache writes still pending at exit", "waited", grace)
	}
	for _, t := range tiers {
		if r, ok := t.Remote().(interface{ Close() error }); ok {
			_ = r.Close()
		}
	}
	for _, s := range scheds {
		s.Close()
	}
}
