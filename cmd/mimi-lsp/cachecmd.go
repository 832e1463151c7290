package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/mimi-lsp/mimi-lsp/cache"
	"github.com/mimi-lsp/mimi-lsp/config"
)

// cacheCmd: `mimi-lsp cache stats` prints the shared tier's keys and bytes per kind (JSON);
// `mimi-lsp cache clear` deletes this namespace's keys (SCAN + UNLINK, never FLUSHALL).
func cacheCmd(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 || (args[0] != "stats" && args[0] != "clear") {
		fmt.Fprintln(stderr, "usage: mimi-lsp cache stats|clear   (acts on the Redis tier: MIMI_REDIS_URL or --redis-url)")
		return 2
	}
	if cfg.RedisURL == "" {
		fmt.Fprintln(stderr, "mimi-lsp cache: no shared cache configured (set MIMI_REDIS_URL or --redis-url); the memory tier lives and dies with each server process")
		return 2
	}
	// The CLI is not on the completion path: allow a generous timeout per operation. The
	// connect timeout is the configured one (a remote TLS Redis may need more than the
	// default). No cacheSecret: stats and clear count and delete keys, they never read values.
	r, err := cache.NewRedis(cache.RedisConfig{URL: cfg.RedisURL, Timeout: 5 * time.Second,
		ConnectTimeout: cfg.RedisConnectTimeout, Namespace: cfg.RedisNamespace})
	if err != nil {
		fmt.Fprintf(stderr, "mimi-lsp cache: %v\n", err)
		return 2
	}
	defer r.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := r.Ping(ctx); err != nil {
		fmt.Fprintf(stderr, "mimi-lsp cache: Redis is not reachable: %v\n", err)
		return 1
	}
	if args[0] == "clear" {
		n, err := r.Clear(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "mimi-lsp cache clear: %v (deleted %d keys before the error)\n", err, n)
			return 1
		}
		fmt.Fprintf(stdout, "deleted %d keys under %s:%s:*\n", n, cfg.RedisNamespace, cache.KeyVersion)
		return 0
	}
	usage, err := r.Usage(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "mimi-lsp cache stats: %v\n", err)
		return 1
	}
	out := struct {
		Namespace string                 `json:"namespace"`
		Keys      int                    `json:"keys"`
		Bytes     int64                  `json:"bytes"`
		Kinds     map[cache.Kind]kindUse `json:"kinds"`
	}{Namespace: cfg.RedisNamespace + ":" + cache.KeyVersion, Kinds: map[cache.Kind]kindUse{}}
	for k, st := range usage {
		out.Keys += st.Keys
		out.Bytes += st.Bytes
		out.Kinds[k] = kindUse{Keys: st.Keys, Bytes: st.Bytes}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(out)
	return 0
}

type kindUse struct {
	Keys  int   `json:"keys"`
	Bytes int64 `json:"bytes"`
}
