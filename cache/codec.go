package cache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/klauspost/compress/zstd"
)

// Values stored in Redis start with one header byte: the low bits say how the rest is encoded
// (small values, most completions, stay raw; larger ones are zstd-compressed when that saves at
// least 10%); flagSigned says an HMAC of the value and its key comes first (sign.go).
//
//	[enc]                 payload      unsigned (no cacheSecret), the v1 format as first shipped
//	[enc|flagSigned] MAC  payload      signed with cacheSecret
//
// Anything else (another header, a truncated MAC, a bad zstd frame) is a miss, never an error
// for the caller: Redis is shared, so what it holds is untrusted input.
const (
	encRaw     byte = 0
	encZstd    byte = 1
	flagSigned byte = 0x80

	compressMin = 512
)

// Size limits for one decoded value, per kind: what Redis holds is untrusted, so a reader
// accepts no more than a real answer of that kind can be. A value that would decode to more is
// rejected before it is decompressed (the zstd decoder stops at the limit), so a 17-byte zstd
// frame that declares 1 GiB costs nothing. The limits are enforced on Set too, so nothing this
// server writes can be rejected by its readers:
//   - completion: numPredict is at most 4096 tokens (config) and code averages 3-4 bytes a
//     token; 16 bytes a token (the longest vocabulary entries are runs of whitespace) gives
//     64 KiB. A longer answer is not shared (Set refuses it), it is still shown and kept in
//     memory.
//   - action: code-action edits from the big model, a rewritten function or file (the big
//     model's context bounds it, rarely above 100 KiB); 1 MiB.
//   - embedding: 4 bytes a dimension; 64 KiB is 16384 dimensions, 4× the largest common
//     embedders (4096).
//
// Unknown kinds get the largest limit.
var valueLimits = map[Kind]int{
	KindCompletion: maxPredictTokens * maxBytesPerToken,
	KindAction:     1 << 20,
	KindEmbedding:  64 << 10,
}

// maxPredictTokens is config's upper bound for numPredict; maxBytesPerToken a generous bound
// on the bytes one generated token decodes to.
const (
	maxPredictTokens = 4096
	maxBytesPerToken = 16
)

const defaultValueLimit = 1 << 20

// ValueLimit is the largest value of kind that Set accepts and Get returns.
func ValueLimit(kind Kind) int {
	if n, ok := valueLimits[kind]; ok {
		return n
	}
	return defaultValueLimit
}

// maxStored is the most bytes a valid stored value of kind can take (header, MAC, raw
// payload): Get reads no more than one byte past it.
func maxStored(kind Kind) int { return 1 + macLen + ValueLimit(kind) }

// Reasons a stored value is rejected; each is a miss, counted and logged once (redis.go).
var (
	// ErrCorruptValue: the stored bytes do not decode (unknown header, truncated, bad zstd
	// frame, not a string).
	ErrCorruptValue = errors.New("stored value cannot be decoded")
	// ErrValueTooLarge: the value is (or would decompress to) more than ValueLimit.
	ErrValueTooLarge = errors.New("value larger than the limit for its kind")
	// ErrUnsignedValue: a cacheSecret is set and the value carries no signature.
	ErrUnsignedValue = errors.New("stored value is not signed")
	// ErrBadSignature: the signature does not match this secret, key and value.
	ErrBadSignature = errors.New("stored value has a bad signature")
)

var zenc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))

// decoders holds one zstd decoder per distinct limit: WithDecoderMaxMemory makes DecodeAll
// refuse a frame whose declared size is above it before allocating, and stop a frame that
// declares nothing once its output passes it. Without it the decoder allows 64 GiB and
// preallocates whatever size a frame header declares.
var decoders = func() map[int]*zstd.Decoder {
	m := map[int]*zstd.Decoder{}
	for _, n := range append(mapValues(valueLimits), defaultValueLimit) {
		if m[n] != nil {
			continue
		}
		d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderMaxMemory(uint64(n)), zstd.WithDecoderMaxWindow(uint64(max(n, zstd.MinWindowSize))))
		if err != nil {
			panic(err) // only bad options fail here: a programming error
		}
		m[n] = d
	}
	return m
}()

func mapValues(m map[Kind]int) []int {
	out := make([]int, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// encodeValue frames v for storage under the full Redis key; with a secret it is signed.
func encodeValue(v []byte, key string, secret []byte) []byte {
	head, payload := encRaw, v
	if len(v) >= compressMin {
		if c := zenc.EncodeAll(v, make([]byte, 0, len(v)/2+16)); len(c) < len(v)*9/10 {
			head, payload = encZstd, c
		}
	}
	n := 1
	if secret != nil {
		head |= flagSigned
		n += macLen
	}
	out := make([]byte, n, n+len(payload))
	out[0] = head
	if secret != nil {
		copy(out[1:], mac(secret, key, head, payload))
	}
	return append(out, payload...)
}

// decodeValue reverses encodeValue for a value read from key, returning at most limit bytes.
// With a secret only values signed with it for this key are accepted (checked before any
// decompression). Without one, signed values are accepted unchecked: a reader without a
// secret already trusts every unsigned value, so ignoring a teammate's MAC loses nothing and
// lets a mixed team share answers.
func decodeValue(b []byte, key string, secret []byte, limit int) ([]byte, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrCorruptValue)
	}
	head, body := b[0], b[1:]
	if head&flagSigned != 0 {
		if len(body) < macLen {
			return nil, fmt.Errorf("%w: truncated signature", ErrCorruptValue)
		}
		sum, payload := body[:macLen], body[macLen:]
		if secret != nil && !validMAC(secret, key, head, payload, sum) {
			return nil, ErrBadSignature
		}
		body = payload
	} else if secret != nil {
		return nil, ErrUnsignedValue
	}
	switch head &^ flagSigned {
	case encRaw:
		if len(body) > limit {
			return nil, fmt.Errorf("%w: %d bytes > %d", ErrValueTooLarge, len(body), limit)
		}
		return body, nil
	case encZstd:
		d := decoders[limit]
		if d == nil {
			return nil, fmt.Errorf("no decoder for limit %d", limit) // limits come from ValueLimit only
		}
		v, err := d.DecodeAll(body, nil)
		switch {
		case errors.Is(err, zstd.ErrDecoderSizeExceeded), errors.Is(err, zstd.ErrWindowSizeExceeded):
			return nil, fmt.Errorf("%w: %w", ErrValueTooLarge, err)
		case err != nil:
			return nil, fmt.Errorf("%w: zstd: %w", ErrCorruptValue, err)
		case len(v) > limit: // the decoder enforces this; kept so the contract is local
			return nil, fmt.Errorf("%w: %d bytes > %d", ErrValueTooLarge, len(v), limit)
		}
		return v, nil
	default:
		return nil, fmt.Errorf("%w: unknown encoding %#x", ErrCorruptValue, head)
	}
}

// EncodeFloat32s packs a vector as little-endian float32 bytes (4 bytes a dimension, not JSON).
func EncodeFloat32s(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

// DecodeFloat32s unpacks EncodeFloat32s.
func DecodeFloat32s(b []byte) ([]float32, error) {
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("vector of %d bytes is not a whole number of float32s", len(b))
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}
