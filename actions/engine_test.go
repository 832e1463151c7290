package actions

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/cache"
	"github.com/mimi-lsp/mimi-lsp/model"
)

// fakeChat answers every chat with answer (cut: done reason "length") and records the calls.
type fakeChat struct {
	mu     sync.Mutex
	answer string
	cut    bool
	calls  []model.ChatRequest
}

func (f *fakeChat) Chat(ctx context.Context, call *model.Call, req model.ChatRequest, onChunk func(chunk, soFar string, thinking bool) bool) (model.Generation, error) {
	f.mu.Lock()
	f.calls = append(f.calls, req)
	answer, cut := f.answer, f.cut
	f.mu.Unlock()
	if call.Task() != model.TaskAction {
		return model.Generation{}, errors.New("not an action call")
	}
	for _, piece := range strings.SplitAfter(answer, "\n") {
		onChunk(piece, "", false)
	}
	g := model.Generation{Text: answer, DoneReason: "stop"}
	if cut {
		g.DoneReason = "length"
	}
	return g, ctx.Err()
}

func (f *fakeChat) n() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

const srcGo = "package report\n\nimport \"fmt\"\n\n// Total adds the amounts.\nfunc Total(xs []int) string {\n\tt := 0\n\tfor i := 0; i < len(xs); i++ {\n\t\tt = t + xs[i]\n\t}\n\treturn fmt.Sprint(t)\n}\n\nfunc Avg(xs []int) int {\n\treturn 0 // TODO\n}\n"

func pick(t *testing.T, r Request, id ID) Action {
	t.Helper()
	for _, a := range Catalogue(r) {
		if a.ID == id {
			return a
		}
	}
	t.Fatalf("no %s action: %s", id, titles(Catalogue(r)))
	return Action{}
}

func apply(t *testing.T, doc string, edits []Edit) string {
	t.Helper()
	out, err := Apply(doc, edits)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestResolve(t *testing.T) {
	ctx := context.Background()
	at := func(s string) int { return strings.Index(srcGo, s) }
	req := Request{Text: srcGo, Language: "go", Path: "report/total.go", Start: at("t = t + xs"), End: at("t = t + xs")}
	tests := []struct {
		name   string
		id     ID
		req    Request
		answer string
		check  func(t *testing.T, res Result)
	}{
		{"rewrite", Rewrite, req, "<think>\nLoop with range.\n</think>\nHere:\n```go\nfunc Total(xs []int) string {\n    t := 0\n    for _, x := range xs {\n        t += x\n    }\n    return fmt.Sprint(t)\n}\n```\n", func(t *testing.T, res Result) {
			got := apply(t, srcGo, res.Edits)
			want := strings.Replace(srcGo, "\tfor i := 0; i < len(xs); i++ {\n\t\tt = t + xs[i]\n\t}\n", "\tfor _, x := range xs {\n\t\tt += x\n\t}\n", 1)
			if got != want {
				t.Fatalf("after the edit:\n%s", got)
			}
			if len(res.Edits) != 1 || strings.Contains(got, "Loop with range") {
				t.Fatalf("edits %+v (want one minimal edit, no thinking)", res.Edits)
			}
		}},
		{"document", Document, Request{Text: srcGo, Language: "go", Path: "report/total.go", Start: at("return 0"), End: at("return 0")},
			"```go\n// Avg returns the mean of xs.\nfunc Avg(xs []int) int {\n```", func(t *testing.T, res Result) {
				if got := apply(t, srcGo, res.Edits); !strings.Contains(got, "}\n\n// Avg returns the mean of xs.\nfunc Avg(") {
					t.Fatalf("after the edit:\n%s", got)
				}
			}},
		{"implement", Implement, Request{Text: srcGo, Language: "go", Path: "report/total.go", Start: at("return 0"), End: at("return 0")},
			"```go\nfunc Avg(xs []int) int {\n\tif len(xs) == 0 {\n\t\treturn 0\n\t}\n\ts := 0\n\tfor _, x := range xs {\n\t\ts += x\n\t}\n\treturn s / len(xs)\n}\n```", func(t *testing.T, res Result) {
				if got := apply(t, srcGo, res.Edits); !strings.HasSuffix(got, "\treturn s / len(xs)\n}\n") || strings.Contains(got, "TODO") {
					t.Fatalf("after the edit:\n%s", got)
				}
			}},
		{"explain", Explain, req, "Total sums `xs` and formats the sum.", func(t *testing.T, res Result) {
			if res.Explanation != "Total sums `xs` and formats the sum." || res.Edits != nil {
				t.Fatalf("%+v", res)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chat := &fakeChat{answer: tt.answer}
			mem := cache.NewMemory(1<<20, cache.TTLs{cache.KindAction: time.Hour})
			e := NewEngine(chat, cache.NewTiered(mem, nil, nil), Config{Model: "qwen3-coder:30b"})
			in := PromptInput{Action: pick(t, tt.req, tt.id), Request: tt.req}
			var progressed int
			res, err := e.Resolve(ctx, in, func(n int, _ time.Duration) { progressed = n })
			if err != nil {
				t.Fatal(err)
			}
			if res.Source != "model" || progressed == 0 || chat.n() != 1 || chat.calls[0].Model != "qwen3-coder:30b" {
				t.Fatalf("source %q, progress %d, calls %d", res.Source, progressed, chat.n())
			}
			tt.check(t, res)
			again, err := e.Resolve(ctx, in, nil)
			if err != nil || chat.n() != 1 || again.Source != "memory" {
				t.Fatalf("second resolve: source %q, %d calls, %v", again.Source, chat.n(), err)
			}
			tt.check(t, again)
		})
	}
}

func TestResolveBadAnswers(t *testing.T) {
	ctx := context.Background()
	req := Request{Text: srcGo, Language: "go", Path: "report/total.go", Start: strings.Index(srcGo, "t := 0"), End: strings.Index(srcGo, "t := 0")}
	tests := []struct {
		answer string
		cut    bool
		is     error
	}{
		{"I'm sorry, but I can't help with that.", false, ErrRefused},
		{"", false, ErrNoCode},
		{"```go\nfunc Total(xs []int) string {\n\tfor", true, ErrCut},
		{"```go\nfunc Total(xs []int) string {\n\tt := 0\n\tfor i := 0; i < len(xs); i++ {\n\t\tt = t + xs[i]\n\t}\n\treturn fmt.Sprint(t)\n}\n```", false, ErrUnchanged},
	}
	for _, tt := range tests {
		chat := &fakeChat{answer: tt.answer, cut: tt.cut}
		mem := cache.NewMemory(1<<20, cache.TTLs{cache.KindAction: time.Hour})
		e := NewEngine(chat, cache.NewTiered(mem, nil, nil), Config{Model: "m"})
		in := PromptInput{Action: pick(t, req, Rewrite), Request: req}
		if _, err := e.Resolve(ctx, in, nil); !errors.Is(err, tt.is) {
			t.Errorf("answer %q: err %v, want %v", tt.answer, err, tt.is)
		}
		if _, err := e.Resolve(ctx, in, nil); !errors.Is(err, tt.is) || chat.n() != 2 {
			t.Errorf("answer %q: a bad answer was cached (%d calls)", tt.answer, chat.n())
		}
	}
}

func TestResolveTests(t *testing.T) {
	ctx := context.Background()
	req := Request{Text: srcGo, Language: "go", Path: "report/total.go", Start: strings.Index(srcGo, "t := 0"), End: strings.Index(srcGo, "t := 0")}
	act := pick(t, req, Tests)
	answer := "```go\npackage report\n\nimport (\n\t\"strings\"\n\t\"testing\"\n)\n\nfunc TestTotal(t *testing.T) {\n\tif !strings.HasPrefix(Total([]int{1, 2}), \"3\") {\n\t\tt.Fatal(\"sum\")\n\t}\n}\n```"
	e := NewEngine(&fakeChat{answer: answer}, nil, Config{Model: "m"})
	res, err := e.Resolve(ctx, PromptInput{Action: act, Request: req, TestFile: TestPath(req.Path, "go")}, nil)
	if err != nil || res.TestFile != "report/total_test.go" || !strings.HasPrefix(res.TestNew, "package report\n") || !strings.Contains(res.TestNew, "func TestTotal(") {
		t.Fatalf("new test file: %+v, %v", res, err)
	}
	existing := "package report\n\nimport \"testing\"\n\nfunc TestOld(t *testing.T) {}\n"
	res, err = e.Resolve(ctx, PromptInput{Action: act, Request: req, TestFile: "report/total_test.go", TestText: existing}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := apply(t, existing, res.TestEdits)
	if !strings.Contains(got, "import (\n\t\"strings\"\n\t\"testing\"\n)") || !strings.Contains(got, "func TestOld(") ||
		!strings.HasSuffix(got, "\t\tt.Fatal(\"sum\")\n\t}\n}\n") || strings.Count(got, "package report") != 1 {
		t.Fatalf("extended test file:\n%s", got)
	}
}

func TestDocumentPython(t *testing.T) {
	src := "class Shape:\n    def area(self):\n        return self.w * self.h\n"
	req := Request{Text: src, Language: "python", Path: "shape.py", Start: strings.Index(src, "return"), End: strings.Index(src, "return")}
	e := NewEngine(&fakeChat{answer: "```python\n\"\"\"\n    Return the area.\n\"\"\"\n```"}, nil, Config{Model: "m"})
	res, err := e.Resolve(context.Background(), PromptInput{Action: pick(t, req, Document), Request: req}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := apply(t, src, res.Edits); got != "class Shape:\n    def area(self):\n        \"\"\"Return the area.\"\"\"\n        return self.w * self.h\n" {
		t.Fatalf("after the edit:\n%s", got)
	}
}

// TestResolveReviewCases: the user's own "<think>" strings survive (restored after thinking is
// stripped); a whole-file answer to a fix replaces only the declaration and merges its imports;
// a rewrite of a documented function does not stack a second doc comment.
func TestResolveReviewCases(t *testing.T) {
	ctx := context.Background()
	t.Run("user think tags", func(t *testing.T) {
		src := "package p\n\nfunc Tags() []string {\n\tx := []string{}\n\treturn append(x, \"<think>\", \"</think>\")\n}\n"
		req := Request{Text: src, Language: "go", Path: "p.go", Start: strings.Index(src, "x :="), End: strings.Index(src, "x :=")}
		in := PromptInput{Action: pick(t, req, Rewrite), Request: req}
		if msgs := Prompt(in); strings.Contains(msgs[1].Content, "\"<think>\"") {
			t.Fatal("the user's <think> reached the prompt as a token")
		}
		// The model copies the neutralised text back, after thinking of its own.
		answer := "<think>short</think>```go\nfunc Tags() []string {\n\treturn []string{\"<\u200bthink>\", \"<\u200b/think>\"}\n}\n```"
		res, err := Parse(in, answer, false, Result{})
		if err != nil {
			t.Fatal(err)
		}
		if got := apply(t, src, res.Edits); !strings.Contains(got, "\treturn []string{\"<think>\", \"</think>\"}\n}\n") {
			t.Fatalf("after the edit:\n%s", got)
		}
	})
	t.Run("whole-file fix", func(t *testing.T) {
		src := "package p\n\nimport \"fmt\"\n\nfunc Up(s string) string {\n\treturn fmt.Sprint(strings.ToUpper(s))\n}\n"
		at := strings.Index(src, "strings.ToUpper")
		req := Request{Text: src, Language: "go", Path: "p.go", Start: at, End: at,
			Diagnostics: []Diagnostic{{Start: at, End: at + 7, Message: "undefined: strings", Severity: 1}}}
		answer := "```go\npackage p\n\nimport (\n\t\"fmt\"\n\t\"strings\"\n)\n\nfunc Up(s string) string {\n\treturn fmt.Sprint(strings.ToUpper(s))\n}\n```"
		e := NewEngine(&fakeChat{answer: answer}, nil, Config{Model: "m"})
		res, err := e.Resolve(ctx, PromptInput{Action: pick(t, req, Fix), Request: req}, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := "package p\n\nimport (\n\t\"fmt\"\n\t\"strings\"\n)\n\nfunc Up(s string) string {\n\treturn fmt.Sprint(strings.ToUpper(s))\n}\n"
		if got := apply(t, src, res.Edits); got != want {
			t.Fatalf("after the fix:\n%s", got)
		}
	})
	t.Run("documented rewrite", func(t *testing.T) {
		req := Request{Text: srcGo, Language: "go", Path: "report/total.go", Start: strings.Index(srcGo, "t := 0"), End: strings.Index(srcGo, "t := 0")}
		answer := "```go\n// Total adds the amounts.\nfunc Total(xs []int) string {\n\tt := 0\n\tfor _, x := range xs {\n\t\tt += x\n\t}\n\treturn fmt.Sprint(t)\n}\n```"
		res, err := Parse(PromptInput{Action: pick(t, req, Rewrite), Request: req}, answer, false, Result{})
		if err != nil {
			t.Fatal(err)
		}
		if got := apply(t, srcGo, res.Edits); strings.Count(got, "// Total adds the amounts.") != 1 {
			t.Fatalf("doc comment stacked:\n%s", got)
		}
	})
}

// TestResolveTooLong: a prompt that cannot fit numCtx − numPredict is refused before any model
// call (Ollama would cut it from the front, the rules with it); snippets are dropped first.
func TestResolveTooLong(t *testing.T) {
	body := strings.Repeat("\tx = x + 1 // padding the function out\n", 300)
	src := "package p\n\nfunc Big(x int) int {\n" + body + "\treturn x\n}\n"
	req := Request{Text: src, Language: "go", Path: "p.go", Start: strings.Index(src, "\tx ="), End: strings.Index(src, "\tx =")}
	chat := &fakeChat{answer: "```go\nfunc Big(x int) int { return x + 300 }\n```"}
	e := NewEngine(chat, nil, Config{Model: "m", NumCtx: 2048, NumPredict: 512})
	_, err := e.Resolve(context.Background(), PromptInput{Action: pick(t, req, Rewrite), Request: req}, nil)
	if !errors.Is(err, ErrTooLong) || chat.n() != 0 {
		t.Fatalf("err %v, %d calls", err, chat.n())
	}
	small := "package p\n\nfunc Small(x int) int {\n\treturn x\n}\n"
	req = Request{Text: small, Language: "go", Path: "p.go", Start: strings.Index(small, "return"), End: strings.Index(small, "return")}
	snips := []Snippet{{Path: "big.go", Text: body + body}}
	_, err = e.Resolve(context.Background(), PromptInput{Action: pick(t, req, Rewrite), Request: req, Snippets: snips}, nil)
	if errors.Is(err, ErrTooLong) || chat.n() != 1 || strings.Contains(chat.calls[0].Messages[1].Content, "big.go") {
		t.Fatalf("snippets not dropped to fit: %v, %d calls", err, chat.n())
	}
}
