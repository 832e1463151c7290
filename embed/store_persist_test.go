package embed

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/gofrs/flock"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	ctx := context.Background()
	ix, err := newStoreFixtureIndex(Options{}, storeDims)
	if err != nil {
		t.Fatal(err)
	}
	mt := time.Unix(1700000000, 123456789)
	cs := storeFixtureChunks(storeFixture[0])
	if err := ix.UpsertFile(FileMeta{Path: "http/server.go", Size: 1234, ModTime: mt, Hash: "abc"}, cs, storeFixtureVectors(cs, storeDims)); err != nil {
		t.Fatal(err)
	}
	ix.Remove("util/strings.go") // a dead slot must not be saved
	if err := ix.Upsert("kw/only.go", []Chunk{{Text: "func keywordOnlyThing() {}"}}, nil); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "idx")
	if err := ix.Save(ctx, dir); err != nil {
		t.Fatal(err)
	}
	got := NewIndex(Options{})
	if err := got.Load(ctx, dir); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Files(), ix.Files()) {
		t.Errorf("manifest differs:\n got %+v\nwant %+v", got.Files(), ix.Files())
	}
	if m, _ := got.File("http/server.go"); !m.ModTime.Equal(mt) || m.Size != 1234 || m.Hash != "abc" {
		t.Errorf("file meta %+v", m)
	}
	if a, b := got.Stats(), ix.Stats(); a.Files != b.Files || a.Chunks != b.Chunks || a.Dims != b.Dims {
		t.Errorf("stats %+v, want %+v", a, b)
	}
	queries := []string{"parse the http request line", "lru cache evict oldest entry", "keywordOnlyThing", "reverse string"}
	for _, q := range queries {
		want := ix.Search(ctx, q, storeFakeEmbed(q, storeDims), 5)
		have := got.Search(ctx, q, storeFakeEmbed(q, storeDims), 5)
		if !reflect.DeepEqual(storeHitTexts(have), storeHitTexts(want)) {
			t.Errorf("%q: loaded %q, saved %q", q, storeHitTexts(have), storeHitTexts(want))
		}
	}
	id := cs[1].ID
	v1, ok1 := ix.Vector("http/server.go", id)
	v2, ok2 := got.Vector("http/server.go", id)
	if !ok1 || !ok2 || !reflect.DeepEqual(v1, v2) {
		t.Errorf("vector differs after load")
	}
	// The loaded index keeps working as a writer.
	if err := got.Upsert("http/server.go", nil, nil); err != nil {
		t.Fatal(err)
	}
	if hits := got.Search(ctx, "ListenAndServe", nil, 5); len(hits) != 0 {
		t.Errorf("emptied file still found: %q", storeHitTexts(hits))
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 { // index.bin and index.lock, no temp file
		t.Errorf("dir has %d entries", len(ents))
	}
}

// savedBytes returns the saved index file of the fixture.
func savedBytes(t testing.TB) []byte {
	t.Helper()
	ix, err := newStoreFixtureIndex(Options{}, 8)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := ix.Save(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, indexFile))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLoadBadFiles(t *testing.T) {
	good := savedBytes(t)
	mutate := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	tests := []struct {
		name string
		data []byte // nil: no file
		is   error
	}{
		{"missing", nil, fs.ErrNotExist},
		{"empty", []byte{}, ErrCorrupt},
		{"garbage", []byte("hello, not an index at all"), ErrCorrupt},
		{"truncated", good[:len(good)/2], ErrCorrupt},
		{"flipped byte", mutate(func(b []byte) []byte { b[len(b)/2] ^= 0x40; return b }), ErrCorrupt},
		{"bad checksum", mutate(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), ErrCorrupt},
		{"trailing bytes", append(bytes.Clone(good), 0), ErrCorrupt},
		{"other version", mutate(func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[len(formatMagic):], formatVersion+1)
			return b
		}), ErrVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.data != nil {
				if err := os.WriteFile(filepath.Join(dir, indexFile), tt.data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			ix, err := newStoreFixtureIndex(Options{}, 8) // non-empty before: Load must empty it
			if err != nil {
				t.Fatal(err)
			}
			err = ix.Load(context.Background(), dir)
			if !errors.Is(err, tt.is) {
				t.Fatalf("err %v, want %v", err, tt.is)
			}
			if st := ix.Stats(); st.Chunks != 0 || st.Files != 0 {
				t.Errorf("not empty after failed load: %+v", st)
			}
			if err := ix.Upsert("a.go", []Chunk{{Text: "stillWorks"}}, [][]float32{{1, 2, 3}}); err != nil {
				t.Fatal(err)
			}
			if hits := ix.Search(context.Background(), "stillWorks", []float32{1, 2, 3}, 1); len(hits) != 1 {
				t.Errorf("index unusable after failed load")
			}
		})
	}
	t.Run("over the size limit", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, indexFile), good, 0o600); err != nil {
			t.Fatal(err)
		}
		ix := NewIndex(Options{MaxFileBytes: int64(len(good) - 1)})
		if err := ix.Load(context.Background(), dir); !errors.Is(err, ErrCorrupt) {
			t.Errorf("err %v, want ErrCorrupt", err)
		}
	})
}

// TestLockHeldByAnother holds the directory's locks through a second flock, as another editor
// process would.
func TestLockHeldByAnother(t *testing.T) {
	dir := t.TempDir()
	ix, err := newStoreFixtureIndex(Options{}, 8)
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Save(context.Background(), dir); err != nil {
		t.Fatal(err)
	}

	other := flock.New(filepath.Join(dir, lockFile))
	if ok, err := other.TryLock(); !ok || err != nil {
		t.Fatalf("other lock: %v %v", ok, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := ix.Save(ctx, dir); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("save while locked: %v, want deadline exceeded", err)
	}
	if err := NewIndex(Options{}).Load(ctx, dir); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("load while locked: %v, want deadline exceeded", err)
	}
	if err := other.Unlock(); err != nil {
		t.Fatal(err)
	}
	// A shared holder (another process loading) lets us load too.
	if ok, err := other.TryRLock(); !ok || err != nil {
		t.Fatalf("other shared lock: %v %v", ok, err)
	}
	if err := NewIndex(Options{}).Load(context.Background(), dir); err != nil {
		t.Errorf("load beside a reader: %v", err)
	}
	if err := other.Unlock(); err != nil {
		t.Fatal(err)
	}

	otherWriter := flock.New(filepath.Join(dir, writerFile))
	if ok, err := otherWriter.TryLock(); !ok || err != nil {
		t.Fatalf("other writer: %v %v", ok, err)
	}
	if _, err := ClaimWriter(dir); !errors.Is(err, ErrClaimed) {
		t.Errorf("claim while another writer: %v, want ErrClaimed", err)
	}
	if err := otherWriter.Unlock(); err != nil {
		t.Fatal(err)
	}
	c, err := ClaimWriter(dir)
	if err != nil {
		t.Fatalf("claim after release: %v", err)
	}
	if err := c.Release(); err != nil {
		t.Fatal(err)
	}
}

// FuzzLoad: arbitrary bytes never panic, and allocation stays bounded by the input's size.
func FuzzLoad(f *testing.F) {
	good := savedBytes(f)
	f.Add(good)
	f.Add(good[:len(good)-7])
	f.Add([]byte(formatMagic + "\x01\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\x7f"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		ix := NewIndex(Options{})
		if err := ix.decodeFrom(context.Background(), bytes.NewReader(data), int64(len(data))); err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		_ = ix.Search(context.Background(), "server request", make([]float32, ix.Stats().Dims), 5)
	})
}

// TestLoadCancelledKeepsTheIndex: a reload whose context ends first leaves the loaded index
// answering (a read-only indexer's cancelled refresh must not empty it); a corrupt file empties it.
func TestLoadCancelledKeepsTheIndex(t *testing.T) {
	ix, err := newStoreFixtureIndex(Options{}, storeDims)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := ix.Save(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	want := ix.Stats().Chunks
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ix.Load(ctx, dir); err == nil {
		t.Fatal("a cancelled load succeeded")
	}
	if got := ix.Stats().Chunks; got != want || want == 0 {
		t.Fatalf("after a cancelled load: %d chunks, want %d", got, want)
	}
	if err := os.WriteFile(filepath.Join(dir, indexFile), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ix.Load(context.Background(), dir); err == nil || ix.Stats().Chunks != 0 {
		t.Fatalf("a corrupt load: %v, %d chunks left", err, ix.Stats().Chunks)
	}
}
