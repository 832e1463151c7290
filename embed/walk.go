package embed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"

	"github.com/mimi-lsp/mimi-lsp/internal/secretfiles"
)

// DefaultMaxFileSize is the size limit when WalkOptions.MaxFileSize is 0: larger files are
// rarely hand-written code and would swamp the index.
const DefaultMaxFileSize = 1 << 20

// sniffSize is how much of a file the walker reads to tell text from binary, generated or
// minified content.
const sniffSize = 8 << 10

// SecretMatcher reports whether a path names a file whose contents must never be read
// (absolute or root-relative, "/"-separated; a trailing "/" marks a directory).
// *secretfiles.Matcher satisfies it.
type SecretMatcher interface {
	// MatchUncached reports whether path is a secret file, without remembering the verdict
	// (a walk visits each path once; secretfiles.Matcher remembers only the open files').
	MatchUncached(path string) bool
}

// WalkOptions tune a walk. The zero value walks with the built-in rules.
type WalkOptions struct {
	// Ignore holds extra patterns in .gitignore syntax, relative to the root (e.g. from the
	// user's configuration). They take precedence over every ignore file; "!" re-includes.
	Ignore []string
	// Secrets denies files by name before they are opened. nil means the built-in denylist
	// (secretfiles.New(nil)): there is no way to walk without one.
	Secrets SecretMatcher
	// MaxFileSize skips larger files; 0 means DefaultMaxFileSize.
	MaxFileSize int64
	// Workers bounds how many files are sniffed at once; 0 means GOMAXPROCS (at most 8).
	Workers int
}

// Walker decides which files of one workspace root are indexed. Precedence, highest first:
//
//  1. hard rules that nothing overrides: VCS directories (.git, .hg, …), secret files (by
//     name, never opened), symlinks leading outside the root, non-regular files;
//  2. WalkOptions.Ignore;
//  3. .mimiignore files (gitignore syntax; deeper files win over shallower ones);
//  4. built-in skips: node_modules, vendor and similar dependency or cache directories,
//     lock files, generated names (*.pb.go, *_generated.*), minified names (*.min.js),
//     binary extensions — "!vendor/" in a .mimiignore brings them back;
//  5. .gitignore files (nested, with negations) and .git/info/exclude;
//  6. content, for files that survive the rules above (the first 8 KiB only): empty, over
//     the size limit, NUL bytes or invalid UTF-8 (binary), a "Code generated … DO NOT EDIT."
//     header, or an average line longer than 300 bytes (minified). A file re-included by
//     name in layer 2 or 3 skips the generated and minified checks (never the others).
//
// As in git, a file inside an excluded directory cannot be re-included. Symlinked files whose
// target is a regular file inside the root (and not itself excluded or secret) are accepted
// under the link's path; symlinked directories are never followed (no loops, no duplicates:
// a target inside the root is walked where it lives).
//
// A Walker caches the ignore files it has read; call InvalidateIgnores after one changes.
// It is safe for concurrent use.
type Walker struct {
	root     string // absolute, symlinks resolved
	given    string // absolute as given (editors may report paths through a symlinked root)
	secrets  SecretMatcher
	extra    []gitignore.Pattern
	maxSize  int64
	workers  int
	openFile func(rel string) (*os.File, error) // openBeneath; tests record what is opened

	mu    sync.Mutex
	rules map[string]walkDirRules // by root-relative directory ("" is the root)
}

// walkDirRules are the patterns one directory's ignore files add.
type walkDirRules struct {
	git  []gitignore.Pattern // .gitignore (at the root also .git/info/exclude, first)
	mimi []gitignore.Pattern // .mimiignore
}

// NewWalker prepares a walk of root, which must be a directory.
func NewWalker(root string, opts WalkOptions) (*Walker, error) {
	given, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("workspace root %q: %w", root, err)
	}
	real, err := filepath.EvalSymlinks(given)
	if err != nil {
		return nil, fmt.Errorf("workspace root %q: %w", root, err)
	}
	st, err := os.Stat(real)
	if err != nil {
		return nil, fmt.Errorf("workspace root %q: %w", root, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("workspace root %q is not a directory", root)
	}
	w := &Walker{
		root: real, given: given, secrets: opts.Secrets, maxSize: opts.MaxFileSize,
		workers: opts.Workers, rules: map[string]walkDirRules{},
	}
	w.openFile = w.openBeneath
	if w.secrets == nil {
		m, err := secretfiles.New(nil)
		if err != nil {
			return nil, fmt.Errorf("built-in secret denylist: %w", err)
		}
		w.secrets = m
	}
	if w.maxSize <= 0 {
		w.maxSize = DefaultMaxFileSize
	}
	if w.workers <= 0 {
		w.workers = min(runtime.GOMAXPROCS(0), 8)
	}
	w.extra = parseIgnoreLines(strings.Join(opts.Ignore, "\n"), nil)
	return w, nil
}

// Walk lists the files of root that are worth indexing, sorted by Path.
func Walk(ctx context.Context, root string, opts WalkOptions) ([]File, error) {
	w, err := NewWalker(root, opts)
	if err != nil {
		return nil, err
	}
	return w.Walk(ctx)
}

// Root is the walked directory: absolute, symlinks resolved.
func (w *Walker) Root() string { return w.root }

// Rel turns an absolute path under the root (through the resolved root or the one given to
// NewWalker) into the root-relative, "/"-separated form Accept and File.Path use.
func (w *Walker) Rel(abs string) (string, bool) {
	for _, r := range []string{w.root, w.given} {
		if rel, err := filepath.Rel(r, abs); err == nil {
			if rel, ok := cleanRel(rel); ok {
				return rel, true
			}
		}
	}
	return "", false
}

// InvalidateIgnores forgets the ignore files read so far (call it when a .gitignore or
// .mimiignore changes); they are read again when next needed.
func (w *Walker) InvalidateIgnores() {
	w.mu.Lock()
	w.rules = map[string]walkDirRules{}
	w.mu.Unlock()
}

// walkCandidate is a file that passed every rule by name and waits for its content check.
type walkCandidate struct {
	rel    string
	real   string // the file itself: rel, or the checked target of a link at rel
	forced bool   // re-included by WalkOptions.Ignore or a .mimiignore
}

// Walk lists the files worth indexing, sorted by Path. Unreadable directories and files are
// skipped; only an unreadable root or a cancelled ctx is an error.
func (w *Walker) Walk(ctx context.Context) ([]File, error) {
	var cands []walkCandidate
	if err := w.walkDir(ctx, "", nil, nil, nil, &cands); err != nil {
		return nil, err
	}
	files := make([]File, len(cands))
	ok := make([]bool, len(cands))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(w.workers, len(cands)) {
		wg.Go(func() {
			buf := make([]byte, sniffSize)
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(cands) {
					return
				}
				files[i], ok[i] = w.inspect(cands[i].rel, cands[i].real, cands[i].forced, buf)
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("walk %s: %w", w.root, err)
	}
	out := files[:0]
	for i, f := range files {
		if ok[i] {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return slices.Clip(out), nil
}

func (w *Walker) walkDir(ctx context.Context, rel string, elems []string, git, mimi []gitignore.Pattern, out *[]walkCandidate) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("walk %s: %w", w.root, err)
	}
	entries, err := os.ReadDir(w.abs(rel))
	if err != nil {
		if rel == "" {
			return fmt.Errorf("walk %s: %w", w.root, err)
		}
		return nil // like git: an unreadable directory is left out
	}
	r := w.readDirRules(rel, elems, entries)
	git, mimi = concatPatterns(git, r.git), concatPatterns(mimi, r.mimi)
	for _, e := range entries {
		name := e.Name()
		childRel := name
		if rel != "" {
			childRel = rel + "/" + name
		}
		childElems := append(elems[:len(elems):len(elems)], name)
		switch t := e.Type(); {
		case t.IsDir():
			if skip, _ := w.excluded(childRel, childElems, true, git, mimi); !skip {
				if err := w.walkDir(ctx, childRel, childElems, git, mimi, out); err != nil {
					return err
				}
			}
		case t.IsRegular(), t&fs.ModeSymlink != 0:
			skip, forced := w.excluded(childRel, childElems, false, git, mimi)
			if skip {
				break
			}
			real, ok := childRel, true
			if !t.IsRegular() {
				real, _, ok = w.linkInside(childRel)
			}
			if ok {
				*out = append(*out, walkCandidate{rel: childRel, real: real, forced: forced})
			}
		}
	}
	return nil
}

// Ignored reports whether relPath (root-relative) is excluded by name: the hard rules, the
// ignore files of every directory on its way, the built-in skips. It reads no file contents
// (only ignore files). A path outside the root is ignored.
func (w *Walker) Ignored(relPath string, isDir bool) bool {
	rel, ok := cleanRel(relPath)
	if !ok {
		return true
	}
	skip, _ := w.check(rel, isDir)
	return skip
}

// Accept applies every rule of a walk to one file (for didSave and file-watch events) and
// returns its File when it would be indexed. relPath is root-relative (see Rel).
func (w *Walker) Accept(relPath string) (File, bool) {
	rel, ok := cleanRel(relPath)
	if !ok {
		return File{}, false
	}
	real, _, forced, ok := w.reachable(rel)
	if !ok {
		return File{}, false
	}
	return w.inspect(rel, real, forced, make([]byte, sniffSize))
}

// reachable reports whether rel (clean) is a file a walk would reach: accepted by name, every
// directory on its way a real directory (a walk never follows a symlinked directory, so a file
// under one may be outside the root), and itself a regular file or a symlink to an accepted
// regular file inside the root. forced is as check's; real is the root-relative path of the
// file itself (rel, or a link's target), and info what the check saw there.
func (w *Walker) reachable(rel string) (real string, info fs.FileInfo, forced, ok bool) {
	skip, forced := w.check(rel, false)
	if skip {
		return "", nil, false, false
	}
	for dir := path.Dir(rel); dir != "." && dir != "/"; dir = path.Dir(dir) {
		if fi, err := os.Lstat(w.abs(dir)); err != nil || !fi.IsDir() { // Lstat: a symlink is not a dir
			return "", nil, false, false
		}
	}
	fi, err := os.Lstat(w.abs(rel))
	switch {
	case err != nil:
		return "", nil, false, false
	case fi.Mode().IsRegular():
		return rel, fi, forced, true
	case fi.Mode()&fs.ModeSymlink != 0:
		if target, tfi, ok := w.linkInside(rel); ok {
			return target, tfi, forced, true
		}
	}
	return "", nil, false, false
}

// Open opens an indexed file again (to index it, to read a hit's text back) with every rule of
// a walk applied to what is there now: a path that became a symlinked directory, a link out of
// the root, a secret, a FIFO or a device is refused, never opened (or, raced, never read).
// What the checks saw is what is read: the file itself (a link's checked target, not the link)
// is opened through an os.Root of the workspace (no path out of it) with O_NONBLOCK (a FIFO
// swapped in does not block), and it must be the very file the checks saw (os.SameFile): a file
// swapped after them, for a link to a secret in the workspace say, is refused.
func (w *Walker) Open(relPath string) (*os.File, error) {
	rel, ok := cleanRel(relPath)
	if !ok {
		return nil, fmt.Errorf("embed: %q is not under the root", relPath)
	}
	real, checked, _, ok := w.reachable(rel)
	if !ok {
		return nil, fmt.Errorf("embed: %s is no longer a file the index accepts", rel)
	}
	f, err := w.openFile(real)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("embed: %s is not a regular file", rel)
	}
	if !os.SameFile(checked, st) {
		f.Close()
		return nil, fmt.Errorf("embed: %s changed while it was being opened", rel)
	}
	return f, nil
}

// openBeneath opens root-relative rel for reading inside w.root only (os.Root follows a
// symlink only while it stays inside), not blocking on a FIFO or device (regular files ignore
// O_NONBLOCK); callers check the file is the one they checked.
func (w *Walker) openBeneath(rel string) (*os.File, error) {
	root, err := os.OpenRoot(w.root)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return root.OpenFile(filepath.FromSlash(rel), os.O_RDONLY|syscall.O_NONBLOCK, 0)
}

// check walks the rules down rel's directories: an excluded directory excludes what is in it.
func (w *Walker) check(rel string, isDir bool) (skip, forced bool) {
	elems := strings.Split(rel, "/")
	var git, mimi []gitignore.Pattern
	for i := range elems {
		r := w.dirRules(strings.Join(elems[:i], "/"), elems[:i])
		git, mimi = concatPatterns(git, r.git), concatPatterns(mimi, r.mimi)
		last := i == len(elems)-1
		skip, forced = w.excluded(strings.Join(elems[:i+1], "/"), elems[:i+1], !last || isDir, git, mimi)
		if skip {
			return true, false
		}
	}
	return false, forced
}

// excluded applies the rules by name (layers 1–5 of Walker) to one path whose parent
// directories have passed already.
func (w *Walker) excluded(rel string, elems []string, isDir bool, git, mimi []gitignore.Pattern) (skip, forced bool) {
	name := elems[len(elems)-1]
	if isDir {
		if hardSkipDir(name) || w.secrets.MatchUncached(rel+"/") {
			return true, false
		}
	} else if w.secrets.MatchUncached(rel) || w.secrets.MatchUncached(filepath.Join(w.root, filepath.FromSlash(rel))) {
		return true, false
	}
	for _, layer := range [][]gitignore.Pattern{w.extra, mimi} {
		switch lastMatch(layer, elems, isDir) {
		case gitignore.Exclude:
			return true, false
		case gitignore.Include:
			return false, true
		}
	}
	if isDir && builtinSkipDir(name) || !isDir && builtinSkipFile(name) {
		return true, false
	}
	return lastMatch(git, elems, isDir) == gitignore.Exclude, false
}

// lastMatch is gitignore precedence: the last pattern that matches decides.
func lastMatch(ps []gitignore.Pattern, elems []string, isDir bool) gitignore.MatchResult {
	for i := len(ps) - 1; i >= 0; i-- {
		if r := ps[i].Match(elems, isDir); r != gitignore.NoMatch {
			return r
		}
	}
	return gitignore.NoMatch
}

// linkInside reports whether the symlink at rel leads to a regular file inside the root that
// the rules would accept by name (a link must not smuggle in a secret or an ignored file), and
// that file's root-relative path and what was seen there.
func (w *Walker) linkInside(rel string) (string, fs.FileInfo, bool) {
	target, err := filepath.EvalSymlinks(w.abs(rel)) // fails on loops and dangling links
	if err != nil {
		return "", nil, false
	}
	trel, err := filepath.Rel(w.root, target)
	if err != nil {
		return "", nil, false
	}
	trel, ok := cleanRel(trel)
	if !ok {
		return "", nil, false
	}
	st, err := os.Lstat(target) // EvalSymlinks resolved every link: this is the file
	if err != nil || !st.Mode().IsRegular() {
		return "", nil, false
	}
	if skip, _ := w.check(trel, false); skip {
		return "", nil, false
	}
	return trel, st, true
}

// inspect checks one file's metadata and first bytes (buf is scratch of sniffSize): the file
// at real, which the walk found at rel (a link's checked target, or rel itself).
func (w *Walker) inspect(rel, real string, forced bool, buf []byte) (File, bool) {
	f, err := w.openFile(real)
	if err != nil {
		return File{}, false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() == 0 || st.Size() > w.maxSize {
		return File{}, false
	}
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return File{}, false
	}
	sample := buf[:n]
	if !textual(sample, int64(n) < st.Size()) {
		return File{}, false
	}
	if !forced && (generatedContent(rel, sample) || minifiedContent(sample)) {
		return File{}, false
	}
	return File{Path: rel, Abs: w.abs(rel), Size: st.Size(), ModTime: st.ModTime()}, true
}

func (w *Walker) abs(rel string) string {
	if rel == "" {
		return w.root
	}
	return filepath.Join(w.root, filepath.FromSlash(rel))
}

// cleanRel normalises a root-relative path; false when it is empty, absolute or escapes.
func cleanRel(p string) (string, bool) {
	p = filepath.ToSlash(p)
	if p == "" || path.IsAbs(p) || filepath.IsAbs(p) {
		return "", false
	}
	p = path.Clean(p)
	if p == "." || p == ".." || strings.HasPrefix(p, "../") {
		return "", false
	}
	return p, true
}

// concatPatterns appends without ever writing into a's backing array (siblings share it).
func concatPatterns(a, b []gitignore.Pattern) []gitignore.Pattern {
	if len(b) == 0 {
		return a
	}
	return append(a[:len(a):len(a)], b...)
}
