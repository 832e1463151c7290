package metrics

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mimi-lsp/mimi-lsp/cache"
)

// CacheAPI is the cache as the JSON API uses it (cache.Tiered satisfies it).
type CacheAPI interface {
	Stats() cache.Stats
	Clear(ctx context.Context) (int64, error)
}

// ServerConfig configures the sidecar.
type ServerConfig struct {
	// Addr is host:port ("off" or "": no sidecar). When the port is taken (another mimi-lsp),
	// a free port on the same host is used instead.
	Addr string
	// Token, when set, is required (Authorization: Bearer) by the endpoints that change
	// something; without it they answer loopback clients only.
	Token  string
	Cache  CacheAPI
	Models ModelsAPI
	Log    *slog.Logger
}

// Sidecar is a running sidecar server.
type Sidecar struct {
	Addr string // where it listens
	srv  *http.Server
	done chan struct{}
}

// Close stops the server: requests in flight get a second to finish, then are cut off.
func (s *Sidecar) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if s.srv.Shutdown(ctx) != nil {
		_ = s.srv.Close() // requests still running after a second are cut off
	}
	<-s.done
}

// Serve starts the sidecar: /metrics, /healthz and the JSON API. nil (and no error) when
// cfg.Addr is "off" or empty.
func Serve(m *Metrics, cfg ServerConfig) (*Sidecar, error) {
	if cfg.Addr == "" || cfg.Addr == "off" {
		return nil, nil
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	l, err := net.Listen("tcp", cfg.Addr)
	if addrInUse(err) {
		// Taken (another mimi-lsp): any free port on the same host.
		host, _, _ := net.SplitHostPort(cfg.Addr)
		if l, err = net.Listen("tcp", net.JoinHostPort(host, "0")); err == nil {
			cfg.Log.Info("metrics port taken (another mimi-lsp?): using a free one", "wanted", cfg.Addr, "addr", l.Addr().String())
		}
	}
	if err != nil {
		return nil, fmt.Errorf("metrics: listen on %s: %w", cfg.Addr, err)
	}
	mux := http.NewServeMux()
	h := &handlers{cfg: cfg, m: m}
	handler := hostGuard(mux, cfg.Addr)
	mux.Handle("/metrics", only(http.MethodGet, promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})))
	mux.Handle("/healthz", only(http.MethodGet, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})))
	mux.Handle("/api/cache/stats", only(http.MethodGet, http.HandlerFunc(h.cacheStats)))
	mux.Handle("/api/cache/clear", only(http.MethodPost, h.guard(http.HandlerFunc(h.cacheClear))))
	mux.Handle("/api/models/available", only(http.MethodGet, http.HandlerFunc(h.modelsAvailable)))
	mux.Handle("/api/models/stats", only(http.MethodGet, http.HandlerFunc(h.modelsStats)))
	s := &Sidecar{Addr: l.Addr().String(), done: make(chan struct{}), srv: &http.Server{
		Handler: handler, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: time.Minute,
	}}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			cfg.Log.Warn("metrics server stopped", "err", err)
		}
	}()
	cfg.Log.Info("metrics and JSON API", "addr", "http://"+s.Addr)
	return s, nil
}

// hostGuard refuses requests whose Host names this server by a name it does not have, on
// every bind (loopback, a docker bridge, all interfaces): a web page that rebinds its own
// domain to this machine's address (DNS rebinding) sends its own domain as Host. Accepted: an
// IP literal (a page at http://IP is no rebinding), "localhost", host.docker.internal or
// host.containers.internal (the names a Prometheus in a Docker or Podman container scrapes this
// machine by), the name in the configured address,
// and this machine's own host name.
func hostGuard(next http.Handler, addr string) http.Handler {
	names := map[string]bool{"localhost": true, "host.docker.internal": true, "host.containers.internal": true}
	if h, _, err := net.SplitHostPort(addr); err == nil && h != "" && net.ParseIP(h) == nil {
		names[strings.ToLower(h)] = true
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		h = strings.ToLower(h)
		names[h], names[h+".local"] = true, true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.TrimSuffix(strings.Trim(strings.ToLower(host), "[]"), ".")
		if _, err := netip.ParseAddr(host); host != "" && err != nil && !names[host] { // netip: zoned IPv6 too
			jsonError(w, http.StatusForbidden, "unexpected Host "+strconv.Quote(host)+": this server answers to its IP address, localhost or its own host name")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// only answers 405 (with Allow) to any other method.
func only(method string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != method && !(method == http.MethodGet && r.Method == http.MethodHead) {
			w.Header().Set("Allow", method)
			jsonError(w, http.StatusMethodNotAllowed, "use "+method)
			return
		}
		h.ServeHTTP(w, r)
	})
}

type handlers struct {
	cfg ServerConfig
	m   *Metrics
}

// guard admits a request that changes something: with a token configured, only with it; else
// only from loopback, and never from a web page (a browser sends Origin with a POST).
func (h *handlers) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.cfg.Token != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(h.cfg.Token)) != 1 {
				jsonError(w, http.StatusUnauthorized, "a bearer token is required")
				return
			}
		} else if host, _, err := net.SplitHostPort(r.RemoteAddr); err != nil || !net.ParseIP(host).IsLoopback() {
			jsonError(w, http.StatusForbidden, "only from this machine (set metricsToken to allow others)")
			return
		}
		if r.Header.Get("Origin") != "" {
			jsonError(w, http.StatusForbidden, "not from a web page")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// cacheStatsJSON is GET /api/cache/stats: the seed's fields, then per-kind and per-tier detail.
type cacheStatsJSON struct {
	Hits    uint64                         `json:"hits"`
	Misses  uint64                         `json:"misses"`
	HitRate float64                        `json:"hitRate"`
	Keys    int                            `json:"keys"`
	Bytes   int64                          `json:"bytes"`
	Kinds   map[cache.Kind]cache.KindStats `json:"kinds"`
	Tiers   map[string]cache.Stats         `json:"tiers"`
}

func (h *handlers) cacheStats(w http.ResponseWriter, _ *http.Request) {
	if h.cfg.Cache == nil {
		jsonError(w, http.StatusServiceUnavailable, "no cache")
		return
	}
	s := h.cfg.Cache.Stats()
	out := cacheStatsJSON{Keys: s.Keys, Bytes: s.Bytes, Kinds: s.Kinds, Tiers: s.Tiers}
	for _, k := range s.Kinds {
		out.Hits += k.Hits
		out.Misses += k.Misses
	}
	if n := out.Hits + out.Misses; n > 0 {
		out.HitRate = float64(out.Hits) / float64(n)
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handlers) cacheClear(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Cache == nil {
		jsonError(w, http.StatusServiceUnavailable, "no cache")
		return
	}
	if r.ContentLength != 0 || r.URL.RawQuery != "" { // -1: a chunked body
		jsonError(w, http.StatusBadRequest, "POST /api/cache/clear takes no body or query")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 20*time.Second)
	defer cancel()
	n, err := h.cfg.Cache.Clear(ctx)
	if err != nil {
		jsonError(w, http.StatusBadGateway, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"cleared": true, "deleted": n})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func jsonError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
