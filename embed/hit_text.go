package embed

import (
	"context"
	"io"
)

// staleRoom is how many more hits Indexer.Search asks the index for than it returns, so hits
// left out as stale (their file changed since it was indexed) seldom shorten the answer.
func staleRoom(limit int) int { return limit/2 + 2 }

// withTexts fills in the text of each hit from its file (the index keeps none: it reads the
// chunk's bytes at its offset) and returns the first limit hits that still match: a hit whose
// bytes no longer hash to its chunk id (the file was edited, truncated, removed or replaced
// since it was indexed) is left out, so a search never returns text that was not indexed; the
// file is re-indexed when the editor reports the change. Files are opened through the walk's
// rules (Walker.Open), one at a time, and only a chunk's bytes are held.
func (x *Indexer) withTexts(ctx context.Context, hits []Hit, limit int) []Hit {
	out := hits[:0]
	stale := 0
	for _, h := range hits {
		if len(out) == limit || ctx.Err() != nil {
			break
		}
		if t, ok := x.chunkText(h.Chunk); ok {
			h.Chunk.Text = t
			out = append(out, h)
		} else {
			stale++
		}
	}
	if stale > 0 {
		x.log.Debug("search: hits whose files changed since indexing left out", "n", stale)
	}
	return out
}

// chunkText reads c's bytes back from its file; false when they are gone or changed.
func (x *Indexer) chunkText(c Chunk) (string, bool) {
	if c.Length <= 0 || int64(c.Length) > x.maxFileSize() || c.Offset < 0 {
		return "", false
	}
	f, err := x.walker.Open(c.Path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	buf := make([]byte, c.Length)
	if _, err := f.ReadAt(buf, int64(c.Offset)); err != nil && err != io.EOF {
		return "", false
	}
	t := string(buf)
	return t, ChunkID(t) == c.ID
}
