package embed

import (
	"cmp"
	"context"
	"slices"
)

// rrfK is the reciprocal rank fusion constant (Cormack et al.): a hit's fused score is the sum
// over the ranked lists it appears in of 1/(rrfK + rank).
const rrfK = 60

// scratch is per-search working memory, pooled by the Index.
type scratch struct {
	dist    []uint16
	scores  []float32
	touched []uint32
}

func (ix *Index) getScratch(n int) *scratch {
	s, _ := ix.scr.Get().(*scratch)
	if s == nil {
		s = &scratch{}
	}
	if cap(s.dist) < n {
		s.dist = make([]uint16, n)
		s.scores = make([]float32, n)
	}
	s.dist, s.scores = s.dist[:n], s.scores[:n]
	s.touched = s.touched[:0]
	return s
}

type ranked struct {
	slot  uint32
	score float32
}

// Search returns up to limit hits for a query, best first: vector similarity to queryVec (nil:
// keyword only; a vector of other dimensions is ignored) and BM25 over queryText ("" : vector
// only), fused by reciprocal rank, at most Options.PerFile hits per file. A cancelled ctx
// returns nil.
func (ix *Index) Search(ctx context.Context, queryText string, queryVec []float32, limit int) []Hit {
	if limit <= 0 {
		return nil
	}
	terms := queryTerms(queryText)
	q := normalize(queryVec)

	ix.mu.RLock()
	defer ix.mu.RUnlock()
	n := len(ix.chunks)
	if n == 0 {
		return nil
	}
	depth := max(50, 5*limit*ix.opts.PerFile) // length of each ranked list fed to the fusion
	sc := ix.getScratch(n)
	defer ix.scr.Put(sc)

	var vec, kw []ranked
	if q != nil && len(q) == ix.dims {
		vec = ix.vectorSearch(ctx, sc, q, depth, max(ix.opts.Candidates, 20*limit))
	}
	if ctx.Err() != nil {
		return nil
	}
	if len(terms) > 0 {
		kw = ix.keywordSearch(sc, terms, depth)
	}
	if ctx.Err() != nil {
		return nil
	}
	return ix.fuseLocked(limit, vec, kw)
}

// vectorSearch scans sign bits by Hamming distance, keeps the pool closest, re-ranks them by
// the cosine over int8 and returns the best depth.
func (ix *Index) vectorSearch(ctx context.Context, sc *scratch, q []float32, depth, pool int) []ranked {
	qs := make([]uint64, ix.words)
	signBitsF32(qs, q)

	hist := make([]int, ix.dims+2)
	w := ix.words
	for s := range ix.chunks {
		if s&4095 == 0 && ctx.Err() != nil {
			return nil
		}
		if !ix.hasVec[s] {
			sc.dist[s] = uint16(ix.dims + 1)
			continue
		}
		d := hamming(qs, ix.sign[s*w:(s+1)*w])
		sc.dist[s] = uint16(d)
		hist[d]++
	}
	// The threshold distance that lets at least pool candidates through.
	thr, got := -1, 0
	for d := 0; d <= ix.dims && got < pool; d++ {
		got += hist[d]
		thr = d
	}
	// Every slot under the threshold, then ties at it while the pool has room.
	ties := pool - (got - hist[max(thr, 0)])
	cands := make([]ranked, 0, min(got, pool))
	for s, d := range sc.dist {
		if int(d) > thr {
			continue
		}
		if int(d) == thr {
			if ties <= 0 {
				continue
			}
			ties--
		}
		cands = append(cands, ranked{slot: uint32(s), score: dotI8(q, ix.vecs.at(s)) * ix.vecs.scale[s]})
	}
	sortRanked(cands)
	if len(cands) > depth {
		cands = cands[:depth]
	}
	return cands
}

// keywordSearch scores BM25 and returns the best depth.
func (ix *Index) keywordSearch(sc *scratch, terms []string, depth int) []ranked {
	sc.touched = ix.kw.score(terms, ix.alive, sc.scores, sc.touched)
	out := make([]ranked, 0, min(len(sc.touched), depth+1))
	for _, s := range sc.touched {
		r := ranked{slot: s, score: sc.scores[s]}
		sc.scores[s] = 0
		if len(out) < depth {
			out = append(out, r)
			if len(out) == depth {
				sortRanked(out)
			}
			continue
		}
		if better(r, out[depth-1]) {
			// insert into the sorted top list
			i, _ := slices.BinarySearchFunc(out, r, func(a, b ranked) int {
				if better(a, b) {
					return -1
				}
				return 1
			})
			copy(out[i+1:], out[i:depth-1])
			out[i] = r
		}
	}
	if len(out) < depth {
		sortRanked(out)
	}
	return out
}

func better(a, b ranked) bool {
	return a.score > b.score || a.score == b.score && a.slot < b.slot
}

func sortRanked(rs []ranked) {
	slices.SortFunc(rs, func(a, b ranked) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(a.slot, b.slot)
	})
}

// fuseLocked merges the ranked lists by reciprocal rank, caps hits per file and copies out.
func (ix *Index) fuseLocked(limit int, lists ...[]ranked) []Hit {
	fused := make(map[uint32]float64)
	for _, l := range lists {
		for rank, r := range l {
			fused[r.slot] += 1 / float64(rrfK+rank+1)
		}
	}
	type cand struct {
		slot  uint32
		score float64
	}
	all := make([]cand, 0, len(fused))
	for s, f := range fused {
		all = append(all, cand{s, f})
	}
	slices.SortFunc(all, func(a, b cand) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(a.slot, b.slot)
	})
	perFile := make(map[string]int)
	var hits []Hit
	for _, c := range all {
		ch := ix.chunks[c.slot]
		if perFile[ch.Path] >= ix.opts.PerFile {
			continue
		}
		perFile[ch.Path]++
		hits = append(hits, Hit{Chunk: ch, Score: c.score})
		if len(hits) == limit {
			break
		}
	}
	return hits
}
