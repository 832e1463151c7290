// Package cache stores model answers by a hash of everything that determines them. It is the
// only package that will speak Redis; today it has the bounded in-memory LRU tier.
package cache

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// Kind separates answer types: each has its own TTL and its own stats.
type Kind string

const (
	KindCompletion Kind = "completion"
	KindEmbedding  Kind = "embedding"
	KindAction     Kind = "action"
)

// Cache is what consumers need; tiers (memory, Redis) implement it.
// Get never returns an error for a miss; err is for a failing backend, which callers treat
// as a miss.
type Cache interface {
	Get(ctx context.Context, kind Kind, key string) (val []byte, ok bool, err error)
	Set(ctx context.Context, kind Kind, key string, val []byte) error
	Stats() Stats
}

// Stats per kind; a tiered cache adds one Stats per tier.
type Stats struct {
	Kinds  map[Kind]KindStats `json:"kinds"`
	Keys   int                `json:"keys"`
	Bytes  int64              `json:"bytes"`
	Errors uint64             `json:"errors,omitempty"` // backend failures (counted as misses)
	// Skipped counts lookups that got no verdict from the backend: not tried (breaker open),
	// or out of time waiting for a connection being made (start-up, a dial in progress).
	Skipped uint64 `json:"skipped,omitempty"`
	// Corrupt counts stored values that could not be used (undecodable, too large, not a
	// string): misses, overwritten by the next answer.
	Corrupt uint64 `json:"corrupt,omitempty"`
	// Unverified counts values rejected for want of a valid cacheSecret signature: misses.
	Unverified uint64           `json:"unverified,omitempty"`
	Breaker    string           `json:"breaker,omitempty"` // closed, open, half-open
	Tiers      map[string]Stats `json:"tiers,omitempty"`
}

// KindStats counts lookups of one kind.
type KindStats struct {
	Hits    uint64  `json:"hits"`
	Misses  uint64  `json:"misses"`
	HitRate float64 `json:"hitRate"` // filled by Stats()
}

// copyKinds snapshots counters with their hit rates.
func copyKinds(m map[Kind]KindStats) map[Kind]KindStats {
	out := make(map[Kind]KindStats, len(m))
	for k, v := range m {
		v.HitRate = v.rate()
		out[k] = v
	}
	return out
}

// rate is hits/(hits+misses), 0 when there were no lookups.
func (k KindStats) rate() float64 {
	if k.Hits+k.Misses == 0 {
		return 0
	}
	return float64(k.Hits) / float64(k.Hits+k.Misses)
}

// TTLs per kind.
type TTLs map[Kind]time.Duration

// Key hashes its parts (model, options, template version, prompt…) into a hex SHA-256.
// Parts are length-prefixed so ("ab","c") and ("a","bc") differ.
func Key(parts ...string) string {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		binary.LittleEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Merge adds several tiers' statistics into one: kinds and tiers of the same name summed (a
// breaker that is not closed wins), keys and bytes those of the memory tier.
func Merge(ss []Stats) Stats {
	out := Stats{Kinds: map[Kind]KindStats{}, Tiers: map[string]Stats{}}
	for _, s := range ss {
		addKinds(out.Kinds, s.Kinds)
		for name, ts := range s.Tiers {
			m := out.Tiers[name]
			if m.Kinds == nil {
				m.Kinds = map[Kind]KindStats{}
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
	mem := out.Tiers[TierMemory]
	out.Keys, out.Bytes = mem.Keys, mem.Bytes
	return out
}

func addKinds(dst, src map[Kind]KindStats) {
	for k, v := range src {
		a := dst[k]
		a.Hits += v.Hits
		a.Misses += v.Misses
		a.HitRate = a.rate()
		dst[k] = a
	}
}
