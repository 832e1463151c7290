package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/metrics"
)

// statusCmd lists the running servers (from the Prometheus targets directory) with their
// cache hit rate and model calls.
func statusCmd(ctx context.Context, cfg config.Config, stdout, stderr io.Writer) int {
	dir := targetsDir(cfg)
	if dir == "" {
		fmt.Fprintln(stderr, "mimi-lsp status: metricsTargetsDir is off: no list of running servers")
		return 2
	}
	metrics.PruneTargets(dir)
	ts := metrics.Targets(dir)
	if len(ts) == 0 {
		fmt.Fprintf(stdout, "no running mimi-lsp (targets in %s)\n", dir)
		return 0
	}
	client := &http.Client{Timeout: 3 * time.Second}
	getJSON := func(url string, v any) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s", resp.Status)
		}
		return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v)
	}
	for _, t := range ts {
		var cs struct {
			Hits, Misses uint64
			HitRate      float64 `json:"hitRate"`
			Keys         int
		}
		var ms struct {
			Calls map[string]metrics.CallStats `json:"calls"`
		}
		base := "http://" + t.Addr
		if err := getJSON(base+"/api/cache/stats", &cs); err != nil {
			fmt.Fprintf(stdout, "pid %d  %s  not answering: %v\n", t.PID, base, err)
			continue
		}
		_ = getJSON(base+"/api/models/stats", &ms)
		name := ""
		if t.Workspace != "" {
			name = fmt.Sprintf("  %q", t.Workspace)
		}
		fmt.Fprintf(stdout, "pid %d%s  %s  cache %d keys, hit rate %.0f%% (%d/%d)", t.PID, name, base, cs.Keys, cs.HitRate*100, cs.Hits, cs.Hits+cs.Misses)
		for _, m := range slices.Sorted(maps.Keys(ms.Calls)) {
			c := ms.Calls[m]
			fmt.Fprintf(stdout, "  %s: %d calls, p50 %.0f ms", m, c.Calls, c.P50*1000)
		}
		fmt.Fprintln(stdout)
	}
	return 0
}
