package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// target is one function whose body the replay types out.
type target struct {
	File      string // path relative to the source dir
	Name      string
	Text      string // the whole file
	BodyStart int    // byte offset just after "{\n"
	BodyEnd   int    // byte offset of the line holding the closing "}"
}

// Body is the text typed.
func (t target) Body() string { return t.Text[t.BodyStart:t.BodyEnd] }

// pickTargets walks dir for Go files and picks n functions whose bodies have 3–25 lines and
// at most maxBody bytes, deterministically for a seed.
func pickTargets(dir string, n int, seed uint64, maxBody int) ([]target, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // unreadable parts of a tree are skipped
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && p != dir {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no Go files under %s", dir)
	}
	sort.Strings(files)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	rng.Shuffle(len(files), func(i, j int) { files[i], files[j] = files[j], files[i] })
	var out []target
	for _, f := range files {
		if len(out) == n {
			break
		}
		src, err := os.ReadFile(f)
		if err != nil || len(src) > 200_000 {
			continue
		}
		fset := token.NewFileSet()
		file, err := parser.ParseFile(fset, f, src, parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		var cands []target
		for _, decl := range file.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			open := fset.Position(fd.Body.Lbrace).Offset
			close := fset.Position(fd.Body.Rbrace).Offset
			if open+1 >= len(src) || src[open+1] != '\n' {
				continue
			}
			start := open + 2
			end := strings.LastIndexByte(string(src[:close]), '\n') + 1
			lines := strings.Count(string(src[start:end]), "\n")
			if end <= start || lines < 3 || lines > 25 || end-start > maxBody {
				continue
			}
			rel, _ := filepath.Rel(dir, f)
			cands = append(cands, target{File: rel, Name: fd.Name.Name, Text: string(src), BodyStart: start, BodyEnd: end})
		}
		if len(cands) > 0 {
			out = append(out, cands[rng.IntN(len(cands))])
		}
	}
	if len(out) < n {
		return out, fmt.Errorf("found only %d suitable functions under %s (wanted %d)", len(out), dir, n)
	}
	return out, nil
}
