package cache

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestMemoryEvictsByBytes(t *testing.T) {
	ctx := context.Background()
	m := NewMemory(int64(3*(entryOverhead+len(KindCompletion)+64+100)), TTLs{})
	val := make([]byte, 100)
	for i := range 5 {
		_ = m.Set(ctx, KindCompletion, fmt.Sprintf("%064d", i), val)
	}
	st := m.Stats()
	if st.Keys != 3 || st.Bytes > 3*int64(entryOverhead+len(KindCompletion)+64+100) {
		t.Fatalf("stats = %+v, want 3 keys within budget", st)
	}
	if _, ok, _ := m.Get(ctx, KindCompletion, fmt.Sprintf("%064d", 0)); ok {
		t.Error("oldest entry survived eviction")
	}
	if _, ok, _ := m.Get(ctx, KindCompletion, fmt.Sprintf("%064d", 4)); !ok {
		t.Error("newest entry evicted")
	}
	// Re-setting a key does not double count it.
	_ = m.Set(ctx, KindCompletion, fmt.Sprintf("%064d", 4), val)
	if m.Stats().Keys != 3 {
		t.Errorf("keys after overwrite = %d", m.Stats().Keys)
	}
	// A value bigger than the cache is not stored.
	_ = m.Set(ctx, KindCompletion, "huge", make([]byte, 10000))
	if _, ok, _ := m.Get(ctx, KindCompletion, "huge"); ok {
		t.Error("oversized value cached")
	}
}

func TestMemoryTTLAndStats(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1000, 0)
	m := NewMemory(1<<20, TTLs{KindCompletion: time.Hour, KindEmbedding: 24 * time.Hour})
	m.now = func() time.Time { return now }
	_ = m.Set(ctx, KindCompletion, "k", []byte("v"))
	_ = m.Set(ctx, KindEmbedding, "k", []byte("e"))
	if v, ok, _ := m.Get(ctx, KindCompletion, "k"); !ok || string(v) != "v" {
		t.Fatal("fresh entry missing")
	}
	now = now.Add(61 * time.Minute)
	if _, ok, _ := m.Get(ctx, KindCompletion, "k"); ok {
		t.Error("completion served after its 1h TTL")
	}
	if _, ok, _ := m.Get(ctx, KindEmbedding, "k"); !ok {
		t.Error("embedding expired before its 24h TTL")
	}
	st := m.Stats().Kinds
	if st[KindCompletion].Hits != 1 || st[KindCompletion].Misses != 1 || st[KindCompletion].HitRate != 0.5 {
		t.Errorf("completion stats = %+v", st[KindCompletion])
	}
}

func TestKeyIsUnambiguous(t *testing.T) {
	if Key("ab", "c") == Key("a", "bc") {
		t.Error("length-prefixing missing")
	}
	if Key("m", "p") != Key("m", "p") || len(Key("x")) != 64 {
		t.Error("key not a stable sha256 hex")
	}
}
