package cache

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// Memory is an LRU bounded by bytes (keys + values) with a TTL per kind.
// It uses hashicorp/golang-lru's simplelru for recency order and evicts the oldest entries
// until the byte budget holds.
type Memory struct {
	mu       sync.Mutex
	lru      *simplelru.LRU[memKey, memEntry]
	maxBytes int64
	bytes    int64
	ttl      TTLs
	now      func() time.Time
	stats    map[Kind]KindStats
}

type memKey struct {
	kind Kind
	key  string
}

type memEntry struct {
	val     []byte
	expires time.Time
}

// entryOverhead approximates the per-entry bookkeeping so many tiny entries still count.
const entryOverhead = 96

// NewMemory returns a memory cache of at most maxBytes. A zero maxBytes disables caching.
func NewMemory(maxBytes int64, ttl TTLs) *Memory {
	m := &Memory{maxBytes: maxBytes, ttl: ttl, now: time.Now, stats: map[Kind]KindStats{}}
	// The count bound is never the binding one: bytes are.
	l, _ := simplelru.NewLRU[memKey, memEntry](1<<30, func(k memKey, e memEntry) {
		m.bytes -= size(k, e)
	})
	m.lru = l
	return m
}

func size(k memKey, e memEntry) int64 {
	return int64(len(k.key)+len(k.kind)+len(e.val)) + entryOverhead
}

// Get returns a live entry.
func (m *Memory) Get(_ context.Context, kind Kind, key string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.stats[kind]
	k := memKey{kind, key}
	e, ok := m.lru.Get(k)
	if ok && !e.expires.IsZero() && m.now().After(e.expires) {
		m.lru.Remove(k)
		ok = false
	}
	if ok {
		st.Hits++
	} else {
		st.Misses++
	}
	m.stats[kind] = st
	return e.val, ok, nil
}

// Peek is Get that counts only a hit: a caller that will look up the same key again through
// Get on a miss (the completion fast path) must not count that miss twice.
func (m *Memory) Peek(kind Kind, key string) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := memKey{kind, key}
	e, ok := m.lru.Get(k)
	if !ok || (!e.expires.IsZero() && m.now().After(e.expires)) {
		return nil, false
	}
	st := m.stats[kind]
	st.Hits++
	m.stats[kind] = st
	return e.val, true
}

// Has reports whether a live entry is there, counting nothing and leaving its recency alone.
func (m *Memory) Has(kind Kind, key string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.lru.Peek(memKey{kind, key})
	return ok && (e.expires.IsZero() || !m.now().After(e.expires))
}

// Set stores val (not copied: callers must not modify it afterwards).
func (m *Memory) Set(_ context.Context, kind Kind, key string, val []byte) error {
	k := memKey{kind, key}
	e := memEntry{val: val}
	if ttl := m.ttl[kind]; ttl > 0 {
		e.expires = m.now().Add(ttl)
	}
	sz := size(k, e)
	m.mu.Lock()
	defer m.mu.Unlock()
	if sz > m.maxBytes {
		return nil // larger than the whole cache: not cached
	}
	m.lru.Remove(k)
	m.lru.Add(k, e)
	m.bytes += sz
	for m.bytes > m.maxBytes {
		if _, _, ok := m.lru.RemoveOldest(); !ok {
			break
		}
	}
	return nil
}

// Stats returns counters and sizes.
func (m *Memory) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return Stats{Kinds: copyKinds(m.stats), Keys: m.lru.Len(), Bytes: m.bytes}
}

// Clear drops every entry.
func (m *Memory) Clear() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lru.Purge()
}
