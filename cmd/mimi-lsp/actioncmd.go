package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/mimi-lsp/mimi-lsp/actions"
	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/internal/wiring"
	"github.com/mimi-lsp/mimi-lsp/lsp"
)

const actionUsage = `usage: mimi-lsp action [flags] FILE:LINE[:COL[-LINE:COL]] KIND
  KIND: rewrite, document, implement, tests, explain, or fix:MESSAGE (a diagnostic at the range)
  LINE and COL are 1-based (COL counts bytes); a second LINE:COL makes a selection.
  Prints the edit as a unified diff (the explanation for explain); applies nothing.`

// actionCmd runs one code action from the command line, as the editor's menu would.
func actionCmd(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer, log *slog.Logger) int {
	if len(args) != 2 {
		fmt.Fprintln(stderr, actionUsage)
		return 2
	}
	file, start, end, err := parseRange(args[0])
	if err != nil {
		fmt.Fprintf(stderr, "mimi-lsp action: %v\n%s\n", err, actionUsage)
		return 2
	}
	kind, message, _ := strings.Cut(args[1], ":")
	data, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintf(stderr, "mimi-lsp action: %v\n", err)
		return 1
	}
	doc := lsp.NewDocument(fileURIOf(file), languageOf(file), 1, string(data))
	var offs [2]int
	for i, p := range [2][2]int{start, end} {
		if p[0] > doc.LineCount() {
			fmt.Fprintf(stderr, "mimi-lsp action: line %d is past the end of %s (%d lines)\n", p[0], file, doc.LineCount())
			return 2
		}
		if offs[i], err = doc.Offset(lsp.Position{Line: uint32(p[0] - 1), Character: uint32(p[1] - 1)}, lsp.UTF8); err != nil {
			fmt.Fprintf(stderr, "mimi-lsp action: %v\n", err)
			return 2
		}
	}
	rel := filepath.ToSlash(filepath.Base(file))
	if wd, err := os.Getwd(); err == nil {
		if r, err := filepath.Rel(wd, file); err == nil && !strings.HasPrefix(r, "..") {
			rel = filepath.ToSlash(r)
		}
	}
	req := actions.Request{Text: doc.Text, Language: doc.LanguageID, Path: rel, Start: offs[0], End: offs[1], Scope: filepath.Dir(file)}
	if kind == string(actions.Fix) {
		if message == "" {
			fmt.Fprintln(stderr, "mimi-lsp action: fix needs the diagnostic: fix:MESSAGE")
			return 2
		}
		req.Diagnostics = []actions.Diagnostic{{Start: offs[0], End: offs[1], Message: message, Severity: 1}}
	}
	var act *actions.Action
	var offered []string
	for _, a := range actions.Catalogue(req) {
		offered = append(offered, string(a.ID))
		if string(a.ID) == kind && act == nil {
			act = &a
		}
	}
	if act == nil {
		fmt.Fprintf(stderr, "mimi-lsp action: no %q action there (offered: %s)\n", kind, strings.Join(offered, ", "))
		return 2
	}
	w := wiring.New(cfg, log)
	defer w.Close(time.Second)
	cfg.Indexing = false
	s, err := w.NewSession(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "mimi-lsp action: %v\n", err)
		return 2
	}
	defer s.Close()
	in := actions.PromptInput{Action: *act, Request: req}
	testAbs := ""
	if act.ID == actions.Tests {
		testAbs = filepath.Join(filepath.Dir(file), filepath.Base(actions.TestPath(filepath.ToSlash(file), doc.LanguageID)))
		in.TestFile = strings.TrimSuffix(rel, filepath.Base(rel)) + filepath.Base(testAbs)
		if b, err := os.ReadFile(testAbs); err == nil {
			in.TestText = string(b)
		}
	}
	fmt.Fprintf(stderr, "%s on %s…\n", act.Title, cfg.ActionModel)
	started := time.Now()
	res, err := s.ResolveAction(ctx, in, file, func(tokens int, elapsed time.Duration) {
		if tokens%50 == 0 {
			fmt.Fprintf(stderr, "  %d tokens, %.0f s\n", tokens, elapsed.Seconds())
		}
	})
	if err != nil {
		printFailure(stderr, "action", err, cfg)
		return 1
	}
	fmt.Fprintf(stderr, "%s, %s, %.1f s\n", res.Model, res.Source, time.Since(started).Seconds())
	if res.Notice != "" {
		fmt.Fprintln(stderr, "note: "+res.Notice)
	}
	switch {
	case res.Explanation != "":
		fmt.Fprintln(stdout, res.Explanation)
	case res.TestNew != "":
		d, _ := actions.UnifiedDiff(in.TestFile, "", []actions.Edit{{New: res.TestNew}})
		fmt.Fprint(stdout, strings.Replace(d, "--- a/"+in.TestFile, "--- /dev/null", 1))
	case len(res.TestEdits) > 0:
		d, err := actions.UnifiedDiff(in.TestFile, in.TestText, res.TestEdits)
		if err != nil {
			fmt.Fprintf(stderr, "mimi-lsp action: %v\n", err)
			return 1
		}
		fmt.Fprint(stdout, d)
	default:
		d, err := actions.UnifiedDiff(rel, doc.Text, res.Edits)
		if err != nil {
			fmt.Fprintf(stderr, "mimi-lsp action: %v\n", err)
			return 1
		}
		fmt.Fprint(stdout, d)
	}
	return 0
}

var selEnd = regexp.MustCompile(`^[0-9]+:[0-9]+$`)

// parseRange reads FILE:LINE[:COL[-LINE:COL]] (1-based): a cursor, or a selection.
func parseRange(s string) (file string, start, end [2]int, err error) {
	head, tail, sel := s, "", false
	if i := strings.LastIndexByte(s, '-'); i >= 0 && selEnd.MatchString(s[i+1:]) {
		head, tail, sel = s[:i], s[i+1:], true // else a "-" in the file name
	}
	parts := strings.Split(head, ":")
	nums := 0
	for i := len(parts) - 1; i >= 1 && nums < 2; i-- {
		if _, e := strconv.Atoi(parts[i]); e != nil {
			break
		}
		nums++
	}
	if nums == 0 {
		return "", start, end, fmt.Errorf("%q is not FILE:LINE[:COL[-LINE:COL]]", s)
	}
	vals := parts[len(parts)-nums:]
	start[0], _ = strconv.Atoi(vals[0])
	start[1] = 1
	if nums == 2 {
		start[1], _ = strconv.Atoi(vals[1])
	}
	end = start
	if sel {
		l, c, ok := strings.Cut(tail, ":")
		el, e1 := strconv.Atoi(l)
		ec, e2 := strconv.Atoi(c)
		if !ok || e1 != nil || e2 != nil {
			return "", start, end, fmt.Errorf("%q: the end of a selection is LINE:COL", s)
		}
		end = [2]int{el, ec}
	}
	if start[0] < 1 || start[1] < 1 || end[0] < 1 || end[1] < 1 || end[0] < start[0] || end[0] == start[0] && end[1] < start[1] {
		return "", start, end, fmt.Errorf("%q: lines and columns are 1-based and the selection ends after it starts", s)
	}
	file, err = filepath.Abs(strings.Join(parts[:len(parts)-nums], ":"))
	return file, start, end, err
}
