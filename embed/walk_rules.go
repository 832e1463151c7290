package embed

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
)

const (
	gitignoreName   = ".gitignore"
	mimiignoreName  = ".mimiignore"
	maxIgnoreFile   = 1 << 20 // a larger ignore file is read up to here
	minifiedLineAvg = 300     // bytes per line on average above which a file is minified
	minifiedMinSize = 1 << 10 // too little text to judge below this
)

// readDirRules reads (and caches) the ignore files among a directory's entries.
func (w *Walker) readDirRules(rel string, elems []string, entries []fs.DirEntry) walkDirRules {
	var r walkDirRules
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		switch e.Name() {
		case gitignoreName:
			r.git = readIgnoreFile(filepath.Join(w.abs(rel), gitignoreName), elems)
		case mimiignoreName:
			r.mimi = readIgnoreFile(filepath.Join(w.abs(rel), mimiignoreName), elems)
		}
	}
	return w.cacheRules(rel, r)
}

// cacheRules completes a directory's patterns (the root adds .git/info/exclude, the lowest
// priority of the git layer) and caches them.
func (w *Walker) cacheRules(rel string, r walkDirRules) walkDirRules {
	if rel == "" {
		r.git = concatPatterns(readIgnoreFile(filepath.Join(w.root, ".git", "info", "exclude"), nil), r.git)
	}
	w.mu.Lock()
	w.rules[rel] = r
	w.mu.Unlock()
	return r
}

// dirRules returns a directory's patterns, reading its ignore files when not cached.
func (w *Walker) dirRules(rel string, elems []string) walkDirRules {
	w.mu.Lock()
	r, ok := w.rules[rel]
	w.mu.Unlock()
	if ok {
		return r
	}
	dir := w.abs(rel)
	r.git = readIgnoreFile(filepath.Join(dir, gitignoreName), elems)
	r.mimi = readIgnoreFile(filepath.Join(dir, mimiignoreName), elems)
	return w.cacheRules(rel, r)
}

// readIgnoreFile parses one ignore file; a missing, unreadable or non-regular one adds nothing.
func readIgnoreFile(name string, domain []string) []gitignore.Pattern {
	st, err := os.Lstat(name)
	if err != nil || !st.Mode().IsRegular() {
		return nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxIgnoreFile))
	if err != nil {
		return nil
	}
	return parseIgnoreLines(string(data), domain)
}

// parseIgnoreLines parses gitignore syntax; domain is the directory (path elements) the
// patterns are relative to. Blank lines and comments add nothing; CRLF files work.
func parseIgnoreLines(text string, domain []string) []gitignore.Pattern {
	var ps []gitignore.Pattern
	for line := range strings.SplitSeq(text, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		ps = append(ps, gitignore.ParsePattern(line, domain))
	}
	return ps
}

// hardSkipDir names version-control directories: never walked, whatever the ignore files say.
func hardSkipDir(name string) bool {
	switch name {
	case ".git", ".hg", ".svn", ".jj", ".bzr", "_darcs":
		return true
	}
	return false
}

// builtinSkipDir names dependency, environment and cache directories. third_party is not
// among them: many repositories keep their own forks there (add it to Ignore if not).
func builtinSkipDir(name string) bool {
	switch name {
	case "node_modules", "vendor", "bower_components", "jspm_packages", "__pycache__",
		".venv", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".gradle",
		".terraform", ".next", ".nuxt", ".svelte-kit", ".parcel-cache", ".turbo", ".direnv",
		".yarn", ".pnpm-store", ".cache":
		return true
	}
	return false
}

// builtinSkipFile names lock files, generated and minified files, and binary formats.
func builtinSkipFile(name string) bool {
	lower := strings.ToLower(name)
	switch lower {
	case "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb",
		"bun.lock", "go.sum", "go.work.sum", "cargo.lock", "poetry.lock", "pipfile.lock",
		"composer.lock", "gemfile.lock", "flake.lock", "uv.lock", "pdm.lock",
		"packages.lock.json", "podfile.lock", "mix.lock", "pubspec.lock", ".ds_store":
		return true
	}
	for _, suffix := range []string{
		".pb.go", ".pb.gw.go", "_pb2.py", "_pb2_grpc.py", ".pb.cc", ".pb.h",
		".min.js", ".min.mjs", ".min.css", ".bundle.js", ".js.map", ".css.map",
	} {
		if strings.HasSuffix(lower, suffix) {
			return true
		}
	}
	if strings.Contains(lower, "_generated.") || strings.Contains(lower, ".generated.") ||
		strings.HasPrefix(lower, "zz_generated") {
		return true
	}
	return binaryExt(path.Ext(lower))
}

func binaryExt(ext string) bool {
	switch ext {
	case ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".ico", ".icns", ".webp", ".tif", ".tiff",
		".psd", ".heic", ".avif", ".svgz",
		".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".odt",
		".zip", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".lz4", ".7z", ".rar", ".tar", ".jar",
		".war", ".ear", ".whl", ".egg", ".deb", ".rpm", ".apk", ".ipa", ".dmg", ".iso", ".msi",
		".exe", ".dll", ".so", ".dylib", ".a", ".o", ".obj", ".lib", ".class", ".pyc", ".pyo",
		".wasm", ".syso", ".bin", ".dat", ".db", ".sqlite", ".sqlite3",
		".woff", ".woff2", ".ttf", ".otf", ".eot",
		".mp3", ".mp4", ".m4a", ".wav", ".ogg", ".flac", ".avi", ".mov", ".mkv", ".webm",
		".parquet", ".npy", ".npz", ".pt", ".pth", ".onnx", ".safetensors", ".gguf", ".h5",
		".pkl", ".pickle":
		return true
	}
	return false
}

// textual reports whether a file's first bytes look like text: no NUL byte and valid UTF-8
// (a rune cut by the end of the sample is fine when more of the file follows).
func textual(sample []byte, truncated bool) bool {
	if bytes.IndexByte(sample, 0) >= 0 {
		return false
	}
	if truncated {
		for i := len(sample) - 1; i >= 0 && i >= len(sample)-utf8.UTFMax; i-- {
			if utf8.RuneStart(sample[i]) {
				if !utf8.FullRune(sample[i:]) {
					sample = sample[:i]
				}
				break
			}
		}
	}
	return utf8.Valid(sample)
}

// generatedContent spots generated files by their header. Go: a line matching
// `^// Code generated .* DO NOT EDIT\.$` before the first non-comment text (Go's convention).
// Other files: "Code generated … DO NOT EDIT" or "@generated" in the first five non-blank lines.
func generatedContent(name string, sample []byte) bool {
	isGo := strings.HasSuffix(name, ".go")
	inBlock := false
	seen := 0
	for len(sample) > 0 {
		var line []byte
		line, sample, _ = bytes.Cut(sample, []byte{'\n'})
		line = bytes.TrimSuffix(line, []byte{'\r'})
		trimmed := bytes.TrimSpace(line)
		if isGo {
			switch {
			case inBlock:
				inBlock = !bytes.Contains(trimmed, []byte("*/"))
			case len(trimmed) == 0:
			case bytes.HasPrefix(trimmed, []byte("//")):
				if goGeneratedLine(line) {
					return true
				}
			case bytes.HasPrefix(trimmed, []byte("/*")):
				inBlock = !bytes.Contains(trimmed[2:], []byte("*/"))
			default:
				return false // the package clause or other code: too late for the header
			}
			continue
		}
		if len(trimmed) == 0 {
			continue
		}
		if bytes.Contains(trimmed, []byte("@generated")) ||
			bytes.Contains(trimmed, []byte("Code generated")) && bytes.Contains(trimmed, []byte("DO NOT EDIT")) {
			return true
		}
		if seen++; seen == 5 {
			return false
		}
	}
	return false
}

func goGeneratedLine(line []byte) bool {
	const prefix, suffix = "// Code generated ", " DO NOT EDIT."
	return len(line) >= len(prefix)+len(suffix) &&
		bytes.HasPrefix(line, []byte(prefix)) && bytes.HasSuffix(line, []byte(suffix))
}

// minifiedContent reports an average line longer than minifiedLineAvg bytes.
func minifiedContent(sample []byte) bool {
	if len(sample) < minifiedMinSize {
		return false
	}
	lines := bytes.Count(sample, []byte{'\n'})
	if sample[len(sample)-1] != '\n' {
		lines++
	}
	return len(sample)/lines > minifiedLineAvg
}
