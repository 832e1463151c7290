package actions

import (
	"strings"
	"testing"
)

func TestEnclosing(t *testing.T) {
	tests := []struct {
		name, lang, text string
		want             string // Kind Name, "" for none
		decl             string // the declaration's text (from Start to End)
		doc              bool
	}{
		{"go method with doc", "go", "package p\n\n// Start runs.\nfunc (s *S) Start() error {\n\tx := 1‸\n\treturn nil\n}\n\nfunc Other() {}\n",
			"method Start", "func (s *S) Start() error {\n\tx := 1\n\treturn nil\n}\n", true},
		{"go type in a group", "go", "package p\n\ntype (\n\tA int\n\t// B is b.\n\tB struct {\n\t\tx‸ int\n\t}\n)\n",
			"type B", "\tB struct {\n\t\tx int\n\t}\n", true},
		{"go between functions", "go", "package p\n\nfunc A() {}\n‸\nfunc B() {}\n", "", "", false},
		{"go that does not parse", "go", "package p\n\nfunc Broken(x int {\n\treturn x‸\n}\n", "func Broken", "func Broken(x int {\n\treturn x\n}\n", false},
		{"python method", "python", "class W:\n    # Area of it.\n    def area(self):\n        return self.w‸ * self.h\n\n    def other(self):\n        pass\n",
			"def area", "    def area(self):\n        return self.w * self.h\n", true},
		{"python after a function", "python", "def a():\n    pass\n\nx = 1‸\n", "", "", false},
		{"typescript", "typescript", "export async function load(path: string) {\n  const x = 1;‸\n  return x;\n}\n",
			"function load", "export async function load(path: string) {\n  const x = 1;\n  return x;\n}\n", false},
		{"rust", "rust", "pub fn square(x: i32) -> i32 {\n    x * x‸\n}\n", "fn square", "pub fn square(x: i32) -> i32 {\n    x * x\n}\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			off := strings.Index(tt.text, "‸")
			text := tt.text[:off] + tt.text[off+len("‸"):]
			d, ok := Enclosing(text, tt.lang, off)
			got := ""
			if ok {
				got = d.Kind + " " + d.Name
			}
			if got != tt.want {
				t.Fatalf("Enclosing = %q, want %q", got, tt.want)
			}
			if !ok {
				return
			}
			if text[d.Start:d.End] != tt.decl || d.HasDoc() != tt.doc {
				t.Errorf("decl %q (doc %t), want %q (doc %t)", text[d.Start:d.End], d.HasDoc(), tt.decl, tt.doc)
			}
			if d.Kind != "type" && (d.BodyStart <= d.Start || d.BodyStart > d.End) {
				t.Errorf("body start %d outside [%d, %d]", d.BodyStart, d.Start, d.End)
			}
		})
	}
}

// pyReport is a Python class whose method holds a string with lines at column 0 (and a
// bracket continued at column 0): none of them ends the method (issue 17, finding 4).
const pyReport = "import db\n\n\nclass Report:\n    \"\"\"Orders of a day.\"\"\"\n\n" + pyQuery + "\n    def close(self):\n        db.close()\n\n\ndef main():\n    print(Report().query(1))\n"

const pyQuery = "    def query(self, day):\n        sql = \"\"\"\nSELECT id, total\n  FROM orders\n WHERE day = %s\n\"\"\"\n" +
	"        rows = db.run(sql, (day,))‸\n        return [\n            r\nfor r in rows\n        ]\n"

// TestEnclosingReviewCases: Python signatures over several lines (Black), strings, comments
// and continuations at column 0, TypeScript methods without a keyword and arrow functions,
// and calls with callbacks that are not declarations.
func TestEnclosingReviewCases(t *testing.T) {
	tests := []struct {
		name, lang, text, want, decl string
	}{
		{"black signature", "python", "def handle(\n    request,\n    response,\n):\n    x = 1‸\n    return x\n\nother = 2\n", "def handle",
			"def handle(\n    request,\n    response,\n):\n    x = 1\n    return x\n"},
		{"typescript method", "typescript", "export class Api {\n  private base = \"\";\n\n  async load(path: string): Promise<string> {\n    return fetch(path);‸\n  }\n\n  other() {}\n}\n",
			"method load", "  async load(path: string): Promise<string> {\n    return fetch(path);\n  }\n"},
		{"arrow function", "typescript", "export const sum = (xs: number[]) => {\n  return xs.reduce((a, b) => a + b, 0);‸\n};\n",
			"function sum", "export const sum = (xs: number[]) => {\n  return xs.reduce((a, b) => a + b, 0);\n};\n"},
		{"python string at column 0", "python", pyReport, "def query", pyQuery},
		{"python dict default", "python", "def f(x={}):\n    y = x‸\n    return y\n\nz = 1\n", "def f", "def f(x={}):\n    y = x\n    return y\n"},
		{"python comment and continuations at column 0", "python", "def f(a):\n    b = a + \\\n1\n#    old = 1\n    c = (b,\n2)\n    return c‸\n\nd = 1\n",
			"def f", "def f(a):\n    b = a + \\\n1\n#    old = 1\n    c = (b,\n2)\n    return c\n"},
		{"python def in a docstring", "python", "def f():\n    \"\"\"Use it so:\n\n    def g():\n        f()‸\n    \"\"\"\n    return 1\n", "def f",
			"def f():\n    \"\"\"Use it so:\n\n    def g():\n        f()\n    \"\"\"\n    return 1\n"},
		{"javascript braces in strings", "javascript", "function f() {\n  const s = \"}\";‸\n  return s;\n}\n\nfunction g() {}\n", "function f",
			"function f() {\n  const s = \"}\";\n  return s;\n}\n"},
		{"callback in a function", "javascript", "function load() {\n  return items.map((x) => {\n    use(x);‸\n  });\n}\n",
			"function load", "function load() {\n  return items.map((x) => {\n    use(x);\n  });\n}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			off := strings.Index(tt.text, "‸")
			text := tt.text[:off] + tt.text[off+len("‸"):]
			d, ok := Enclosing(text, tt.lang, off)
			if got := d.Kind + " " + d.Name; !ok || got != tt.want || text[d.Start:d.End] != strings.Replace(tt.decl, "‸", "", 1) {
				t.Fatalf("Enclosing = %q (%t) %q, want %q %q", got, ok, text[d.Start:d.End], tt.want, tt.decl)
			}
		})
	}
	// A docstring goes after a signature over several lines.
	src := "def handle(\n    request,\n):\n    return request\n"
	req := Request{Text: src, Language: "python", Path: "h.py", Start: strings.Index(src, "return"), End: strings.Index(src, "return")}
	res, err := Parse(PromptInput{Action: pick(t, req, Document), Request: req}, "```python\n\"\"\"Handle it.\"\"\"\n```", false, Result{})
	if err != nil {
		t.Fatal(err)
	}
	if got := apply(t, src, res.Edits); got != "def handle(\n    request,\n):\n    \"\"\"Handle it.\"\"\"\n    return request\n" {
		t.Fatalf("docstring:\n%s", got)
	}
}
