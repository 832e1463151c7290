// Package embed indexes a workspace for retrieval: it walks the files (gitignore rules, the
// secret-file denylist, size and binary limits), chunks them along code structure, embeds the
// chunks through the model scheduler (cached by content hash), and keeps a hybrid index
// (vectors + BM25 over identifiers) that answers searches in milliseconds. It sits below lsp
// and above model/cache; completion asks it through its own small Retriever interface.
package embed

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// File is one file the walker accepted.
type File struct {
	Path    string    // slash-separated, relative to the workspace root
	Abs     string    // absolute path on disk
	Size    int64     // bytes
	ModTime time.Time // for the manifest: an unchanged size+mtime is not re-read
}

// Chunk is one piece of a file: a function, method, type, class, or a window of lines.
type Chunk struct {
	ID        string // content hash (ChunkID): an edit re-embeds only chunks whose text changed
	Path      string // slash-separated, workspace-relative
	StartLine int    // 0-based, inclusive
	EndLine   int    // 0-based, inclusive
	Offset    int    // byte offset of the chunk's first line in the file
	Length    int    // bytes of Text (the index keeps these, not the text)
	Kind      string // "func", "method", "type", "class", "lines", …
	Name      string // the declared name when there is one ("" for line windows)
	Text      string
}

// ChunkID is the content hash of a chunk's text (its path is not part of it: a moved function
// keeps its embedding).
func ChunkID(text string) string {
	h := sha256.Sum256([]byte(text))
	return hex.EncodeToString(h[:16])
}

// Hit is one search result.
type Hit struct {
	Chunk Chunk
	Score float64 // fused score: higher is better; comparable within one search only
}
