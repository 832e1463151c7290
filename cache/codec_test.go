package cache

import (
	"bytes"
	"encoding/binary"
	"errors"
	"runtime"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// zstdBomb is a 17-byte zstd frame whose header declares contentSize bytes (single segment,
// 8-byte content size, no checksum) followed by one RLE block: tiny in Redis, and a decoder
// without a memory limit allocates contentSize before it finds the data missing.
func zstdBomb(contentSize uint64) []byte {
	b := []byte{0x28, 0xb5, 0x2f, 0xfd, 0xe0} // magic; FHD: FCS 8 bytes, single segment
	b = binary.LittleEndian.AppendUint64(b, contentSize)
	// Last RLE block (type 1) repeating 0x61 (1<<21)-1 times (block size field is 21 bits).
	hdr := uint32(1) | 1<<1 | ((1<<21)-1)<<3
	b = append(b, byte(hdr), byte(hdr>>8), byte(hdr>>16), 'a')
	return b
}

// allocDuring is the bytes allocated (TotalAlloc) while f runs.
func allocDuring(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// TestDecodeValueBounded: a zstd bomb, garbage and oversized values are rejected with the
// right reason and without a big allocation; values at the limit round-trip for every kind.
func TestDecodeValueBounded(t *testing.T) {
	const key = "mimi:v1:completion:k"
	bomb := append([]byte{encZstd}, zstdBomb(512<<20)...)
	for name, tc := range map[string]struct {
		stored []byte
		want   error
	}{
		"zstd bomb 512 MiB":     {bomb, ErrValueTooLarge},
		"empty":                 {nil, ErrCorruptValue},
		"unknown header":        {[]byte{7, 'x'}, ErrCorruptValue},
		"garbage zstd":          {[]byte{encZstd, 1, 2, 3, 4, 5}, ErrCorruptValue},
		"truncated zstd":        {encodeValue(bytes.Repeat([]byte("abc"), 400), key, nil)[:20], ErrCorruptValue},
		"truncated signature":   {[]byte{encRaw | flagSigned, 1, 2}, ErrCorruptValue},
		"raw over limit":        {append([]byte{encRaw}, make([]byte, ValueLimit(KindCompletion)+1)...), ErrValueTooLarge},
		"zstd over limit (2MB)": {encodeValue(make([]byte, 2<<20), key, nil), ErrValueTooLarge},
	} {
		var err error
		alloc := allocDuring(func() { _, err = decodeValue(tc.stored, key, nil, ValueLimit(KindCompletion)) })
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", name, err, tc.want)
		}
		if alloc > 4<<20 {
			t.Errorf("%s: decoding allocated %d bytes", name, alloc)
		}
	}
	// The old decoder (no memory limit) is what made the bomb expensive: measured here so the
	// report shows what the limit saves.
	old, _ := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
	defer old.Close()
	t.Logf("bomb: %d bytes stored; unbounded decoder allocates %d bytes, bounded %d",
		len(bomb), allocDuring(func() { _, _ = old.DecodeAll(bomb[1:], nil) }),
		allocDuring(func() { _, _ = decodeValue(bomb, key, nil, ValueLimit(KindCompletion)) }))

	for _, kind := range []Kind{KindCompletion, KindAction, KindEmbedding} {
		for _, v := range [][]byte{{}, []byte("x"), make([]byte, ValueLimit(kind)), bytes.Repeat([]byte("ab"), ValueLimit(kind)/2)} {
			for _, secret := range [][]byte{nil, []byte("s")} {
				got, err := decodeValue(encodeValue(v, key, secret), key, secret, ValueLimit(kind))
				if err != nil || !bytes.Equal(got, v) {
					t.Errorf("%s: %d bytes (secret %q) do not round-trip: %v", kind, len(v), secret, err)
				}
			}
		}
	}
	// A compressible 100 KiB value: under the action limit, over the completion and embedding
	// limits (more than numPredict's 4096 tokens can produce).
	big := encodeValue(make([]byte, 100<<10), key, nil)
	for kind, want := range map[Kind]error{KindAction: nil, KindCompletion: ErrValueTooLarge, KindEmbedding: ErrValueTooLarge} {
		if _, err := decodeValue(big, key, nil, ValueLimit(kind)); !errors.Is(err, want) {
			t.Errorf("100 KiB %s: %v, want %v", kind, err, want)
		}
	}
}

// TestDecodeValueSignature: with a secret only values signed with it for the same key decode;
// without one, signed values are read unchecked.
func TestDecodeValueSignature(t *testing.T) {
	const key, other = "mimi:v1:completion:a", "mimi:v1:completion:b"
	secret, wrong := []byte("team secret"), []byte("other secret")
	v := []byte("a + b")
	signed := encodeValue(v, key, secret)
	for name, tc := range map[string]struct {
		stored []byte
		key    string
		secret []byte
		want   error
	}{
		"signed, same secret":       {signed, key, secret, nil},
		"signed, wrong secret":      {signed, key, wrong, ErrBadSignature},
		"signed, copied to another": {signed, other, secret, ErrBadSignature},
		"unsigned, with a secret":   {encodeValue(v, key, nil), key, secret, ErrUnsignedValue},
		"signed, no secret":         {signed, key, nil, nil},
		"tampered payload":          {append(bytes.Clone(signed[:len(signed)-1]), 'c'), key, secret, ErrBadSignature},
		"relabelled as zstd":        {append([]byte{encZstd | flagSigned}, signed[1:]...), key, secret, ErrBadSignature},
	} {
		got, err := decodeValue(tc.stored, tc.key, tc.secret, ValueLimit(KindCompletion))
		if !errors.Is(err, tc.want) || (tc.want == nil && !bytes.Equal(got, v)) {
			t.Errorf("%s: %q, %v; want %v", name, got, err, tc.want)
		}
	}
}

// FuzzDecodeValue: whatever Redis holds, decoding never panics and never returns more than the
// limit; what encodeValue wrote always decodes back.
func FuzzDecodeValue(f *testing.F) {
	const key = "mimi:v1:completion:k"
	for _, seed := range [][]byte{
		nil,
		{encRaw},
		encodeValue([]byte("a + b"), key, nil),
		encodeValue(bytes.Repeat([]byte("func f() {}\n"), 100), key, nil),
		encodeValue(bytes.Repeat([]byte("func f() {}\n"), 100), key, []byte("s")),
		append([]byte{encZstd}, zstdBomb(1<<30)...),
		append([]byte{encZstd | flagSigned}, make([]byte, macLen)...),
		{0xff, 0xff, 0xff},
	} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, stored []byte, withSecret bool) {
		var secret []byte
		if withSecret {
			secret = []byte("s")
		}
		for _, kind := range []Kind{KindCompletion, KindEmbedding} {
			limit := ValueLimit(kind)
			v, err := decodeValue(stored, key, secret, limit)
			if err == nil && len(v) > limit {
				t.Fatalf("decoded %d bytes > limit %d", len(v), limit)
			}
			if len(stored) <= limit {
				got, err := decodeValue(encodeValue(stored, key, secret), key, secret, limit)
				if err != nil || !bytes.Equal(got, stored) {
					t.Fatalf("round trip of %d bytes: %v", len(stored), err)
				}
			}
		}
	})
}
