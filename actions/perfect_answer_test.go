package actions

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestPerfectAnswerRoundTrip: a perfect answer for a Python method whose body holds a string
// with lines at column 0 (and a bracket continued at column 0) — the method as it is, and
// dedented to column 0 as models answer — goes through Resolve and gives back the file byte
// for byte; an answer that changes one line changes that line only, and python3 parses the
// result (issue 17, finding 4: the target ended early and reindent over-indented, an
// IndentationError even for a perfect answer).
func TestPerfectAnswerRoundTrip(t *testing.T) {
	cur := strings.Index(pyReport, "‸")
	src := pyReport[:cur] + pyReport[cur+len("‸"):]
	method := strings.Replace(pyQuery, "‸", "", 1)
	changed := strings.Replace(method, "rows = db.run(sql, (day,))", "rows = list(db.run(sql, (day,)))", 1)
	tests := []struct {
		name, answer, want string
	}{
		{"as it is", method, src},
		{"at column 0", dedent(method, "    "), src},
		{"as it is, one line changed", changed, strings.Replace(src, method, changed, 1)},
		{"at column 0, one line changed", dedent(changed, "    "), strings.Replace(src, method, changed, 1)},
	}
	py := ""
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Request{Text: src, Language: "python", Path: "report.py", Start: cur, End: cur}
			a := pick(t, r, Rewrite)
			if got := src[a.Start:a.End]; got != method {
				t.Fatalf("target:\n%s\nwant the whole method:\n%s", got, method)
			}
			e := NewEngine(&fakeChat{answer: fenced("python", tt.answer)}, nil, Config{Model: "m"})
			res, err := e.Resolve(context.Background(), PromptInput{Action: a, Request: r}, nil)
			got := src
			switch {
			case errors.Is(err, ErrUnchanged):
			case err != nil:
				t.Fatal(err)
			default:
				got = apply(t, src, res.Edits)
			}
			if got != tt.want {
				t.Fatalf("after the answer:\n%s\nwant:\n%s", showIndent(got), showIndent(tt.want))
			}
			if py == "" {
				py = python3(t)
			}
			if err := pyParses(t, py, got); err != nil {
				t.Fatalf("python3 does not parse the result: %v\n%s", err, got)
			}
		})
	}
}
