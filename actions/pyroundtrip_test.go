package actions

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// python3 returns the path of python3, or skips the test (fails it when MIMI_REQUIRE_ALL=1).
func python3(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("MIMI_REQUIRE_ALL") == "1" {
			t.Fatal("python3 is not installed and MIMI_REQUIRE_ALL=1")
		}
		t.Skip("SKIPPED: python3 is not installed: the Python round trips are not checked (MIMI_REQUIRE_ALL=1 makes this a failure)")
	}
	return p
}

// pyParses reports whether python3's ast accepts src (the error text when it does not).
func pyParses(t *testing.T, py, src string) error {
	t.Helper()
	f := filepath.Join(t.TempDir(), "m.py")
	if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, "-c", "import ast,sys; ast.parse(open(sys.argv[1]).read())", f).CombinedOutput()
	if err != nil {
		return errors.New(strings.TrimSpace(string(out)))
	}
	return nil
}

// fenced wraps code in a fence longer than any run of backticks it holds, as a model would.
func fenced(lang, code string) string {
	f := "```"
	for strings.Contains(code, f) {
		f += "`"
	}
	return "Here it is:\n" + f + lang + "\n" + strings.TrimSuffix(code, "\n") + "\n" + f + "\n"
}

// dedent strips indent from the lines that start with it (what a model answering a method
// "at column 0" does; lines left of it stay).
func dedent(code, indent string) string {
	lines := strings.Split(code, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, indent)
	}
	return strings.Join(lines, "\n")
}

// rewriteAction is the Rewrite action Catalogue lists for r.
func rewriteAction(r Request) (Action, bool) {
	for _, a := range Catalogue(r) {
		if a.ID == Rewrite {
			return a, true
		}
	}
	return Action{}, false
}

// rewriteWith applies answer to the action a of r through Parse (the path Resolve takes
// after the model), returning the file after its edits (the file itself: no change).
func rewriteWith(r Request, a Action, answer string) (string, error) {
	res, err := Parse(PromptInput{Action: a, Request: r}, answer, false, Result{})
	if errors.Is(err, ErrUnchanged) {
		return r.Text, nil
	}
	if err != nil {
		return "", err
	}
	return Apply(r.Text, res.Edits)
}

// pyTarget is a def or class of a Python file as python3's ast sees it (lines from 1).
type pyTarget struct {
	File          string
	Line, EndLine int
	Col           int
}

const pyTargetsScript = `import ast, json, sys
for path in sys.argv[1:]:
    try:
        src = open(path, encoding="utf-8").read()
        tree = ast.parse(src)
    except Exception:
        continue
    if "\r" in src or "\f" in src or "\v" in src or "\x1c" in src or "\x1d" in src or "\x1e" in src or "\x85" in src or "\u2028" in src or "\u2029" in src:
        continue  # line breaks Go's split does not see
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    for n in tree.body:
        if isinstance(n, kinds):
            print(json.dumps({"File": path, "Line": n.lineno, "EndLine": n.end_lineno, "Col": n.col_offset}))
            if isinstance(n, ast.ClassDef):
                for m in n.body:
                    if isinstance(m, kinds):
                        print(json.dumps({"File": path, "Line": m.lineno, "EndLine": m.end_lineno, "Col": m.col_offset}))
`

// stdlibFiles picks up to n modules of the installed Python standard library, spread evenly
// over the sorted list (tests and third-party packages left out).
func stdlibFiles(n int) []string {
	dirs, _ := filepath.Glob("/usr/lib/python3.*")
	var all []string
	for _, d := range dirs {
		filepath.WalkDir(d, func(p string, e os.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if e.IsDir() && (strings.Contains(e.Name(), "test") || strings.HasSuffix(e.Name(), "-packages")) {
				return filepath.SkipDir
			}
			if strings.HasSuffix(p, ".py") {
				all = append(all, p)
			}
			return nil
		})
	}
	sort.Strings(all)
	if len(all) <= n {
		return all
	}
	out := make([]string, 0, n)
	for i := range n {
		out = append(out, all[i*len(all)/n])
	}
	return out
}

// TestPythonStdlibRoundTrip: in real modules of Python's standard library, every top-level
// def and class and every method is a Rewrite target that spans the declaration as python3's
// ast does (plus trailing comments, no more), and a perfect answer for it — the target as it
// is, and dedented to column 0 — gives back the file byte for byte.
func TestPythonStdlibRoundTrip(t *testing.T) {
	py := python3(t)
	files := stdlibFiles(50)
	if len(files) == 0 {
		if os.Getenv("MIMI_REQUIRE_ALL") == "1" {
			t.Fatal("no Python standard library under /usr/lib/python3.*")
		}
		t.Skip("SKIPPED: no Python standard library under /usr/lib/python3.*")
	}
	out, err := exec.Command(py, append([]string{"-c", pyTargetsScript}, files...)...).Output()
	if err != nil {
		t.Fatal(err)
	}
	texts := map[string]string{}
	var lines []string // the current file's, with their line breaks
	var starts []int   // their offsets
	var targets, spanOK, asIsOK, dedentedOK, methods, bad int
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var pt pyTarget
		if err := json.Unmarshal([]byte(l), &pt); err != nil {
			t.Fatal(err)
		}
		text, ok := texts[pt.File]
		if !ok {
			b, err := os.ReadFile(pt.File)
			if err != nil {
				t.Fatal(err)
			}
			text = string(b)
			texts[pt.File] = text
			lines, starts = strings.SplitAfter(text, "\n"), nil
			for o, l := 0, 0; l < len(lines); l++ {
				starts = append(starts, o)
				o += len(lines[l])
			}
		}
		start := starts[pt.Line-1]
		where := pt.File + ":" + lines[pt.Line-1]
		targets++
		r := Request{Text: text, Language: "python", Path: filepath.Base(pt.File), Start: start + pt.Col, End: start + pt.Col}
		a, ok := rewriteAction(r)
		if !ok {
			t.Errorf("%s: no rewrite action", where)
			continue
		}
		target := text[a.Start:a.End]
		end := strings.Count(text[:a.End], "\n") // the target's last line, from 1
		if !strings.HasSuffix(target, "\n") {
			end++
		}
		if a.Start == start && end >= pt.EndLine && onlyComments(strings.Join(lines[pt.EndLine:end], "")) {
			spanOK++
		} else if bad++; bad <= 5 {
			t.Errorf("%s: target lines %d-%d, ast's %d-%d", where, pt.Line, end, pt.Line, pt.EndLine)
		}
		if after, err := rewriteWith(r, a, fenced("python", target)); err == nil && after == text {
			asIsOK++
		} else if bad++; bad <= 5 {
			t.Errorf("%s: the target answered as it is changes the file (%v)", where, err)
		}
		ind := indentOf(target)
		if ind == "" {
			continue
		}
		methods++
		if after, err := rewriteWith(r, a, fenced("python", dedent(target, ind))); err == nil && after == text {
			dedentedOK++
		} else if bad++; bad <= 5 {
			t.Errorf("%s: the target answered at column 0 changes the file (%v)", where, err)
		}
	}
	t.Logf("%d files, %d targets: %d spans as ast's, %d answered as they are round-trip; %d methods, %d answered at column 0 round-trip",
		len(texts), targets, spanOK, asIsOK, methods, dedentedOK)
	if targets < 200 {
		t.Fatalf("only %d targets in %d files", targets, len(texts))
	}
	if spanOK != targets || asIsOK != targets || dedentedOK != methods {
		t.Fatalf("spans %d/%d, as they are %d/%d, at column 0 %d/%d", spanOK, targets, asIsOK, targets, dedentedOK, methods)
	}
}

// onlyComments: s holds nothing but blank and comment lines.
func onlyComments(s string) bool {
	for _, l := range strings.Split(s, "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			return false
		}
	}
	return true
}
