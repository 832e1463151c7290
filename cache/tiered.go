package cache

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Remote is the shared tier as Tiered uses it (Redis satisfies it).
type Remote interface {
	Cache
	Clear(ctx context.Context) (int64, error)
	Usage(ctx context.Context) (map[Kind]Stats, error)
}

// Tiered puts the memory LRU (L1) in front of a shared tier (L2): reads try L1 then L2 and
// promote L2 hits into L1; writes go to L1 at once and to L2 in the background (a keystroke
// never waits on a Redis write).
//
// The memory tier may be shared by several Tiered (one process, sessions with different Redis
// servers, namespaces or signing secrets, or none): a value promoted from L2 is kept under its
// origin (sharedKey), so only a Tiered with the same L2 serves it. Values written by Set (this
// process's own answers) are served by all.
type Tiered struct {
	l1     *Memory
	l2     Remote // nil: memory only
	origin string // l2's identity: "\x00<origin>\x00" prefixes promoted values' L1 keys
	log    *slog.Logger

	writes  chan struct{} // bounds background L2 writes
	wg      sync.WaitGroup
	wtimout time.Duration

	mu    sync.Mutex
	kinds map[Kind]KindStats
}

// NewTiered builds the tiers; l2 may be nil.
func NewTiered(l1 *Memory, l2 Remote, log *slog.Logger) *Tiered {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// Background writes may wait for the shared tier's start-up warm-up (Redis.Set): a
	// budget of seconds costs no keystroke, and each Redis operation keeps its own timeout.
	t := &Tiered{l1: l1, l2: l2, log: log, writes: make(chan struct{}, 64), wtimout: 2 * time.Second,
		kinds: map[Kind]KindStats{}}
	if l2 != nil {
		origin := fmt.Sprintf("%p", l2) // an L2 that cannot name itself shares with nobody
		if o, ok := l2.(interface{ Origin() string }); ok {
			origin = o.Origin()
		}
		t.origin = "\x00" + origin + "\x00"
	}
	return t
}

// sharedKey is the L1 key of a value promoted from L2.
func (t *Tiered) sharedKey(key string) string { return t.origin + key }

// Tier names a cache tier.
const (
	TierMemory = "memory"
	TierRedis  = "redis"
)

// GetTier is Get that also says which tier answered ("" on a miss).
func (t *Tiered) GetTier(ctx context.Context, kind Kind, key string) ([]byte, string, error) {
	var v []byte
	var ok bool
	if t.l2 == nil {
		v, ok, _ = t.l1.Get(ctx, kind, key)
	} else if v, ok = t.l1.Peek(kind, key); !ok { // our own answer, else one promoted from l2
		v, ok, _ = t.l1.Get(ctx, kind, t.sharedKey(key)) // the memory tier counts one miss
	}
	if ok {
		t.count(kind, TierMemory)
		return v, TierMemory, nil
	}
	if t.l2 != nil {
		v, ok, err := t.l2.Get(ctx, kind, key)
		if err != nil {
			t.log.Debug("redis get failed; treating as a miss", "err", err)
		}
		if ok {
			_ = t.l1.Set(ctx, kind, t.sharedKey(key), v)
			t.count(kind, TierRedis)
			return v, TierRedis, nil
		}
	}
	t.count(kind, "")
	return nil, "", nil
}

// GetLocal answers from the memory tier only, without waiting for anything; a miss is not
// counted (the caller goes on to GetTier, which counts it).
func (t *Tiered) GetLocal(kind Kind, key string) ([]byte, bool) {
	v, ok := t.l1.Peek(kind, key)
	if !ok && t.l2 != nil {
		v, ok = t.l1.Peek(kind, t.sharedKey(key))
	}
	if ok {
		t.count(kind, TierMemory)
	}
	return v, ok
}

// Get implements Cache.
func (t *Tiered) Get(ctx context.Context, kind Kind, key string) ([]byte, bool, error) {
	v, tier, err := t.GetTier(ctx, kind, key)
	return v, tier != "", err
}

// Set writes through: L1 now, L2 in the background (dropped, with a debug log, when more than
// 64 writes are pending).
func (t *Tiered) Set(ctx context.Context, kind Kind, key string, val []byte) error {
	_ = t.l1.Set(ctx, kind, key, val)
	if t.l2 == nil {
		return nil
	}
	select {
	case t.writes <- struct{}{}:
	default:
		t.log.Debug("redis write dropped: too many pending")
		return nil
	}
	t.wg.Add(1)
	go func() {
		defer func() { <-t.writes; t.wg.Done() }()
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t.wtimout)
		defer cancel()
		if err := t.l2.Set(wctx, kind, key, val); err != nil {
			t.log.Debug("redis set failed", "err", err)
		}
	}()
	return nil
}

// Flush waits for background writes (tests, shutdown).
func (t *Tiered) Flush() { t.wg.Wait() }

func (t *Tiered) count(kind Kind, tier string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.kinds[kind]
	if tier == "" {
		st.Misses++
	} else {
		st.Hits++
	}
	t.kinds[kind] = st
}

// Stats: overall lookups per kind, and each tier's own view.
func (t *Tiered) Stats() Stats {
	l1 := t.l1.Stats()
	s := Stats{Keys: l1.Keys, Bytes: l1.Bytes, Tiers: map[string]Stats{TierMemory: l1}}
	if t.l2 != nil {
		s.Tiers[TierRedis] = t.l2.Stats()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s.Kinds = copyKinds(t.kinds)
	return s
}

// Clear empties the memory tier and this namespace in the shared tier.
func (t *Tiered) Clear(ctx context.Context) (int64, error) {
	t.l1.Clear()
	if t.l2 == nil {
		return 0, nil
	}
	return t.l2.Clear(ctx)
}

// Problem is nil while the shared tier is healthy (or there is none); once it keeps failing,
// an error saying what failed and what to check, the same value until it recovers. Cheap:
// meant to be called after every completion.
func (t *Tiered) Problem() error {
	if p, ok := t.l2.(interface{ Problem() error }); ok {
		return p.Problem()
	}
	return nil
}

// Remote returns the shared tier (nil when memory only).
func (t *Tiered) Remote() Remote { return t.l2 }
