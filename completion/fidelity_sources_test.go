package completion

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// The fidelity test's corpus: real code nobody here wrote, present on a fresh machine without
// downloads — Go's own sources (GOROOT), Python's standard library (Debian's python3), and the
// JavaScript of npm's own packages (the npm that comes with Node.js).

// corpusFile is one source file of the corpus.
type corpusFile struct {
	lang string // LSP language id
	rel  string // path shown in reports and sent as the request's path
	text string
}

// corpusLang is where one language's files come from.
type corpusLang struct {
	lang  string
	ext   string
	find  func() (root string, dirs []string, why string)
	limit int // files taken (evenly spread over what is found)
}

var corpusLangs = []corpusLang{
	{lang: "go", ext: ".go", find: goSources, limit: 100},
	{lang: "python", ext: ".py", find: pythonSources, limit: 100},
	{lang: "javascript", ext: ".js", find: npmSources, limit: 100},
}

func goSources() (string, []string, string) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return "", nil, "go env GOROOT: " + err.Error()
	}
	root := filepath.Join(strings.TrimSpace(string(out)), "src")
	return root, []string{"net/http", "encoding/json", "strings", "bufio", "text/template", "go/printer", "archive/tar", "compress/flate"}, ""
}

func pythonSources() (string, []string, string) {
	dirs := []string{"asyncio", "json", "email", "http", "logging", "concurrent/futures", "importlib"}
	if m, _ := filepath.Glob("/usr/lib/python3.*/asyncio"); len(m) > 0 {
		sort.Strings(m)
		return filepath.Dir(m[len(m)-1]), dirs, ""
	}
	out, err := exec.Command("python3", "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])").Output()
	if err != nil {
		return "", nil, "no Python standard library (/usr/lib/python3.*; apt-get install python3)"
	}
	return strings.TrimSpace(string(out)), dirs, ""
}

func npmSources() (string, []string, string) {
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", nil, "no npm on PATH (apt-get install npm)"
	}
	cli, err := filepath.EvalSymlinks(npm)
	if err != nil {
		return "", nil, err.Error()
	}
	// npm-cli.js sits in <npm>/bin; its own code and its dependencies are under <npm>.
	root := filepath.Dir(filepath.Dir(cli))
	if _, err := os.Stat(filepath.Join(root, "lib")); err != nil {
		return "", nil, "npm's package directory not found beside " + cli
	}
	return root, []string{"lib", "node_modules"}, ""
}

// loadCorpus reads up to l.limit files of one language; why says what is missing when none.
func loadCorpus(l corpusLang) ([]corpusFile, string) {
	root, dirs, why := l.find()
	if why != "" {
		return nil, why
	}
	var paths []string
	for _, d := range dirs {
		_ = filepath.WalkDir(filepath.Join(root, d), func(p string, de fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			name := de.Name()
			if de.IsDir() {
				if name == "testdata" || name == "test" || name == "tests" || name == "dist" {
					return filepath.SkipDir
				}
				return nil
			}
			if filepath.Ext(name) != l.ext || strings.HasSuffix(name, "_test.go") || strings.Contains(name, ".min.") {
				return nil
			}
			if de.Type()&fs.ModeSymlink == 0 {
				paths = append(paths, p)
			}
			return nil
		})
	}
	slices.Sort(paths)
	var files []corpusFile
	for _, p := range spread(paths, l.limit) {
		b, err := os.ReadFile(p)
		if err != nil || len(b) > 256<<10 || strings.Contains(string(b), "\r") {
			continue
		}
		rel, _ := filepath.Rel(root, p)
		files = append(files, corpusFile{lang: l.lang, rel: filepath.ToSlash(rel), text: string(b)})
	}
	if len(files) == 0 {
		return nil, "no " + l.ext + " files under " + root
	}
	return files, ""
}

// spread picks n items evenly spread over list (all of it when it is shorter).
func spread[T any](list []T, n int) []T {
	if len(list) <= n {
		return list
	}
	out := make([]T, 0, n)
	for i := range n {
		out = append(out, list[i*len(list)/n])
	}
	return out
}
