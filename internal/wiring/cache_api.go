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

func (c wiringCache) Stats() cache.Stats { return cache.Merge(c.w.cacheStats()) }

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
