package embed

import (
	"context"
	"os"
	"path"
	"strings"
	"time"
)

// Update brings the named paths up to date without walking the whole tree: for didSave and
// watched-file events, where a full Run would stat every file of a large repository. paths are
// absolute (outside the root: ignored) and may name files that were created, changed or
// deleted, or deleted directories (every indexed file under one leaves). A path that is an
// existing directory (created, or moved in) or an ignore file (.gitignore, .mimiignore: its
// change can include or exclude anything) makes it a full Run, as does a read-only indexer
// (which reloads). A file the walk rules now refuse (ignored, a secret, too big, binary) leaves
// the index. The index is saved when it changed.
func (x *Indexer) Update(ctx context.Context, paths []string) (RunStats, error) {
	if err := x.lock(ctx); err != nil {
		return RunStats{}, err
	}
	defer x.unlock()
	if !x.writable() {
		return x.runLocked(ctx, nil)
	}
	start := time.Now()
	var files []File
	var gone []string
	seen := map[string]bool{}
	for _, p := range paths {
		rel, ok := x.walker.Rel(p)
		if !ok || rel == "." || seen[rel] {
			continue
		}
		seen[rel] = true
		if b := path.Base(rel); b == ".gitignore" || b == ".mimiignore" {
			return x.runLocked(ctx, nil)
		}
		fi, err := os.Lstat(p)
		switch {
		case err != nil:
			gone = append(gone, rel)
		case fi.IsDir():
			return x.runLocked(ctx, nil)
		default:
			if f, ok := x.walker.Accept(rel); ok {
				files = append(files, f)
			} else {
				gone = append(gone, rel)
			}
		}
	}
	st := RunStats{Files: len(files)}
	if len(files) > 0 {
		if err := x.pipeline(ctx, files, &st, func(int, int) {}); err != nil {
			return st, err
		}
	}
	if len(gone) > 0 {
		for p := range x.ix.Files() {
			for _, g := range gone {
				if p == g || strings.HasPrefix(p, g+"/") {
					x.ix.Remove(p)
					st.Removed++
					break
				}
			}
		}
	}
	if st.Changed() {
		if err := x.ix.Save(ctx, x.cfg.Dir); err != nil {
			return st, err
		}
	}
	st.Chunks, st.Duration = x.ix.Stats().Chunks, time.Since(start)
	if st.Changed() {
		x.log.Debug("index updated", "root", x.cfg.Root, "paths", len(paths), "indexed", st.Indexed,
			"removed", st.Removed, "embedded", st.Embedded, "ms", st.Duration.Milliseconds())
	}
	return st, nil
}
