package cache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/klauspost/compress/zstd"
)

// Values stored in Redis start with one byte saying how the rest is encoded. Small values
// (most completions) stay raw; larger ones are zstd-compressed when that saves at least 10%.
const (
	encRaw  byte = 0
	encZstd byte = 1

	compressMin = 512
)

var (
	zenc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	zdec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
)

// encodeValue frames v for storage.
func encodeValue(v []byte) []byte {
	if len(v) >= compressMin {
		c := zenc.EncodeAll(v, make([]byte, 1, len(v)/2+16))
		c[0] = encZstd
		if len(c) < len(v)*9/10 {
			return c
		}
	}
	out := make([]byte, 1+len(v))
	out[0] = encRaw
	copy(out[1:], v)
	return out
}

// decodeValue reverses encodeValue.
func decodeValue(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, errors.New("empty stored value")
	}
	switch b[0] {
	case encRaw:
		return b[1:], nil
	case encZstd:
		return zdec.DecodeAll(b[1:], nil)
	default:
		return nil, fmt.Errorf("unknown value encoding %d", b[0])
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
