package embed

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkChunks asserts the invariants every Chunks result keeps (shared with FuzzChunks).
func checkChunks(t testing.TB, path, text string, chunks []Chunk) {
	t.Helper()
	checkChunksWith(t, path, text, chunks, defaultChunkLimits())
}

func checkChunksWith(t testing.TB, path, text string, chunks []Chunk, lim chunkLimits) {
	t.Helper()
	lines := strings.Split(text, "\n")
	if strings.HasSuffix(text, "\n") {
		lines = lines[:len(lines)-1]
	}
	covered := make([]bool, len(lines))
	prevEnd := -1
	for i, c := range chunks {
		if c.StartLine <= prevEnd || c.StartLine > c.EndLine || c.EndLine >= len(lines) {
			t.Fatalf("chunk %d: lines %d..%d after %d (of %d)", i, c.StartLine, c.EndLine, prevEnd, len(lines))
		}
		prevEnd = c.EndLine
		if want := strings.Join(lines[c.StartLine:c.EndLine+1], "\n"); c.Text != want {
			t.Fatalf("chunk %d: Text %q, lines %d..%d are %q", i, c.Text, c.StartLine, c.EndLine, want)
		}
		if n := c.EndLine - c.StartLine + 1; n > lim.maxLines {
			t.Fatalf("chunk %d: %d lines", i, n)
		}
		if len(c.Text) > lim.maxBytes && c.StartLine != c.EndLine {
			t.Fatalf("chunk %d: %d bytes over %d lines", i, len(c.Text), c.EndLine-c.StartLine+1)
		}
		if strings.TrimSpace(lines[c.StartLine]) == "" || strings.TrimSpace(lines[c.EndLine]) == "" {
			t.Fatalf("chunk %d starts or ends with a blank line: %q", i, c.Text)
		}
		if c.Offset < 0 || c.Offset+c.Length > len(text) || text[c.Offset:c.Offset+c.Length] != c.Text {
			t.Fatalf("chunk %d: bytes %d+%d are not its text %q", i, c.Offset, c.Length, c.Text)
		}
		if c.ID != ChunkID(c.Text) || c.Path != path || c.Kind == "" {
			t.Fatalf("chunk %d: ID %q, Path %q, Kind %q", i, c.ID, c.Path, c.Kind)
		}
		for l := c.StartLine; l <= c.EndLine; l++ {
			covered[l] = true
		}
	}
	for l, ok := range covered {
		if !ok && strings.TrimSpace(lines[l]) != "" {
			t.Fatalf("line %d %q is in no chunk", l, lines[l])
		}
	}
}

type chunkWant struct {
	kind, name string
	start, end int
}

func chunkSummary(chunks []Chunk) []chunkWant {
	out := make([]chunkWant, 0, len(chunks))
	for _, c := range chunks {
		out = append(out, chunkWant{c.Kind, c.Name, c.StartLine, c.EndLine})
	}
	return out
}

const goGolden = `// Package p is a fixture.
package p

import (
	"fmt"
	"strings"
)

// Kind is an enum.
type Kind int

const (
	KindA Kind = iota
	KindB
)

// Server serves.
type Server[T any] struct {
	name string
}

// Serve serves
// forever.
func (s *Server[T]) Serve() error {
	return fmt.Errorf("no %s", strings.ToUpper(s.name))
}

// ---- helpers ----

func helper() {}

// A long floating comment
// that explains a section
// of the file at length
// and so stands alone.

var x, y = 1, 2

func (Kind) String() string { return "" }
var z = 3; func same() {}
// trailing
`

// TestChunksGo pins Go chunking on a golden file: header, types, grouped constants, methods
// (receiver names without pointer or type parameters), doc comments, short comments attached
// to the next declaration, long ones alone, declarations sharing a line merged.
func TestChunksGo(t *testing.T) {
	want := []chunkWant{
		{KindHeader, "p", 0, 6},
		{"type", "Kind", 8, 9},
		{"const", "KindA, KindB", 11, 14},
		{"type", "Server", 16, 19},
		{"method", "Server.Serve", 21, 25},
		{"func", "helper", 27, 29},
		{KindLines, "", 31, 34},
		{"var", "x, y", 36, 36},
		{"method", "Kind.String", 38, 38},
		{"var", "z, same", 39, 39},
		{KindLines, "", 40, 40},
	}
	chunks := Chunks("p.go", goGolden)
	checkChunks(t, "p.go", goGolden, chunks)
	got := chunkSummary(chunks)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got\n%v\nwant\n%v", got, want)
	}
	if !strings.HasPrefix(chunks[4].Text, "// Serve serves\n// forever.\nfunc (s *Server[T]) Serve()") {
		t.Errorf("method chunk lost its doc comment: %q", chunks[4].Text)
	}
}

// TestChunksGoSplits proves big declarations are split: a type group over 80 lines spec by
// spec (doc and parentheses kept with the first and last spec), a function over the limits in
// pieces that keep its name and are cut at blank lines at low indentation.
func TestChunksGoSplits(t *testing.T) {
	var b strings.Builder
	b.WriteString("package p\n\n// Group doc.\ntype (\n")
	for i := range 30 {
		fmt.Fprintf(&b, "\t// T%d doc.\n\tT%d struct {\n\t\tA int\n\t}\n", i, i)
	}
	b.WriteString(")\n\nfunc Big() {\n")
	for i := range 60 {
		fmt.Fprintf(&b, "\tx%d := %d\n\tif x%d > 0 {\n\t\tprintln(x%d)\n\t}\n\n", i, i, i, i)
	}
	b.WriteString("}\n")
	text := b.String()
	chunks := Chunks("p.go", text)
	checkChunks(t, "p.go", text, chunks)
	var types, big []Chunk
	for _, c := range chunks {
		switch c.Kind {
		case "type":
			types = append(types, c)
		case "func":
			big = append(big, c)
		}
	}
	if len(types) != 30 || types[0].Name != "T0" || types[29].Name != "T29" ||
		!strings.HasPrefix(types[0].Text, "// Group doc.\ntype (\n\t// T0 doc.") ||
		!strings.HasPrefix(types[1].Text, "\t// T1 doc.") || !strings.HasSuffix(types[29].Text, "\t}\n)") {
		t.Errorf("type group split wrongly: %v", chunkSummary(types))
	}
	if len(big) < 3 {
		t.Fatalf("Big not split: %v", chunkSummary(big))
	}
	for i, c := range big {
		if c.Name != "Big" {
			t.Errorf("piece %d named %q", i, c.Name)
		}
		if i > 0 && !strings.HasPrefix(c.Text, "\tx") {
			t.Errorf("piece %d starts mid-statement: %q", i, c.Text[:min(len(c.Text), 40)])
		}
	}
}

// TestChunksFallback proves line windows: other languages, Go that does not parse, and the
// edge cases (empty, blank, CRLF, no final newline, a line over the byte limit).
func TestChunksFallback(t *testing.T) {
	py := strings.Repeat("def f():\n    return 1\n\n\nclass C:\n    def m(self):\n        pass\n\n    x = 1\n\n", 20)
	hugeLine := strings.Repeat("a", MaxChunkBytes+10)
	for _, tc := range []struct {
		name, path, text string
		want             []chunkWant // nil: only the invariants
		check            func(t *testing.T, cs []Chunk)
	}{
		{name: "empty", path: "a.py", text: "", want: []chunkWant{}},
		{name: "blank", path: "a.go", text: "\n \n\t\n", want: []chunkWant{}},
		{name: "one line no newline", path: "a.txt", text: "hello", want: []chunkWant{{KindLines, "", 0, 0}}},
		{name: "crlf", path: "a.txt", text: "a\r\nb\r\n\r\nc\r\n", want: []chunkWant{{KindLines, "", 0, 3}}},
		{name: "broken go", path: "a.go", text: "package p\n\nfunc {\n", want: []chunkWant{{KindLines, "", 0, 2}}},
		{name: "go without declarations", path: "a.go", text: "// doc\npackage p\n", want: []chunkWant{{KindHeader, "p", 0, 1}}},
		{name: "huge line alone", path: "a.txt", text: "x\n" + hugeLine + "\ny\n", want: []chunkWant{{KindLines, "", 0, 0}, {KindLines, "", 1, 1}, {KindLines, "", 2, 2}}},
		{name: "python windows", path: "a.py", text: py, check: func(t *testing.T, cs []Chunk) {
			for i, c := range cs[:len(cs)-1] {
				if n := c.EndLine - c.StartLine + 1; n < 40 || n > 80 {
					t.Errorf("window %d has %d lines", i, n)
				}
				if !strings.HasPrefix(c.Text, "def f") && !strings.HasPrefix(c.Text, "class C") {
					t.Errorf("window %d does not start at a top-level block: %q", i, c.Text[:20])
				}
			}
		}},
		{name: "no blank lines at all", path: "a.txt", text: strings.Repeat("line\n", 1000), check: func(t *testing.T, cs []Chunk) {
			if len(cs) < 1000/MaxChunkLines {
				t.Errorf("%d chunks", len(cs))
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := Chunks(tc.path, tc.text)
			checkChunks(t, tc.path, tc.text, cs)
			if tc.want != nil && fmt.Sprint(chunkSummary(cs)) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", chunkSummary(cs), tc.want)
			}
			if tc.check != nil {
				tc.check(t, cs)
			}
		})
	}
}

// TestChunksIDs proves IDs are content hashes: an edit changes only the edited chunk's ID, a
// moved function keeps its ID, and //line directives do not move line numbers.
func TestChunksIDs(t *testing.T) {
	base := Chunks("p.go", goGolden)
	edited := Chunks("p.go", strings.Replace(goGolden, "func helper() {}", "func helper() { println() }", 1))
	moved := Chunks("q/moved.go", "package q\n\n\n\n"+base[4].Text+"\n")
	if len(base) != len(edited) {
		t.Fatalf("%d vs %d chunks", len(base), len(edited))
	}
	for i := range base {
		if same := base[i].ID == edited[i].ID; same != (base[i].Name != "helper") {
			t.Errorf("chunk %d %q: same ID = %v", i, base[i].Name, same)
		}
	}
	if len(moved) != 2 || moved[1].ID != base[4].ID || moved[1].StartLine != 4 {
		t.Errorf("moved method: %v", chunkSummary(moved))
	}
	directive := "package p\n\n//line other.go:1000\nfunc F() {}\n"
	if cs := Chunks("p.go", directive); len(cs) != 2 || cs[1].StartLine != 2 || cs[1].EndLine != 3 {
		t.Errorf("//line directive: %v", chunkSummary(cs))
	}
}

// TestChunksGorootSample checks the invariants on real code (a slice of Go's own tree).
func TestChunksGorootSample(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	files, err := Walk(context.Background(), filepath.Join(gorootSrc(t), "go"), WalkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f.Abs)
		if err != nil {
			t.Fatal(err)
		}
		checkChunks(t, f.Path, string(data), Chunks(f.Path, string(data)))
	}
}

// FuzzChunks: no panic; chunks in order without overlap, within the limits, covering every
// non-blank line, each Text exactly its lines. The fuzzer also shrinks the limits (small
// inputs then hit every splitting path); a zero `limits` checks the real ones.
func FuzzChunks(f *testing.F) {
	f.Add(goGolden, true, uint16(0))
	f.Add(goGolden, true, uint16(0x0312))
	f.Add("package p\nfunc (", true, uint16(0))
	f.Add("package p\n\nvar (\n\ta = 1\n\n\tb = 2\n)\n", true, uint16(0x0101))
	f.Add("def f():\n  pass\n\n\nx = 1\n}\n", false, uint16(0x0203))
	f.Add("\r\n\r\n}\n\n{\n", false, uint16(0))
	f.Add(strings.Repeat("a\n\n  b\n", 200), false, uint16(0))
	f.Add("x\n"+strings.Repeat("y", 7000)+"\nz\n", false, uint16(0))
	f.Fuzz(func(t *testing.T, text string, isGo bool, limits uint16) {
		path := "f.txt"
		if isGo {
			path = "f.go"
		}
		lim := defaultChunkLimits()
		if limits != 0 {
			lines := 1 + int(limits&0x0f)      // 1..16 lines
			bytes := 1 + int(limits>>4&0xff)*4 // 1..1021 bytes
			lim = chunkLimits{maxLines: lines, maxBytes: bytes, targetMin: max(1, lines/2), targetMax: max(1, lines*2/3), ideal: max(1, lines/2)}
		}
		checkChunksWith(t, path, text, chunksWith(path, text, lim), lim)
	})
}

// BenchmarkChunksGoroot chunks every file a walk of Go's source tree accepts.
func BenchmarkChunksGoroot(b *testing.B) {
	files, err := Walk(context.Background(), gorootSrc(b), WalkOptions{})
	if err != nil {
		b.Fatal(err)
	}
	texts := make([]string, len(files))
	var size int64
	for i, f := range files {
		data, err := os.ReadFile(f.Abs)
		if err != nil {
			b.Fatal(err)
		}
		texts[i] = string(data)
		size += int64(len(data))
	}
	b.SetBytes(size)
	chunks := 0
	for b.Loop() {
		for i, f := range files {
			chunks += len(Chunks(f.Path, texts[i]))
		}
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(len(files)*b.N)/sec, "files/s")
	b.ReportMetric(float64(chunks)/sec, "chunks/s")
	b.ReportMetric(float64(chunks)/float64(b.N), "chunks/op")
}
