package embed

import "path/filepath"

// staleRoom is how many more hits Indexer.Search asks the index for than it returns, so hits
// left out as stale (their file changed since it was indexed) seldom shorten the answer.
func staleRoom(limit int) int { return limit/2 + 2 }

// withTexts fills in the text of each hit from its file (the index keeps none) and returns
// the first limit hits that still match: a hit whose lines no longer hash to its chunk id
// (the file was edited, truncated, removed or replaced since it was indexed) is left out, so
// a search never returns text that was not indexed; the watcher re-indexes such files. Each
// file is read once per search, bounded by the size limit of the walk.
func (x *Indexer) withTexts(hits []Hit, limit int) []Hit {
	files := make(map[string]*chunkLines, limit)
	out := hits[:0]
	stale := 0
	for _, h := range hits {
		if len(out) == limit {
			break
		}
		li, seen := files[h.Chunk.Path]
		if !seen {
			abs := filepath.Join(x.walker.Root(), filepath.FromSlash(h.Chunk.Path))
			if data, err := readBounded(abs, x.maxFileSize()); err == nil {
				li = newChunkLines(string(data), defaultChunkLimits())
			}
			files[h.Chunk.Path] = li
		}
		if li == nil || h.Chunk.StartLine > h.Chunk.EndLine || h.Chunk.EndLine >= li.n() {
			stale++
			continue
		}
		t := li.slice(h.Chunk.StartLine, h.Chunk.EndLine)
		if ChunkID(t) != h.Chunk.ID {
			stale++
			continue
		}
		h.Chunk.Text = t
		out = append(out, h)
	}
	if stale > 0 {
		x.log.Debug("search: hits whose files changed since indexing left out", "n", stale)
	}
	return out
}
