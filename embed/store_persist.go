package embed

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// On-disk format of index.bin (little endian, counts and lengths as uvarints):
//
//	magic "MIMIIDX\n", version uint32
//	body: dims; files: n × {path, size, mtime (unix ns), hash, chunks: n × {id, start, end,
//	      offset, length, kind, name, docLen, hasVec byte, when hasVec: scale float32 +
//	      dims × int8}};
//	      terms: n × {term, postings: n × {slot delta, tf}}
//	crc32c(body) uint32
//
// The keyword index is stored (the texts are not: Indexer.Search reads them from the files)
// so a load does no tokenising. Version 1 held texts and float16 vectors, 2 no byte offsets, 3 files that hold
// credentials (4 leaves them out: an index saved before is built again).
// Any mismatch (magic, version, bounds, checksum) is an error and leaves the index empty.

const (
	formatMagic   = "MIMIIDX\n"
	formatVersion = 4
	maxDims       = 1 << 14
	maxStr        = 64 << 20
)

var (
	// ErrVersion reports an index file of another format version: start empty and re-index.
	ErrVersion = errors.New("embed: index file has another format version")
	// ErrCorrupt reports an index file that cannot be read back: start empty and re-index.
	ErrCorrupt = errors.New("embed: index file is corrupt")
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// Save writes the whole index under dir (created if missing) atomically: a temp file in dir,
// synced, then renamed over index.bin, while holding dir's index.lock exclusively (waits until
// ctx ends). Searches continue meanwhile; Upsert/Remove wait for the encoding.
func (ix *Index) Save(ctx context.Context, dir string) (err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("embed: save index: %w", err)
	}
	fl, err := lockDir(ctx, dir, true)
	if err != nil {
		return fmt.Errorf("embed: save index: %w", err)
	}
	defer func() {
		if uerr := fl.Unlock(); uerr != nil && err == nil {
			err = fmt.Errorf("embed: save index: unlock: %w", uerr)
		}
	}()
	tmp, err := os.CreateTemp(dir, "index-*.tmp")
	if err != nil {
		return fmt.Errorf("embed: save index: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err = ix.encode(ctx, bw); err != nil {
		return fmt.Errorf("embed: save index: %w", err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("embed: save index: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("embed: save index: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("embed: save index: %w", err)
	}
	if err = os.Rename(tmp.Name(), filepath.Join(dir, indexFile)); err != nil {
		return fmt.Errorf("embed: save index: %w", err)
	}
	return nil
}

// encoder writes the body and its checksum, in blocks of encodeBlock bytes.
type encoder struct {
	w   io.Writer
	crc hash.Hash32
	out []byte
	err error
}

const encodeBlock = 64 << 10

func (e *encoder) flush() {
	if e.err == nil && len(e.out) > 0 {
		_, e.err = e.w.Write(e.out)
		e.crc.Write(e.out)
	}
	e.out = e.out[:0]
}

func (e *encoder) maybeFlush() {
	if len(e.out) >= encodeBlock {
		e.flush()
	}
}

func (e *encoder) write(p []byte) {
	e.out = append(e.out, p...)
	e.maybeFlush()
}

func (e *encoder) uvarint(v uint64) {
	e.out = binary.AppendUvarint(e.out, v)
	e.maybeFlush()
}

func (e *encoder) varint(v int64) {
	e.out = binary.AppendVarint(e.out, v)
	e.maybeFlush()
}

func (e *encoder) str(s string) {
	e.out = binary.AppendUvarint(e.out, uint64(len(s)))
	e.out = append(e.out, s...)
	e.maybeFlush()
}

func (ix *Index) encode(ctx context.Context, w io.Writer) error {
	hdr := binary.LittleEndian.AppendUint32([]byte(formatMagic), formatVersion)
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	e := &encoder{w: w, crc: crc32.New(crcTable), out: make([]byte, 0, encodeBlock+maxDims+16)}

	ix.mu.RLock()
	defer ix.mu.RUnlock()
	// Files in the order of their first slot: slots stay increasing, so postings stay sorted.
	files := make([]*fileEntry, 0, len(ix.files))
	for _, f := range ix.files {
		files = append(files, f)
	}
	slices.SortFunc(files, func(a, b *fileEntry) int {
		return cmpFirstSlot(a.slots, b.slots)
	})
	newSlot := make([]int32, len(ix.chunks))
	for i := range newSlot {
		newSlot[i] = -1
	}
	e.uvarint(uint64(ix.dims))
	e.uvarint(uint64(len(files)))
	next := int32(0)
	for _, f := range files {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		e.str(f.meta.Path)
		e.varint(f.meta.Size)
		var mt int64 // 0: unknown (a zero time has no UnixNano)
		if !f.meta.ModTime.IsZero() {
			mt = f.meta.ModTime.UnixNano()
		}
		e.varint(mt)
		e.str(f.meta.Hash)
		e.uvarint(uint64(len(f.slots)))
		for _, s := range f.slots {
			newSlot[s] = next
			next++
			c := &ix.chunks[s]
			e.str(c.ID)
			e.uvarint(uint64(c.StartLine))
			e.uvarint(uint64(c.EndLine))
			e.uvarint(uint64(c.Offset))
			e.uvarint(uint64(c.Length))
			e.str(c.Kind)
			e.str(c.Name)
			e.uvarint(uint64(ix.kw.docLen[s]))
			if !ix.hasVec[s] {
				e.write([]byte{0})
				continue
			}
			e.out = append(e.out, 1)
			e.out = binary.LittleEndian.AppendUint32(e.out, math.Float32bits(ix.vecs.scale[s]))
			for _, x := range ix.vecs.at(int(s)) {
				e.out = append(e.out, byte(x))
			}
			e.maybeFlush()
		}
	}
	e.uvarint(uint64(len(ix.kw.post)))
	var live []posting
	for id, ps := range ix.kw.post {
		t := ix.kw.names[id]
		live = live[:0]
		for _, p := range ps {
			if ns := newSlot[p.slot]; ns >= 0 {
				live = append(live, posting{slot: uint32(ns), tf: p.tf})
			}
		}
		slices.SortFunc(live, func(a, b posting) int { return int(a.slot) - int(b.slot) })
		e.str(t)
		e.uvarint(uint64(len(live)))
		prev := uint32(0)
		for i, p := range live {
			d := p.slot - prev
			if i == 0 {
				d = p.slot
			}
			e.uvarint(uint64(d))
			e.uvarint(uint64(p.tf))
			prev = p.slot
		}
	}
	e.flush()
	if e.err != nil {
		return e.err
	}
	_, err := w.Write(binary.LittleEndian.AppendUint32(nil, e.crc.Sum32()))
	return err
}

func cmpFirstSlot(a, b []uint32) int {
	switch {
	case len(a) == 0 && len(b) == 0:
		return 0
	case len(a) == 0:
		return -1
	case len(b) == 0:
		return 1
	}
	return int(int64(a[0]) - int64(b[0]))
}

// Load replaces the index with the one saved under dir, holding dir's index.lock shared while
// it reads (waits until ctx ends). On any error (no index yet: fs.ErrNotExist; ErrVersion;
// ErrCorrupt) the index is left empty, ready to be rebuilt; when ctx ends first it is left as
// it was (a cancelled reload of a read-only index keeps answering). Reads are bounded by the
// file's size and Options.MaxFileBytes.
func (ix *Index) Load(ctx context.Context, dir string) (err error) {
	defer func() {
		if err != nil && ctx.Err() == nil {
			ix.mu.Lock()
			ix.resetLocked()
			ix.mu.Unlock()
		}
	}()
	if _, err := os.Stat(filepath.Join(dir, indexFile)); err != nil {
		return fmt.Errorf("embed: load index: %w", err)
	}
	fl, err := lockDir(ctx, dir, false)
	if err != nil {
		return fmt.Errorf("embed: load index: %w", err)
	}
	defer func() { _ = fl.Unlock() }()
	f, err := os.Open(filepath.Join(dir, indexFile))
	if err != nil {
		return fmt.Errorf("embed: load index: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("embed: load index: %w", err)
	}
	if st.Size() > ix.opts.MaxFileBytes {
		return fmt.Errorf("embed: load index: %w: %d bytes is over the %d limit", ErrCorrupt, st.Size(), ix.opts.MaxFileBytes)
	}
	return ix.decodeFrom(ctx, f, st.Size())
}

// decodeFrom reads an index of size bytes from r and swaps it in.
func (ix *Index) decodeFrom(ctx context.Context, r io.Reader, size int64) error {
	hdrLen := int64(len(formatMagic) + 4)
	if size < hdrLen+4 {
		return fmt.Errorf("embed: load index: %w: %d bytes", ErrCorrupt, size)
	}
	hdr := make([]byte, hdrLen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return fmt.Errorf("embed: load index: %w: %w", ErrCorrupt, err)
	}
	if string(hdr[:len(formatMagic)]) != formatMagic {
		return fmt.Errorf("embed: load index: %w: bad magic", ErrCorrupt)
	}
	if v := binary.LittleEndian.Uint32(hdr[len(formatMagic):]); v != formatVersion {
		return fmt.Errorf("embed: load index: %w: %d, want %d", ErrVersion, v, formatVersion)
	}
	bodyLen := size - hdrLen - 4
	crc := crc32.New(crcTable)
	body := io.TeeReader(io.LimitReader(r, bodyLen), crc)
	d := &decoder{r: bufio.NewReaderSize(body, 1<<20), left: bodyLen, size: bodyLen}
	nx, err := d.index(ctx, ix.opts)
	if err != nil {
		return fmt.Errorf("embed: load index: %w", err)
	}
	if d.left != 0 {
		return fmt.Errorf("embed: load index: %w: %d trailing bytes", ErrCorrupt, d.left)
	}
	var sum [4]byte
	if _, err := io.ReadFull(r, sum[:]); err != nil {
		return fmt.Errorf("embed: load index: %w: %w", ErrCorrupt, err)
	}
	if binary.LittleEndian.Uint32(sum[:]) != crc.Sum32() {
		return fmt.Errorf("embed: load index: %w: checksum", ErrCorrupt)
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.dims, ix.words = nx.dims, nx.words
	ix.chunks, ix.alive, ix.hasVec, ix.sign, ix.vecs = nx.chunks, nx.alive, nx.hasVec, nx.sign, nx.vecs
	ix.files, ix.kw, ix.dead = nx.files, nx.kw, 0
	return nil
}

// decoder reads the body with every length checked against the bytes left.
type decoder struct {
	r    *bufio.Reader
	left int64
	size int64 // of the body
	buf  []byte
}

func (d *decoder) corrupt(what string) error { return fmt.Errorf("%w: %s", ErrCorrupt, what) }

func (d *decoder) full(n int) ([]byte, error) {
	if int64(n) > d.left {
		return nil, d.corrupt("length past the end")
	}
	if cap(d.buf) < n {
		d.buf = make([]byte, n)
	}
	b := d.buf[:n]
	if _, err := io.ReadFull(d.r, b); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	d.left -= int64(n)
	return b, nil
}

func (d *decoder) uvarint() (uint64, error) {
	var v uint64
	for shift := uint(0); shift < 64; shift += 7 {
		if d.left <= 0 {
			return 0, d.corrupt("varint past the end")
		}
		b, err := d.r.ReadByte()
		if err != nil {
			return 0, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		d.left--
		v |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return v, nil
		}
	}
	return 0, d.corrupt("varint overflow")
}

func (d *decoder) varint() (int64, error) {
	u, err := d.uvarint()
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x, err
}

// count reads a count of items each at least minBytes long.
func (d *decoder) count(minBytes int64) (int, error) {
	n, err := d.uvarint()
	if err != nil {
		return 0, err
	}
	if n > uint64(d.left/minBytes) {
		return 0, d.corrupt("count past the end")
	}
	return int(n), nil
}

func (d *decoder) str() (string, error) {
	n, err := d.uvarint()
	if err != nil {
		return "", err
	}
	if n > maxStr || int64(n) > d.left {
		return "", d.corrupt("string past the end")
	}
	b, err := d.full(int(n))
	return string(b), err
}

func (d *decoder) index(ctx context.Context, opts Options) (*Index, error) {
	nx := &Index{opts: opts, files: make(map[string]*fileEntry), kw: newBM25()}
	dims, err := d.uvarint()
	if err != nil {
		return nil, err
	}
	if dims > maxDims {
		return nil, d.corrupt("dimensions")
	}
	nx.dims, nx.words = int(dims), wordsFor(int(dims))
	nx.vecs = i8Pages{dims: nx.dims}
	nFiles, err := d.count(5)
	if err != nil {
		return nil, err
	}
	for range nFiles {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err := d.file(nx); err != nil {
			return nil, err
		}
	}
	if err := d.terms(nx); err != nil {
		return nil, err
	}
	return nx, nil
}

func (d *decoder) file(nx *Index) error {
	var m FileMeta
	var err error
	if m.Path, err = d.str(); err != nil {
		return err
	}
	if _, dup := nx.files[m.Path]; dup || m.Path == "" {
		return d.corrupt("file path")
	}
	if m.Size, err = d.varint(); err != nil {
		return err
	}
	mt, err := d.varint()
	if err != nil {
		return err
	}
	if mt != 0 {
		m.ModTime = time.Unix(0, mt)
	}
	if m.Hash, err = d.str(); err != nil {
		return err
	}
	n, err := d.count(9)
	if err != nil {
		return err
	}
	e := &fileEntry{meta: m}
	for range n {
		slot, err := d.chunk(nx, m.Path)
		if err != nil {
			return err
		}
		e.slots = append(e.slots, slot)
		e.meta.ChunkIDs = append(e.meta.ChunkIDs, nx.chunks[slot].ID)
	}
	nx.files[m.Path] = e
	return nil
}

func (d *decoder) chunk(nx *Index, path string) (uint32, error) {
	c := Chunk{Path: path}
	var err error
	var u [3]uint64
	if c.ID, err = d.str(); err != nil {
		return 0, err
	}
	for i := range 2 {
		if u[i], err = d.uvarint(); err != nil {
			return 0, err
		}
	}
	if u[0] > u[1] || u[1] > 1<<31 {
		return 0, d.corrupt("chunk lines")
	}
	c.StartLine, c.EndLine = int(u[0]), int(u[1])
	var ol [2]uint64
	for i := range ol {
		if ol[i], err = d.uvarint(); err != nil {
			return 0, err
		}
	}
	if ol[0] > 1<<40 || ol[1] > 1<<31 {
		return 0, d.corrupt("chunk bytes")
	}
	c.Offset, c.Length = int(ol[0]), int(ol[1])
	if c.Kind, err = d.str(); err != nil {
		return 0, err
	}
	if c.Name, err = d.str(); err != nil {
		return 0, err
	}
	if u[2], err = d.uvarint(); err != nil {
		return 0, err
	}
	if u[2] > 1<<31 {
		return 0, d.corrupt("chunk length")
	}
	flag, err := d.full(1)
	if err != nil {
		return 0, err
	}
	slot := uint32(len(nx.chunks))
	nx.chunks = append(nx.chunks, c)
	nx.alive = append(nx.alive, true)
	nx.hasVec = append(nx.hasVec, flag[0] == 1)
	nx.kw.docLen = append(nx.kw.docLen, uint32(u[2]))
	nx.kw.totalLen += u[2]
	nx.kw.live++
	if nx.dims == 0 {
		if flag[0] != 0 {
			return 0, d.corrupt("vector without dimensions")
		}
		return slot, nil
	}
	// Keyword-only slots still take dims of room: bound that against the file's size so a
	// crafted file cannot make a tiny input allocate gigabytes.
	if int64(nx.vecs.n+1)*int64(nx.dims) > 16*d.size+64<<20 {
		return 0, d.corrupt("vector room out of proportion to the file")
	}
	v := nx.vecs.grow()
	nx.sign = append(nx.sign, make([]uint64, nx.words)...)
	switch flag[0] {
	case 0:
	case 1:
		b, err := d.full(4 + nx.dims)
		if err != nil {
			return 0, err
		}
		k := math.Float32frombits(binary.LittleEndian.Uint32(b))
		if !(k > 0) || math.IsInf(float64(k), 0) {
			return 0, d.corrupt("vector scale")
		}
		nx.vecs.scale[slot] = k
		for i := range v {
			v[i] = int8(b[4+i])
		}
		signBitsI8(nx.sign[int(slot)*nx.words:int(slot+1)*nx.words], v)
	default:
		return 0, d.corrupt("vector flag")
	}
	return slot, nil
}

func (d *decoder) terms(nx *Index) error {
	n, err := d.count(2)
	if err != nil {
		return err
	}
	slots := uint64(len(nx.chunks))
	for range n {
		t, err := d.str()
		if err != nil {
			return err
		}
		if _, dup := nx.kw.ids[t]; dup {
			return d.corrupt("duplicate term")
		}
		np, err := d.count(2)
		if err != nil {
			return err
		}
		ps := make([]posting, 0, np)
		var slot uint64
		for i := range np {
			delta, err := d.uvarint()
			if err != nil {
				return err
			}
			tf, err := d.uvarint()
			if err != nil {
				return err
			}
			if i > 0 && delta == 0 || delta >= slots || tf == 0 || tf > 1<<31 {
				return d.corrupt("posting")
			}
			slot += delta
			if slot >= slots {
				return d.corrupt("posting slot")
			}
			ps = append(ps, posting{slot: uint32(slot), tf: uint32(tf)})
		}
		nx.kw.ids[t] = uint32(len(nx.kw.names))
		nx.kw.names = append(nx.kw.names, t)
		nx.kw.post = append(nx.kw.post, ps)
	}
	return nil
}
