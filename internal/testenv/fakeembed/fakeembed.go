// Package fakeembed is an embedding backend for benchmarks: fixed pseudo-random 768-dim
// vectors (a hash of the input) after a fixed latency per call, counting calls and inputs.
package fakeembed

import (
	"context"
	"hash/fnv"
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// Backend answers Embed calls (embed.Backend).
type Backend struct {
	Latency time.Duration
	Calls   atomic.Int64
	Inputs  atomic.Int64
}

// Embed returns one vector per input.
func (c *Backend) Embed(ctx context.Context, _ string, inputs []string, _ time.Duration) ([][]float32, error) {
	c.Calls.Add(1)
	c.Inputs.Add(int64(len(inputs)))
	if c.Latency > 0 {
		time.Sleep(c.Latency)
	}
	out := make([][]float32, len(inputs))
	for i, in := range inputs {
		h := fnv.New64a()
		h.Write([]byte(in))
		rng := rand.NewPCG(h.Sum64(), 1)
		v := make([]float32, 768)
		for j := 0; j < len(v); j += 4 { // cheap pseudo-random components: this is the model's time, not ours
			x := rng.Uint64()
			for k := range 4 {
				v[j+k] = float32(int16(x>>(16*k))) / 32768
			}
		}
		out[i] = v // the index normalises
	}
	return out, ctx.Err()
}
