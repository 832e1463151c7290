package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrUnavailable is returned while the breaker keeps Redis out of the path.
var ErrUnavailable = errors.New("redis unavailable (circuit open)")

// RedisConfig configures the shared tier.
type RedisConfig struct {
	URL       string
	Timeout   time.Duration // per operation on the completion path (tens of ms)
	Namespace string        // key prefix, default "mimi"; keys are <ns>:v1:<kind>:<sha256>
	TTL       TTLs
	Log       *slog.Logger
}

// KeyVersion is the key schema version in every Redis key.
const KeyVersion = "v1"

// Redis is the shared tier on go-redis's UniversalClient (single server, Sentinel, Cluster).
type Redis struct {
	client  redis.UniversalClient
	prefix  string
	timeout time.Duration
	ttl     TTLs
	br      *breaker
	log     *slog.Logger

	mu      sync.Mutex
	kinds   map[Kind]KindStats
	errors  uint64
	skipped uint64
}

// NewRedis connects lazily (no round trip here): a Redis that is down at start is just a
// tier whose breaker opens.
func NewRedis(cfg RedisConfig) (*Redis, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Millisecond
	}
	if cfg.Namespace == "" {
		cfg.Namespace = "mimi"
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	opts, err := ParseRedisURL(cfg.URL, cfg.Timeout)
	if err != nil {
		return nil, err
	}
	return &Redis{
		client:  redis.NewUniversalClient(opts),
		prefix:  cfg.Namespace + ":" + KeyVersion + ":",
		timeout: cfg.Timeout,
		ttl:     cfg.TTL,
		br:      newBreaker(3, 500*time.Millisecond, 15*time.Second),
		log:     cfg.Log,
		kinds:   map[Kind]KindStats{},
	}, nil
}

// Close closes the connections.
func (r *Redis) Close() error { return r.client.Close() }

// Key returns the Redis key for kind and hash.
func (r *Redis) Key(kind Kind, hash string) string { return r.prefix + string(kind) + ":" + hash }

func (r *Redis) count(kind Kind, hit bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.kinds[kind]
	switch {
	case errors.Is(err, ErrUnavailable):
		r.skipped++
		st.Misses++
	case err != nil:
		r.errors++
		st.Misses++
	case hit:
		st.Hits++
	default:
		st.Misses++
	}
	r.kinds[kind] = st
}

// do runs op under the breaker with the tier's timeout.
func (r *Redis) do(ctx context.Context, op func(ctx context.Context) error) error {
	if !r.br.allow() {
		return ErrUnavailable
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	err := op(ctx)
	if err != nil && !errors.Is(err, redis.Nil) {
		before := r.br.state()
		r.br.failure()
		if before == "closed" && r.br.state() == "open" {
			r.log.Warn("redis unavailable: using the memory tier until it answers again", "err", err)
		}
		return err
	}
	if r.br.state() != "closed" {
		r.log.Info("redis is back")
	}
	r.br.success()
	return nil
}

// Get reads one value.
func (r *Redis) Get(ctx context.Context, kind Kind, key string) ([]byte, bool, error) {
	var raw []byte
	err := r.do(ctx, func(ctx context.Context) error {
		var err error
		raw, err = r.client.Get(ctx, r.Key(kind, key)).Bytes()
		return err
	})
	if errors.Is(err, redis.Nil) {
		r.count(kind, false, nil)
		return nil, false, nil
	}
	if err != nil {
		r.count(kind, false, err)
		return nil, false, err
	}
	v, err := decodeValue(raw)
	if err != nil {
		r.count(kind, false, err)
		return nil, false, fmt.Errorf("redis value %s: %w", r.Key(kind, key), err)
	}
	r.count(kind, true, nil)
	return v, true, nil
}

// Set writes one value with its kind's TTL.
func (r *Redis) Set(ctx context.Context, kind Kind, key string, val []byte) error {
	return r.do(ctx, func(ctx context.Context) error {
		return r.client.Set(ctx, r.Key(kind, key), encodeValue(val), r.ttl[kind]).Err()
	})
}

// Stats returns lookup counters and the breaker state (keys and bytes need a scan: Usage).
func (r *Redis) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Stats{Kinds: copyKinds(r.kinds), Errors: r.errors, Skipped: r.skipped, Breaker: r.br.state()}
}

// Ping checks the server (ignores the breaker; for doctor and the CLI).
func (r *Redis) Ping(ctx context.Context) error {
	return r.client.Ping(ctx).Err()
}

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
