package embed

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Index is the in-memory hybrid index: chunks with their vectors (sign bits + int8, see
// store_vec.go) and a BM25 inverted index over identifiers and words (bm25.go). It is safe for
// concurrent use: searches share a read lock, Upsert/Remove take the write lock briefly.
//
// The index keeps no chunk texts: a chunk is its file, lines, kind, name and content hash, and
// Indexer.Search reads the texts of the hits back from the files (checking the hash). Texts
// were a quarter of the memory and of the file on disk.
//
// Chunks live in slots appended in order; Remove and Upsert mark old slots dead and a
// compaction renumbers them once dead slots pass a quarter of all slots.
type Index struct {
	opts Options

	mu     sync.RWMutex
	dims   int
	words  int      // sign-bit words per vector
	chunks []Chunk  // by slot
	alive  []bool   // by slot
	hasVec []bool   // by slot
	sign   []uint64 // slot*words ...
	vecs   i8Pages  // by slot
	files  map[string]*fileEntry
	kw     *bm25
	dead   int
	scr    sync.Pool // *scratch
}

// Options tune an Index; the zero value takes the defaults.
type Options struct {
	// PerFile is the most hits one file contributes to a search (default 3).
	PerFile int
	// Candidates is how many chunks the sign-bit scan passes to the int8 cosine re-rank
	// (default 1000, at least 20×limit).
	Candidates int
	// MaxFileBytes bounds what Load reads (default 4 GiB).
	MaxFileBytes int64
}

func (o Options) withDefaults() Options {
	if o.PerFile <= 0 {
		o.PerFile = 3
	}
	if o.Candidates <= 0 {
		o.Candidates = 1000
	}
	if o.MaxFileBytes <= 0 {
		o.MaxFileBytes = 4 << 30
	}
	return o
}

// FileMeta is one manifest entry: what the indexer compares to skip unchanged files.
type FileMeta struct {
	Path     string
	Size     int64
	ModTime  time.Time
	Hash     string   // content hash of the whole file
	ChunkIDs []string // in file order
}

type fileEntry struct {
	meta  FileMeta
	slots []uint32
}

// IndexStats describe an index.
type IndexStats struct {
	Files  int
	Chunks int
	Dims   int
	Bytes  int64 // approximate memory held: vectors, chunk records, postings
}

// ErrDims reports a vector whose length differs from the index's dimensions.
var ErrDims = errors.New("embed: vector dimensions differ from the index")

// NewIndex returns an empty index.
func NewIndex(opts Options) *Index {
	ix := &Index{opts: opts.withDefaults()}
	ix.resetLocked()
	return ix
}

func (ix *Index) resetLocked() {
	ix.dims, ix.words = 0, 0
	ix.chunks, ix.alive, ix.hasVec, ix.sign, ix.vecs = nil, nil, nil, nil, i8Pages{}
	ix.files = make(map[string]*fileEntry)
	ix.kw = newBM25()
	ix.dead = 0
}

// Upsert replaces all chunks of path with chunks; vectors is nil (keyword-only) or holds one
// vector per chunk (a nil or zero vector leaves that chunk keyword-only). The first vector
// fixes the index's dimensions; a vector of another length is ErrDims and changes nothing.
func (ix *Index) Upsert(path string, chunks []Chunk, vectors [][]float32) error {
	return ix.UpsertFile(FileMeta{Path: path}, chunks, vectors)
}

// UpsertFile is Upsert with the manifest entry (size, mtime, hash) the indexer read; ChunkIDs
// is filled from chunks.
func (ix *Index) UpsertFile(meta FileMeta, chunks []Chunk, vectors [][]float32) error {
	if vectors != nil && len(vectors) != len(chunks) {
		return fmt.Errorf("embed: upsert %s: %d chunks but %d vectors", meta.Path, len(chunks), len(vectors))
	}
	fp := prepTerms(meta.Path, chunks)
	if err := fp.setVectors(meta.Path, vectors); err != nil {
		return err
	}
	return ix.upsertPrepared(meta, chunks, fp)
}

// filePrep is the per-chunk work of an upsert done before (and outside) the write lock:
// chunk ids, BM25 terms, and the vectors normalised, in int8 and as sign bits.
type filePrep struct {
	ids   []string
	terms []termFreq // of chunk i: terms[ends[i-1]:ends[i]]
	ends  []int
	lens  []uint32
	dims  int       // 0: no vectors
	has   []bool    // by chunk: it has a vector
	i8    []int8    // chunk i: i8[i*dims:(i+1)*dims]
	scale []float32 // chunk i: its int8 scale
	sign  []uint64  // chunk i: sign[i*words:(i+1)*words]
}

var termScratchPool = sync.Pool{New: func() any { return &termScratch{idx: make(map[string]int, 256)} }}

// prepTerms computes chunk ids and BM25 terms of a file's chunks (safe to run in parallel).
func prepTerms(path string, chunks []Chunk) *filePrep {
	fp := &filePrep{ids: make([]string, len(chunks)), ends: make([]int, len(chunks)), lens: make([]uint32, len(chunks))}
	sc := termScratchPool.Get().(*termScratch)
	for i := range chunks {
		c := &chunks[i]
		fp.ids[i] = c.ID
		if c.ID == "" {
			fp.ids[i] = ChunkID(c.Text)
		}
		fp.terms, fp.lens[i] = termCounts(path, c.Text, c.Name, sc, fp.terms)
		fp.ends[i] = len(fp.terms)
	}
	termScratchPool.Put(sc)
	return fp
}

// setVectors normalises and encodes vectors (nil, or one per chunk; a nil or zero vector
// leaves its chunk keyword-only); all must have one length.
func (fp *filePrep) setVectors(path string, vectors [][]float32) error {
	fp.dims, fp.has, fp.i8, fp.scale, fp.sign = 0, nil, nil, nil, nil
	if len(vectors) == 0 {
		return nil
	}
	fp.has = make([]bool, len(vectors))
	var inv []float64
	for i, v := range vectors {
		k := normScale(v)
		if k == 0 {
			inv = append(inv, 0)
			continue
		}
		inv = append(inv, k)
		fp.has[i] = true
		if fp.dims == 0 {
			fp.dims = len(v)
		} else if len(v) != fp.dims {
			return fmt.Errorf("embed: upsert %s: %w: %d and %d", path, ErrDims, fp.dims, len(v))
		}
	}
	if fp.dims == 0 {
		fp.has = nil
		return nil
	}
	words := wordsFor(fp.dims)
	fp.i8 = make([]int8, len(vectors)*fp.dims)
	fp.scale = make([]float32, len(vectors))
	fp.sign = make([]uint64, len(vectors)*words)
	for i, v := range vectors {
		if !fp.has[i] {
			continue
		}
		dst := fp.i8[i*fp.dims : (i+1)*fp.dims]
		fp.scale[i] = quantize(dst, v, inv[i])
		signBitsI8(fp.sign[i*words:(i+1)*words], dst)
	}
	return nil
}

// upsertPrepared replaces path's chunks under the write lock: map and slice insertions only.
func (ix *Index) upsertPrepared(meta FileMeta, chunks []Chunk, fp *filePrep) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	dims := fp.dims
	if dims != 0 && ix.dims != 0 && dims != ix.dims {
		return fmt.Errorf("embed: upsert %s: %w: index has %d, got %d", meta.Path, ErrDims, ix.dims, dims)
	}
	if dims != 0 && ix.dims == 0 {
		ix.dims, ix.words = dims, wordsFor(dims)
		// Earlier keyword-only slots get room for (absent) vectors.
		ix.sign = make([]uint64, len(ix.chunks)*ix.words)
		ix.vecs = i8Pages{dims: dims}
		for range ix.chunks {
			ix.vecs.grow()
		}
	}
	ix.removeLocked(meta.Path)
	e := &fileEntry{meta: meta, slots: make([]uint32, len(chunks))}
	e.meta.ChunkIDs = fp.ids
	start := 0
	for i, c := range chunks {
		c.Path = meta.Path
		c.ID = fp.ids[i]
		c.Text = "" // read back from the file by Indexer.Search
		slot := uint32(len(ix.chunks))
		ix.chunks = append(ix.chunks, c)
		ix.alive = append(ix.alive, true)
		has := fp.has != nil && fp.has[i]
		ix.hasVec = append(ix.hasVec, has)
		if ix.dims > 0 {
			dst := ix.vecs.grow()
			ix.sign = append(ix.sign, make([]uint64, ix.words)...)
			if has {
				copy(dst, fp.i8[i*dims:(i+1)*dims])
				ix.vecs.scale[slot] = fp.scale[i]
				copy(ix.sign[int(slot)*ix.words:], fp.sign[i*ix.words:(i+1)*ix.words])
			}
		}
		ix.kw.add(slot, fp.terms[start:fp.ends[i]], fp.lens[i])
		start = fp.ends[i]
		e.slots[i] = slot
	}
	ix.files[meta.Path] = e
	ix.maybeCompactLocked()
	return nil
}

// Shrink gives back the spare capacity that growing the index left behind (postings,
// slot slices); the indexer calls it after a run.
func (ix *Index) Shrink() {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.kw.shrink()
	ix.chunks = trimCap(ix.chunks)
	ix.alive = trimCap(ix.alive)
	ix.hasVec = trimCap(ix.hasVec)
	ix.sign = trimCap(ix.sign)
	ix.vecs.shrink()
}

// trimCap returns s in an exactly sized array when append left more than 1/16 spare.
func trimCap[S ~[]E, E any](s S) S {
	if cap(s)-len(s) <= len(s)/16 {
		return s
	}
	return slices.Clone(s)
}

// Remove drops every chunk of path; an unknown path is a no-op.
func (ix *Index) Remove(path string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.removeLocked(path)
	ix.maybeCompactLocked()
}

func (ix *Index) removeLocked(path string) {
	e, ok := ix.files[path]
	if !ok {
		return
	}
	for _, s := range e.slots {
		ix.alive[s] = false
		ix.hasVec[s] = false
		ix.chunks[s] = Chunk{} // release the text now
		ix.kw.remove(s)
		ix.dead++
	}
	delete(ix.files, path)
}

// maybeCompactLocked renumbers live slots once dead ones are over a quarter of all.
func (ix *Index) maybeCompactLocked() {
	if ix.dead < 1024 && ix.dead*2 < len(ix.chunks) || ix.dead*4 < len(ix.chunks) {
		return
	}
	ix.compactLocked()
}

func (ix *Index) compactLocked() {
	newSlot := make([]int32, len(ix.chunks))
	n := 0
	for s := range ix.chunks {
		if !ix.alive[s] {
			newSlot[s] = -1
			continue
		}
		newSlot[s] = int32(n)
		if n != s {
			ix.chunks[n] = ix.chunks[s]
			ix.hasVec[n] = ix.hasVec[s]
			if ix.dims > 0 {
				ix.vecs.move(n, s)
				copy(ix.sign[n*ix.words:(n+1)*ix.words], ix.sign[s*ix.words:(s+1)*ix.words])
			}
		}
		ix.alive[n] = true
		n++
	}
	clear(ix.chunks[n:])
	ix.chunks = ix.chunks[:n:n]
	ix.alive = ix.alive[:n:n]
	ix.hasVec = ix.hasVec[:n:n]
	if ix.dims > 0 {
		ix.vecs.truncate(n)
	}
	ix.sign = ix.sign[: n*ix.words : n*ix.words]
	ix.kw.remap(newSlot, n)
	for _, e := range ix.files {
		for i, s := range e.slots {
			e.slots[i] = uint32(newSlot[s])
		}
	}
	ix.dead = 0
}

// File returns the manifest entry of path.
func (ix *Index) File(path string) (FileMeta, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	e, ok := ix.files[path]
	if !ok {
		return FileMeta{}, false
	}
	m := e.meta
	m.ChunkIDs = append([]string(nil), m.ChunkIDs...)
	return m, true
}

// Paths returns every indexed path.
func (ix *Index) Paths() []string {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	out := make([]string, 0, len(ix.files))
	for p := range ix.files {
		out = append(out, p)
	}
	return out
}

// Files returns the manifest: every indexed path with its entry.
func (ix *Index) Files() map[string]FileMeta {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	out := make(map[string]FileMeta, len(ix.files))
	for p, e := range ix.files {
		m := e.meta
		m.ChunkIDs = append([]string(nil), m.ChunkIDs...)
		out[p] = m
	}
	return out
}

// Vector returns the stored (normalised, int8-exact) vector of chunk id in path, so an
// edited file re-embeds only chunks whose text changed.
func (ix *Index) Vector(path, id string) ([]float32, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	e, ok := ix.files[path]
	if !ok {
		return nil, false
	}
	for _, s := range e.slots {
		if ix.chunks[s].ID != id || !ix.hasVec[s] {
			continue
		}
		return ix.vecs.float(int(s)), true
	}
	return nil, false
}

// Stats reports sizes.
func (ix *Index) Stats() IndexStats {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	st := IndexStats{Files: len(ix.files), Chunks: len(ix.chunks) - ix.dead, Dims: ix.dims}
	b := ix.vecs.bytes() + int64(len(ix.sign))*8 + int64(len(ix.chunks))*(112+2)
	for i := range ix.chunks {
		c := &ix.chunks[i]
		b += int64(len(c.ID) + len(c.Name))
	}
	for id, ps := range ix.kw.post {
		b += int64(len(ix.kw.names[id])) + 40 + int64(cap(ps))*8
	}
	b += int64(len(ix.kw.docLen)) * 4
	st.Bytes = b
	return st
}
