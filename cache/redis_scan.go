package cache

import (
	"context"
	"errors"
	"sync"

	"github.com/redis/go-redis/v9"
)

// forEachNode runs fn on every node that holds keys (each master of a cluster).
func (r *Redis) forEachNode(ctx context.Context, fn func(ctx context.Context, c redis.Cmdable) error) error {
	if cc, ok := r.client.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return fn(ctx, c) })
	}
	return fn(ctx, r.client)
}

// scanBatches calls fn with batches of this namespace's keys on node c (SCAN, never KEYS).
func (r *Redis) scanBatches(ctx context.Context, c redis.Cmdable, fn func(keys []string) error) error {
	iter := c.Scan(ctx, 0, r.prefix+"*", 1000).Iterator()
	keys := make([]string, 0, 500)
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
		if len(keys) == cap(keys) {
			if err := fn(keys); err != nil {
				return err
			}
			keys = keys[:0]
		}
	}
	if err := iter.Err(); err != nil {
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	return fn(keys)
}

// Usage counts this namespace's keys and bytes (key + stored value) per kind.
func (r *Redis) Usage(ctx context.Context) (map[Kind]Stats, error) {
	var mu sync.Mutex
	out := map[Kind]Stats{}
	err := r.forEachNode(ctx, func(ctx context.Context, c redis.Cmdable) error {
		return r.scanBatches(ctx, c, func(keys []string) error {
			pipe := c.Pipeline()
			lens := make([]*redis.IntCmd, len(keys))
			for i, k := range keys {
				lens[i] = pipe.StrLen(ctx, k)
			}
			if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			for i, k := range keys {
				kind := Kind(kindOf(k[len(r.prefix):]))
				st := out[kind]
				st.Keys++
				st.Bytes += lens[i].Val() + int64(len(k))
				out[kind] = st
			}
			return nil
		})
	})
	return out, err
}

// Clear deletes this namespace's keys on every node (SCAN + UNLINK; never FLUSHALL) and
// returns how many were deleted.
func (r *Redis) Clear(ctx context.Context) (int64, error) {
	var mu sync.Mutex
	var total int64
	err := r.forEachNode(ctx, func(ctx context.Context, c redis.Cmdable) error {
		return r.scanBatches(ctx, c, func(keys []string) error {
			// One UNLINK per key: in a cluster the keys of a batch live in different slots.
			pipe := c.Pipeline()
			cmds := make([]*redis.IntCmd, len(keys))
			for i, k := range keys {
				cmds[i] = pipe.Unlink(ctx, k)
			}
			if _, err := pipe.Exec(ctx); err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			for _, cmd := range cmds {
				total += cmd.Val()
			}
			return nil
		})
	})
	return total, err
}

func kindOf(rest string) string {
	for i := 0; i < len(rest); i++ {
		if rest[i] == ':' {
			return rest[:i]
		}
	}
	return rest
}
