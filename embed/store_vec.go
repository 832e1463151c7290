package embed

import (
	"math"
	"math/bits"
)

// Vector encodings of the index.
//
// A stored vector is L2-normalised and kept twice, compactly:
//   - sign bits (dims/8 bytes): the full scan is a Hamming distance over them (POPCNT), which
//     runs 100k × 768 dims in about a millisecond; a dot-product scan over every vector measured
//     ~1 ms per 1,000 vectors in pure Go (no SIMD), 100 ms at 100k: ten times over the budget;
//   - int8 with one float32 scale per vector (dims + 4 bytes): the top candidates of the scan
//     are re-ranked by the cosine over it. Each component is off by at most half a step
//     (max|x|/254), which moves a cosine of unit vectors by ~1e-3 at 768 dims: below the gaps
//     between neighbours that matter (TestInt8CosineError).
//
// 100k × 768 dims is 9.6 MB of bits + 77 MB of int8; float16 was 154 MB, float32 307 MB. The
// int8 copy is what Save writes, so Load needs no re-encoding.

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
	k := normScale(v)
	if k == 0 {
		return nil
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(float64(x) * k)
	}
	return out
}

// quantize writes v·k (k scales v to unit length) as int8 into dst and returns the scale that
// turns them back (x ≈ dst[i]·scale); 0 when every component is 0.
func quantize(dst []int8, v []float32, k float64) float32 {
	var m float64
	for _, x := range v {
		m = max(m, math.Abs(float64(x)*k))
	}
	if m == 0 || math.IsNaN(m) || math.IsInf(m, 0) {
		clear(dst)
		return 0
	}
	f := float32(k * 127 / m)
	for i, x := range v {
		y := x * f // within ±127 (up to float rounding)
		if y >= 0 {
			dst[i] = int8(min(y+0.5, 127))
		} else {
			dst[i] = int8(max(y-0.5, -127))
		}
	}
	return float32(m / 127)
}

// dotI8 is the dot product of a float32 query and an int8 stored vector (before its scale).
func dotI8(q []float32, v []int8) float32 {
	v = v[:len(q)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(q); i += 4 {
		s0 += q[i] * float32(v[i])
		s1 += q[i+1] * float32(v[i+1])
		s2 += q[i+2] * float32(v[i+2])
		s3 += q[i+3] * float32(v[i+3])
	}
	for ; i < len(q); i++ {
		s0 += q[i] * float32(v[i])
	}
	return s0 + s1 + s2 + s3
}

// wordsFor is the number of uint64 sign-bit words of a dims-long vector.
func wordsFor(dims int) int { return (dims + 63) / 64 }

// signBitsI8 writes the sign bits of an int8 vector (1 = negative) into dst.
func signBitsI8(dst []uint64, v []int8) {
	for w := range dst {
		var x uint64
		seg := v[w*64 : min(len(v), w*64+64)]
		for j, h := range seg {
			x |= uint64(uint8(h)>>7) << uint(j)
		}
		dst[w] = x
	}
}

// signBitsF32 writes the sign bits of a float32 vector (1 = negative) into dst.
func signBitsF32(dst []uint64, v []float32) {
	for w := range dst {
		var x uint64
		seg := v[w*64 : min(len(v), w*64+64)]
		for j, f := range seg {
			x |= uint64(math.Float32bits(f)>>31) << uint(j)
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

// pageVecs is how many vectors one page of i8Pages holds: growing by pages wastes at most one
// page (768 KB at 768 dims), where one growing slice would waste up to a quarter of its size.
const pageVecs = 1024

// i8Pages holds n int8 vectors of dims each, in fixed-size pages, and their scales.
type i8Pages struct {
	dims  int
	n     int
	pages [][]int8
	scale []float32
}

func (p *i8Pages) at(s int) []int8 {
	pg := p.pages[s/pageVecs]
	o := (s % pageVecs) * p.dims
	return pg[o : o+p.dims : o+p.dims]
}

// grow appends a zero vector (scale 0) and returns it.
func (p *i8Pages) grow() []int8 {
	if p.n%pageVecs == 0 {
		p.pages = append(p.pages, make([]int8, pageVecs*p.dims))
	}
	p.n++
	p.scale = append(p.scale, 0)
	return p.at(p.n - 1)
}

// move copies vector s (and its scale) over vector d.
func (p *i8Pages) move(d, s int) {
	copy(p.at(d), p.at(s))
	p.scale[d] = p.scale[s]
}

// float returns vector s as float32.
func (p *i8Pages) float(s int) []float32 {
	out := make([]float32, p.dims)
	k := p.scale[s]
	for i, x := range p.at(s) {
		out[i] = float32(x) * k
	}
	return out
}

// truncate keeps the first n vectors.
func (p *i8Pages) truncate(n int) {
	keep := (n + pageVecs - 1) / pageVecs
	clear(p.pages[keep:])
	p.pages = p.pages[:keep]
	if n%pageVecs != 0 {
		clear(p.pages[keep-1][(n%pageVecs)*p.dims:])
	}
	p.n = n
	p.scale = p.scale[:n:n]
}

func (p *i8Pages) shrink() { p.scale = trimCap(p.scale) }

func (p *i8Pages) bytes() int64 {
	return int64(len(p.pages))*pageVecs*int64(p.dims) + int64(cap(p.scale))*4
}
