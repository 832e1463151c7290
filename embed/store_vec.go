package embed

import (
	"math"
	"math/bits"
)

// Vector encodings of the index.
//
// A stored vector is L2-normalised and kept twice, compactly:
//   - sign bits (dims/8 bytes): the full scan is a Hamming distance over them (POPCNT), which
//     runs 100k × 768 dims in about a millisecond; an int8 dot-product scan measured ~1 ms per
//     1,000 vectors in pure Go (no SIMD), 100 ms at 100k: ten times over the search budget;
//   - float16 (2 bytes/dim): the top candidates of the scan are re-ranked by the exact cosine
//     (float16 is exact to ~1e-3 relative, well below the gaps between neighbours).
//
// 100k × 768 dims is 9.6 MB of bits + 154 MB of float16, inside the 250 MB heap goal; float32
// would be 307 MB. The float16 copy is what Save writes, so Load needs no re-encoding.

// normScale is the factor that scales v to unit length, or 0 when v is empty, zero or not
// finite (normalize multiplies by it).
func normScale(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 || math.IsNaN(s) || math.IsInf(s, 0) {
		return 0
	}
	return 1 / math.Sqrt(s)
}

// normalize returns v scaled to unit length, or nil when v is empty, zero or not finite.
func normalize(v []float32) []float32 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 || math.IsNaN(s) || math.IsInf(s, 0) {
		return nil
	}
	inv := 1 / math.Sqrt(s)
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(float64(x) * inv)
	}
	return out
}

// f32ToF16 converts with round-to-nearest-even; overflow saturates to ±Inf, tiny values
// become subnormal or zero.
func f32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23&0xff) - 127 + 15
	mant := b & 0x7fffff
	switch {
	case b&0x7fffffff == 0:
		return sign
	case int32(b>>23&0xff) == 0xff: // Inf or NaN
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	case exp >= 0x1f:
		return sign | 0x7c00
	case exp <= 0:
		if exp < -10 {
			return sign
		}
		mant |= 0x800000
		shift := uint32(14 - exp)
		h := mant >> shift
		rem := mant & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rem > half || (rem == half && h&1 == 1) {
			h++
		}
		return sign | uint16(h)
	}
	h := uint32(exp)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && h&1 == 1) {
		h++ // may carry into the exponent: still correct, up to Inf
	}
	return sign | uint16(h)
}

// f16ToF32 converts exactly.
func f16ToF32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal
		f := float32(mant) / (1 << 24)
		if sign != 0 {
			return -f
		}
		return f
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
}

// f16Table maps every float16 to its float32; one per Index (256 KB), built once.
type f16Table [1 << 16]float32

func newF16Table() *f16Table {
	t := new(f16Table)
	for i := range t {
		t[i] = f16ToF32(uint16(i))
	}
	return t
}

// dotF16 is the dot product of a float32 query and a float16 stored vector.
func (t *f16Table) dot(q []float32, v []uint16) float32 {
	v = v[:len(q)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(q); i += 4 {
		s0 += q[i] * t[v[i]]
		s1 += q[i+1] * t[v[i+1]]
		s2 += q[i+2] * t[v[i+2]]
		s3 += q[i+3] * t[v[i+3]]
	}
	for ; i < len(q); i++ {
		s0 += q[i] * t[v[i]]
	}
	return s0 + s1 + s2 + s3
}

// wordsFor is the number of uint64 sign-bit words of a dims-long vector.
func wordsFor(dims int) int { return (dims + 63) / 64 }

// signBitsF16 writes the sign bits of a float16 vector (1 = sign bit set) into dst.
func signBitsF16(dst []uint64, v []uint16) {
	for w := range dst {
		var x uint64
		seg := v[w*64 : min(len(v), w*64+64)]
		for j, h := range seg {
			x |= uint64(h>>15) << uint(j)
		}
		dst[w] = x
	}
}

// hamming is the number of differing bits.
func hamming(a, b []uint64) int {
	b = b[:len(a)]
	n := 0
	for i := range a {
		n += bits.OnesCount64(a[i] ^ b[i])
	}
	return n
}

// pageVecs is how many vectors one page of f16Pages holds: growing by pages wastes at most one
// page (1.5 MB at 768 dims), where one growing slice would waste up to a quarter of its size.
const pageVecs = 1024

// f16Pages holds n float16 vectors of dims each, in fixed-size pages.
type f16Pages struct {
	dims  int
	n     int
	pages [][]uint16
}

func (p *f16Pages) at(s int) []uint16 {
	pg := p.pages[s/pageVecs]
	o := (s % pageVecs) * p.dims
	return pg[o : o+p.dims : o+p.dims]
}

// grow appends a zero vector and returns it.
func (p *f16Pages) grow() []uint16 {
	if p.n%pageVecs == 0 {
		p.pages = append(p.pages, make([]uint16, pageVecs*p.dims))
	}
	p.n++
	return p.at(p.n - 1)
}

// truncate keeps the first n vectors.
func (p *f16Pages) truncate(n int) {
	keep := (n + pageVecs - 1) / pageVecs
	clear(p.pages[keep:])
	p.pages = p.pages[:keep]
	if n%pageVecs != 0 {
		clear(p.pages[keep-1][(n%pageVecs)*p.dims:])
	}
	p.n = n
}

func (p *f16Pages) bytes() int64 { return int64(len(p.pages)) * pageVecs * int64(p.dims) * 2 }
