package embed

import (
	"context"
	"os"
	"path"
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
	gone := map[string]bool{}     // indexed files to remove
	goneDirs := map[string]bool{} // removed paths that may have been directories
	seen := map[string]bool{}
	for _, p := range paths {
		rel, ok := x.walker.Rel(p)
		if !ok || rel == "." || seen[rel] {
			continue
		}
		seen[rel] = true
		if x.rulesChanged(rel) {
			return x.runLocked(ctx, nil)
		}
		_, indexed := x.ix.File(rel)
		fi, err := os.Lstat(p)
		switch {
		case err != nil:
			if indexed {
				gone[rel] = true
			} else if !x.walker.Ignored(rel, true) {
				goneDirs[rel] = true
			}
		case fi.IsDir():
			if !x.walker.Ignored(rel, true) { // a new folder (build output, .git/objects/…: ignored)
				return x.runLocked(ctx, nil)
			}
		default:
			if f, ok := x.walker.Accept(rel); ok {
				files = append(files, f)
			} else if indexed { // now ignored, a secret, too big, binary, or out of reach
				gone[rel] = true
			}
		}
	}
	st := RunStats{Files: len(files)}
	if len(files) > 0 {
		if err := x.pipeline(ctx, files, &st, func(int, int) {}); err != nil {
			return st, err
		}
	}
	if len(goneDirs) > 0 {
		for _, p := range x.ix.Paths() {
			for d := path.Dir(p); d != "."; d = path.Dir(d) {
				if goneDirs[d] {
					gone[p] = true
					break
				}
			}
		}
	}
	for p := range gone {
		x.ix.Remove(p)
		st.Removed++
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

// rulesChanged reports whether a change to rel can include or exclude any file: an ignore
// file in a folder that is itself indexed, or git's own exclude file.
func (x *Indexer) rulesChanged(rel string) bool {
	if rel == ".git/info/exclude" {
		return true
	}
	b, dir := path.Base(rel), path.Dir(rel)
	return (b == ".gitignore" || b == ".mimiignore") && (dir == "." || !x.walker.Ignored(dir, true))
}
