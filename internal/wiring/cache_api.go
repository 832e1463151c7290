package wiring

import (
	"context"
	"errors"

	"github.com/mimi-lsp/mimi-lsp/cache"
	"github.com/mimi-lsp/mimi-lsp/metrics"
)

// CacheAPI is the sidecar's view of the process's caches: the numbers of every live tier (the
// ones sessions use, whatever Redis their settings chose), and clearing clears them all.
func (w *Wiring) CacheAPI() metrics.CacheAPI { return wiringCache{w} }

type wiringCache struct{ w *Wiring }

func (c wiringCache) Stats() cache.Stats { return mergeStats(c.w.cacheStats()) }

func (c wiringCache) Clear(ctx context.Context) (int64, error) {
	c.w.mu.Lock()
	tiers := make([]*cache.Tiered, 0, len(c.w.tiers))
	for _, r := range c.w.tiers {
		tiers = append(tiers, r.v)
	}
	c.w.mu.Unlock()
	c.w.mem.Clear()
	var total int64
	var errs []error
	for _, t := range tiers {
		n, err := t.Clear(ctx)
		total += n
		errs = append(errs, err)
	}
	return total, errors.Join(errs...)
}

// mergeStats adds several tiers' statistics into one (tiers of the same name summed).
func mergeStats(ss []cache.Stats) cache.Stats {
	out := cache.Stats{Kinds: map[cache.Kind]cache.KindStats{}, Tiers: map[string]cache.Stats{}}
	for _, s := range ss {
		addKinds(out.Kinds, s.Kinds)
		for name, ts := range s.Tiers {
			m := out.Tiers[name]
			if m.Kinds == nil {
				m.Kinds = map[cache.Kind]cache.KindStats{}
			}
			addKinds(m.Kinds, ts.Kinds)
			m.Keys += ts.Keys
			m.Bytes += ts.Bytes
			m.Errors += ts.Errors
			m.Skipped += ts.Skipped
			m.Corrupt += ts.Corrupt
			m.Unverified += ts.Unverified
			if ts.Breaker != "" && ts.Breaker != "closed" || m.Breaker == "" {
				m.Breaker = ts.Breaker
			}
			out.Tiers[name] = m
		}
	}
	mem := out.Tiers[cache.TierMemory]
	out.Keys, out.Bytes = mem.Keys, mem.Bytes
	return out
}

func addKinds(dst, src map[cache.Kind]cache.KindStats) {
	for k, v := range src {
		a := dst[k]
		a.Hits += v.Hits
		a.Misses += v.Misses
		if n := a.Hits + a.Misses; n > 0 {
			a.HitRate = float64(a.Hits) / float64(n)
		}
		dst[k] = a
	}
}
