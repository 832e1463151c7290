package actions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"strings"
	"time"

	"github.com/mimi-lsp/mimi-lsp/cache"
	"github.com/mimi-lsp/mimi-lsp/model"
)

// Chatter is the model as actions use it (*model.Scheduler satisfies it).
type Chatter interface {
	Chat(ctx context.Context, call *model.Call, req model.ChatRequest, onChunk func(chunk, soFar string, thinking bool) bool) (model.Generation, error)
}

// Cache is the answer cache (cache.Tiered satisfies it).
type Cache interface {
	GetTier(ctx context.Context, kind cache.Kind, key string) ([]byte, string, error)
	Set(ctx context.Context, kind cache.Kind, key string, val []byte) error
}

// Config configures an Engine.
type Config struct {
	Model       string
	NumCtx      int
	NumPredict  int
	Temperature float64
	KeepAlive   time.Duration
	Log         *slog.Logger
}

// Engine resolves actions: prompt, model (or cache), answer parsing, edits.
type Engine struct {
	chat  Chatter
	cache Cache
	cfg   Config
}

// NewEngine returns an engine asking chat and caching answers in c (nil: no cache).
func NewEngine(chat Chatter, c Cache, cfg Config) *Engine {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.NumCtx <= 0 {
		cfg.NumCtx = 16384
	}
	if cfg.NumPredict <= 0 {
		cfg.NumPredict = 2048
	}
	return &Engine{chat: chat, cache: c, cfg: cfg}
}

// Progress reports a running model call: answer pieces so far (about one token each) and time.
type Progress func(tokens int, elapsed time.Duration)

// Result is what an action made.
type Result struct {
	// Edits change the document (Rewrite, Fix, Implement, Document).
	Edits []Edit
	// TestFile is the file Tests writes (workspace-relative like Request.Path); TestEdits
	// change its current text, or TestNew holds the whole new file.
	TestFile  string
	TestEdits []Edit
	TestNew   string
	// Explanation is Explain's answer (Markdown).
	Explanation string
	Source      string // "model", "memory" or "redis"
	Model       string
	// Notice is something the user should read once (the action model is missing and the
	// completion model answered instead).
	Notice string
}

// ErrUnchanged: the model answered the code as it was.
var ErrUnchanged = errors.New("the model suggested no change")

// ErrTooLong: the prompt would not fit the model's context (Ollama would cut it from the front
// silently, rules included).
var ErrTooLong = errors.New("the code is too long for the action model's context")

// promptTokens estimates a prompt's tokens (3 bytes a token: code tokenises densely).
func promptTokens(msgs []model.Message) int {
	n := 0
	for _, m := range msgs {
		n += len(m.Content)/3 + 8
	}
	return n
}

// Resolve runs the action: its prompt goes to the action model (or an identical earlier answer
// comes from the cache), and the answer becomes edits. Thinking text never lands in a file; a
// refusal, an empty or unparsable answer, or one cut off mid-code is an error and no edit.
func (e *Engine) Resolve(ctx context.Context, in PromptInput, progress Progress) (Result, error) {
	msgs := Prompt(in)
	if promptTokens(msgs) > e.cfg.NumCtx-e.cfg.NumPredict && len(in.Snippets) > 0 {
		in.Snippets = nil // code from other files goes first
		msgs = Prompt(in)
	}
	if n := promptTokens(msgs); n > e.cfg.NumCtx-e.cfg.NumPredict {
		return Result{Model: e.cfg.Model}, fmt.Errorf("%w: about %d tokens of code and context, %d fit (numCtx %d minus numPredict %d): select less code",
			ErrTooLong, n, e.cfg.NumCtx-e.cfg.NumPredict, e.cfg.NumCtx, e.cfg.NumPredict)
	}
	key := e.key(in.Request.Scope, msgs)
	res := Result{Model: e.cfg.Model}
	answer, cut, src, err := e.answer(ctx, key, msgs, progress)
	if err != nil {
		return res, err
	}
	res.Source = src
	res, err = Parse(in, answer, cut, res)
	if err == nil && src == "model" && e.cache != nil {
		if serr := e.cache.Set(ctx, cache.KindAction, key, []byte(answer)); serr != nil {
			e.cfg.Log.Debug("action answer not cached", "err", serr)
		}
	}
	return res, err
}

func (e *Engine) key(scope string, msgs []model.Message) string {
	parts := []string{"action-v1", scope, e.cfg.Model, fmt.Sprint(e.cfg.NumCtx, e.cfg.NumPredict, e.cfg.Temperature)}
	for _, m := range msgs {
		parts = append(parts, m.Role, m.Content)
	}
	return cache.Key(parts...)
}

// answer returns the model's answer text, from the cache or the model.
func (e *Engine) answer(ctx context.Context, key string, msgs []model.Message, progress Progress) (text string, cut bool, src string, err error) {
	if e.cache != nil {
		if b, tier, err := e.cache.GetTier(ctx, cache.KindAction, key); err == nil && b != nil {
			return string(b), false, tier, nil
		}
	}
	start := time.Now()
	tokens := 0
	g, err := e.chat.Chat(ctx, model.NewCall(model.TaskAction), model.ChatRequest{
		Model: e.cfg.Model, Messages: msgs, KeepAlive: e.cfg.KeepAlive,
		Options: model.Options{NumCtx: e.cfg.NumCtx, NumPredict: e.cfg.NumPredict, Temperature: e.cfg.Temperature, TopP: 0.95},
	}, func(_, _ string, _ bool) bool {
		tokens++
		if progress != nil {
			progress(tokens, time.Since(start))
		}
		return true
	})
	if err != nil {
		return "", false, "", err
	}
	return g.Text, g.DoneReason == "length", "model", nil
}

// Parse turns an answer into the action's result (exported for the CLI and tests). Thinking is
// stripped first and the user's neutralised special tokens restored last, in the code taken:
// restoring first would let a "<think>" the user's code contains cut the answer.
func Parse(in PromptInput, answer string, cut bool, res Result) (Result, error) {
	r, a := in.Request, in.Action
	answer = StripThinking(answer)
	switch a.ID {
	case Explain:
		t := strings.TrimSpace(answer)
		if t == "" {
			return res, ErrNoCode
		}
		if refusal(t) && len(t) < 200 {
			return res, ErrRefused
		}
		res.Explanation = RestoreTokens(t)
		return res, nil
	case Document:
		return documentEdit(r, a, answer, cut, res)
	case Tests:
		return testsEdit(in, answer, cut, res)
	}
	target := r.Text[a.Start:a.End]
	first, _, _ := strings.Cut(target, "\n")
	find := newDeclFinder(r.Text, r.Language) // one scan of the document for its unit and its declaration
	code, block, err := extractCode(answer, Want{Language: r.Language, Name: a.Name, Indent: indentOf(first), Unit: indentUnit(find.lines()), Cut: cut})
	if err != nil {
		return res, err
	}
	code = RestoreTokens(code)
	if d, ok := find.at(a.Start); ok && a.Name != "" && d.HasDoc() && d.Start == a.Start {
		code = dropLeadingComments(code) // the target starts after the doc comment: keep one
	}
	if strings.HasSuffix(target, "\n") {
		code += "\n"
	}
	after := r.Text[:a.Start] + code + r.Text[a.End:]
	if r.Language == "go" {
		after = mergeGoImports(after, RestoreTokens(block))
	}
	res.Edits = MinimalEdits(r.Text, 0, len(r.Text), after)
	if len(res.Edits) == 0 {
		return res, ErrUnchanged
	}
	return res, nil
}

// dropLeadingComments removes the comment lines a code starts with.
func dropLeadingComments(code string) string {
	lines := strings.Split(code, "\n")
	i := 0
	for i < len(lines) && (strings.HasPrefix(strings.TrimSpace(lines[i]), "//") || strings.HasPrefix(strings.TrimSpace(lines[i]), "#")) {
		i++
	}
	if i == len(lines) {
		return code
	}
	return strings.Join(lines[i:], "\n")
}

// documentEdit inserts the comment of an answer before the declaration (a Python docstring:
// as the first line of its body), at the declaration's indentation.
func documentEdit(r Request, a Action, answer string, cut bool, res Result) (Result, error) {
	find := newDeclFinder(r.Text, r.Language)
	d, ok := find.at(a.Start)
	if !ok {
		return res, fmt.Errorf("the declaration moved: nothing to document")
	}
	if r.Language == "python" {
		doc := RestoreTokens(docstring(answer))
		if doc == "" {
			return res, ErrNoCode
		}
		at := lineEnd(r.Text, d.Start)
		if d.BodyStart > d.Start { // after a signature over several lines
			at = lineEnd(r.Text, d.BodyStart-1)
		}
		body := d.Indent + indentUnitOr(find.lines(), "    ")
		res.Edits = []Edit{{Start: at, End: at, New: body + strings.ReplaceAll(doc, "\n", "\n"+body) + "\n"}}
		return res, nil
	}
	code, _, err := extractCode(answer, Want{Language: r.Language, Indent: d.Indent, Cut: cut})
	if err != nil {
		return res, err
	}
	code = RestoreTokens(code)
	var lines []string
	for _, l := range strings.Split(code, "\n") {
		if !isCommentOrDecorator(l) || strings.HasPrefix(strings.TrimSpace(l), "@") {
			break // the comment ends where the declaration the model repeated starts
		}
		lines = append(lines, l)
	}
	if len(lines) == 0 {
		return res, fmt.Errorf("%w: no comment in the answer", ErrNoCode)
	}
	res.Edits = []Edit{{Start: d.Start, End: d.Start, New: strings.Join(lines, "\n") + "\n"}}
	return res, nil
}

// docstring finds a Python docstring ("""…""") in an answer, fenced or not.
func docstring(answer string) string {
	i := strings.Index(answer, `"""`)
	if i < 0 {
		return ""
	}
	j := strings.Index(answer[i+3:], `"""`)
	if j < 0 {
		return ""
	}
	body := strings.Split(strings.TrimSpace(answer[i+3:i+3+j]), "\n")
	for k, l := range body {
		body[k] = strings.TrimSpace(l)
	}
	return `"""` + strings.Join(body, "\n") + `"""`
}

// TestPath is the test file of a source file in the language's convention ("" when there is
// none: Tests is not offered).
func TestPath(p, lang string) string {
	dir, base := path.Split(p)
	ext := path.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	switch {
	case lang == "go" && ext == ".go":
		return dir + stem + "_test.go"
	case lang == "python" && ext == ".py":
		return dir + "test_" + base
	case ext == ".ts" || ext == ".js" || ext == ".tsx" || ext == ".jsx" || ext == ".mjs":
		return dir + stem + ".test" + ext
	}
	return ""
}
