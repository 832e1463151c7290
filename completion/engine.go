// Package completion is the FIM engine: it assembles context around the cursor, renders the
// model family's prompt, reuses cached or in-flight answers, asks the model and post-processes.
package completion

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mimi-lsp/mimi-lsp/cache"
	"github.com/mimi-lsp/mimi-lsp/internal/codescan"
	"github.com/mimi-lsp/mimi-lsp/model"
)

// Generator is the model call the engine needs (model.Scheduler satisfies it). call carries
// the task and lets the engine mark the call idle while nobody wants its answer.
type Generator interface {
	Generate(ctx context.Context, call *model.Call, req model.GenerateRequest, onChunk func(chunk, soFar string) bool) (model.Generation, error)
}

// Config is the engine's part of the server configuration.
type Config struct {
	Model        string
	Template     string // "auto" or a template name
	Options      model.Options
	KeepAlive    time.Duration
	PrefixTokens int
	SuffixTokens int
	MultiLine    bool
	MaxLines     int
	// Debounce is how long a request waits before asking the model (pace.go); Adaptive
	// stretches it while the user types fast.
	Debounce time.Duration
	Adaptive bool
}

// Request is one completion at a cursor.
type Request struct {
	Text     string // the whole document
	Offset   int    // cursor, a byte offset into Text
	Path     string // workspace-relative path ("" for untitled)
	File     string // absolute filesystem path ("" for untitled): checked against the denylist
	Repo     string
	Language string
	Snippets []Snippet
	// Scope keeps cached answers of one workspace (or team) apart from another's in a shared
	// cache: it is part of every key.
	Scope string
	// TypingInterval is the recent time between the user's edits of this document (0 when
	// unknown or after a pause): adaptive pacing waits longer while it is short.
	TypingInterval time.Duration
	// Explicit: the user asked for this suggestion (not typing-triggered): it never waits.
	Explicit bool
	// Retrieved: Snippets were looked for already (empty or not); not again.
	Retrieved bool
}

// Source says where an answer came from.
type Source string

const (
	SourceModel     Source = "model"
	SourceMemory    Source = "memory"       // exact hit in the memory tier
	SourceRedis     Source = "redis"        // exact hit in the shared tier
	SourceTypeahead Source = "typing-ahead" // the rest of a suggestion the user is typing
	SourceShared    Source = "in-flight"    // joined an identical request already asking the model
)

// Cache is the cache as the engine uses it (cache.Tiered satisfies it).
type Cache interface {
	GetTier(ctx context.Context, kind cache.Kind, key string) ([]byte, string, error)
	// GetLocal answers from memory only, at once; a miss is not counted (Ready).
	GetLocal(kind cache.Kind, key string) ([]byte, bool)
	Set(ctx context.Context, kind cache.Kind, key string, val []byte) error
}

// Result is a post-processed suggestion ("" when there is nothing worth showing).
type Result struct {
	Text     string
	Model    string
	Source   Source
	Template string
	// Ref names the suggestion for Engine.Accepted (opaque: no text in it).
	Ref Ref
	// Notice is for the user, once (a file denied for the credential it holds): "" mostly.
	Notice string
}

// Ref names a shown suggestion so an accept can be reported back.
type Ref struct {
	ctxKey string
	id     uint64
}

// ID identifies the suggestion: the rest of it served by typing-ahead as the user types on
// (and the same answer served again at the same place) has the same ID; 0 when unknown.
func (r Ref) ID() uint64 { return r.id }

// Engine answers completions. It is safe for concurrent use.
type Engine struct {
	log    *slog.Logger
	ta     *typeahead
	obs    Observer
	grace  time.Duration // how long a call nobody wants runs on (flight.go)
	after  afterFunc
	now    func() time.Time // the clock stages are timed with
	memo   prepMemo         // the last prompt prepared (prepare_memo.go)
	cfgGen atomic.Uint64    // bumped by SetConfig

	fmu     sync.Mutex
	flights map[string]*flight // the one in-flight registry: cache key → model call, while it runs
	running sync.WaitGroup     // flight goroutines

	mu     sync.RWMutex
	cfg    Config
	gen    Generator
	cache  Cache
	warned map[string]bool

	deny denyGate // secret files (denylist.go)
}

// Option adjusts an engine built by New.
type Option func(*Engine)

// WithAbandonGrace sets how long a model call runs on after the last request that wanted it
// went away (default 150 ms): the next keystroke usually continues it.
func WithAbandonGrace(d time.Duration) Option { return func(e *Engine) { e.grace = d } }

// New returns an engine.
func New(gen Generator, c Cache, cfg Config, log *slog.Logger, opts ...Option) *Engine {
	e := &Engine{gen: gen, cache: c, cfg: cfg, log: log, warned: map[string]bool{}, ta: newTypeahead(256),
		flights: map[string]*flight{}, grace: defaultAbandonGrace, after: realAfterFunc, obs: noObserver{}, now: time.Now}
	for _, o := range opts {
		o(e)
	}
	return e
}

// SetConfig replaces the configuration (didChangeConfiguration). Typing-ahead state, calls in
// flight stay; new requests use cfg.
func (e *Engine) SetConfig(cfg Config) {
	e.mu.Lock()
	e.cfg = cfg
	e.cfgGen.Add(1) // after the change: a prompt memoised before it is not reused
	e.mu.Unlock()
}

// SetBackend replaces the model and the cache (the Ollama host or Redis changed) without
// rebuilding the engine: typing-ahead state and statistics stay, and calls in flight finish on
// the backend they started with. New requests use gen and c.
func (e *Engine) SetBackend(gen Generator, c Cache) {
	e.mu.Lock()
	e.gen, e.cache = gen, c
	e.mu.Unlock()
}

func (e *Engine) backend() (Generator, Cache) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.gen, e.cache
}

// Config returns the current configuration.
func (e *Engine) Config() Config {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.cfg
}

// Prepared is a rendered prompt with everything needed to ask and post-process.
type Prepared struct {
	Prompt   string
	Key      string
	Template *Template
	pp       *ppContext
	req      model.GenerateRequest
	ctxKey   string // everything but the prefix (typing-ahead matching)
	offset   int
}

// Prepare builds the prompt and cache key without asking anything.
func (e *Engine) Prepare(r Request) (*Prepared, error) {
	if p := e.memo.get(r, e.cfgGen.Load()); p != nil {
		return p, nil
	}
	gen := e.cfgGen.Load()
	p, err := e.prepare(r)
	if err == nil {
		e.memo.put(r, gen, p)
	}
	return p, err
}

func (e *Engine) prepare(r Request) (*Prepared, error) {
	cfg := e.Config()
	if r.Offset < 0 || r.Offset > len(r.Text) {
		return nil, fmt.Errorf("cursor offset %d outside document of %d bytes", r.Offset, len(r.Text))
	}
	t, known, err := TemplateFor(cfg.Template, cfg.Model, len(r.Snippets) > 0)
	if err != nil {
		return nil, err
	}
	if !known {
		e.warnOnce("template:"+cfg.Model, "unrecognised model family; using the qwen FIM format (set fimTemplate to override)", "model", cfg.Model)
	}
	prefix, suffix := Windows(r.Text, r.Offset, cfg.PrefixTokens, cfg.SuffixTokens)
	prompt := t.Render(PromptInput{Prefix: prefix, Suffix: suffix, Path: r.Path, Repo: r.Repo, Language: r.Language, Snippets: r.Snippets})
	opts := fmt.Sprintf("ctx=%d predict=%d temp=%g top_p=%g seed=%d multi=%t lines=%d",
		cfg.Options.NumCtx, cfg.Options.NumPredict, cfg.Options.Temperature, cfg.Options.TopP, cfg.Options.Seed, cfg.MultiLine, cfg.MaxLines)
	p := &Prepared{
		Prompt:   prompt,
		Key:      cache.Key(TemplateVersion, t.Name, cfg.Model, opts, r.Scope, prompt),
		ctxKey:   cache.Key(TemplateVersion, t.Name, cfg.Model, opts, r.Scope, r.Path, suffix),
		offset:   r.Offset,
		Template: t,
		pp:       newPPContext(prefix, suffix, t, cfg.MultiLine, cfg.MaxLines, codescan.For(r.Language, r.Path)),
		req: model.GenerateRequest{
			Model: cfg.Model, Prompt: prompt, Options: cfg.Options, Stop: t.Stop, KeepAlive: cfg.KeepAlive,
		},
	}
	p.pp.Rest = r.Text[r.Offset:] // not copies: the request's document
	p.pp.Before = r.Text[:r.Offset]
	if p.pp.midLine() {
		// Mid-line answers end at the line's end: let Ollama stop there.
		p.req.Stop = append(slices.Clone(t.Stop), "\n")
	}
	return p, nil
}

// Complete answers one request: typing-ahead, then the cache (memory, then Redis), then an
// identical in-flight request, then the model.
func (e *Engine) Complete(ctx context.Context, r Request) (Result, error) {
	r, p, res, st, t, err := e.begin(r)
	if p == nil {
		return res, err // a secret file (nothing, perhaps a notice) or no prompt
	}
	// Typing-ahead may wait here for a suggestion that is still streaming: that wait counts as
	// the cache stage (it is the rest of an answer already being paid for).
	if rest, id, ok := e.ta.lookup(ctx, p.ctxKey, r.Text, r.Offset); ok {
		res.Ref.id = id
		st.cache = e.now().Sub(t)
		e.report(&st)
		res.Text, res.Source = rest, SourceTypeahead
		return res, nil
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	_, c := e.backend()
	v, tier, err := c.GetTier(ctx, cache.KindCompletion, p.Key)
	now := e.now()
	st.cache = now.Sub(t)
	if err != nil {
		e.log.Debug("cache lookup failed; asking the model", "err", err)
	} else if tier != "" {
		source := SourceMemory
		if tier == cache.TierRedis {
			source = SourceRedis
		}
		return e.cacheHit(r, p, res, v, source, &st, now), nil
	}
	if d := e.pace(r); d > 0 && !e.inFlight(p.Key) {
		// Nothing answers this yet: wait for the next keystroke before paying for a model call.
		if err := e.wait(ctx, d); err != nil {
			return res, err
		}
		st.debounce = d
		now = e.now()
	}
	for attempt := 0; ; attempt++ {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		f, leader := e.join(ctx, p, r, false)
		select {
		case <-ctx.Done():
			f.release()
			return res, ctx.Err()
		case <-f.done:
			f.release()
			if f.err != nil {
				// The call was abandoned just before we joined it, but we are still wanted: ask again.
				if model.KindOf(f.err) == model.KindCancelled && ctx.Err() == nil && attempt == 0 {
					continue
				}
				return res, f.err
			}
			// The request that started the call is answered by the model; the others shared it.
			res.Text, res.Source, res.Ref.id = f.text, SourceShared, f.sugg
			if leader {
				res.Source = SourceModel
			}
			// The wait was the model (its queue, the generation, storing the answer) and the
			// flight's post-processing, which is reported as its own stage.
			st.postprocess = f.pp
			st.model = max(0, e.now().Sub(now)-f.pp)
			e.report(&st)
			return res, nil
		}
	}
}

// begin is how Complete and Ready start: the secret-file gate (p nil, err nil: answer
// nothing), the prompt (p nil and err when it cannot be built), the result's frame, and the
// context stage timed up to t. The stages are reported only for a request that gets its answer.
func (e *Engine) begin(r Request) (Request, *Prepared, Result, stages, time.Time, error) {
	var st stages
	r, denied, notice := e.deny.apply(r, e.log)
	if denied {
		return r, nil, Result{Notice: notice}, st, time.Time{}, nil
	}
	start := e.now()
	p, err := e.Prepare(r)
	if err != nil {
		return r, nil, Result{}, st, time.Time{}, err
	}
	res := Result{Model: p.req.Model, Template: p.Template.Name, Ref: Ref{ctxKey: p.ctxKey}}
	t := e.now()
	st.context = t.Sub(start)
	return r, p, res, st, t, nil
}

// cacheHit finishes a request the cache answered with v: the answer, typing-ahead state for
// it and the stages.
func (e *Engine) cacheHit(r Request, p *Prepared, res Result, v []byte, source Source, st *stages, since time.Time) Result {
	// A shared Redis is untrusted, and its values are copied into the memory tier: whatever is
	// stored, the answer obeys the shape rules this request applies to a model answer (our own
	// answers already do, so this changes nothing for them).
	res.Text, res.Source = sanitizeShared(string(v), p.pp), source
	res.Ref.id = e.ta.addDone(p.ctxKey, p.offset, p.pp.Prefix, res.Text)
	st.postprocess = e.now().Sub(since)
	e.report(st)
	return res
}

// stages is where one completion's time went.
type stages struct {
	context, cache, debounce, model, postprocess time.Duration
}

// report hands an answered completion's stages to the observer (a stage it did not go
// through is not reported).
func (e *Engine) report(st *stages) {
	e.obs.CompletionStage(StageContext, st.context)
	e.obs.CompletionStage(StageCache, st.cache)
	if st.postprocess > 0 || st.model > 0 {
		e.obs.CompletionStage(StagePostprocess, st.postprocess)
	}
	if st.debounce > 0 {
		e.obs.CompletionStage(StageDebounce, st.debounce)
	}
	if st.model > 0 {
		e.obs.CompletionStage(StageModel, st.model)
	}
}

func (e *Engine) warnOnce(key, msg string, args ...any) {
	e.mu.Lock()
	seen := e.warned[key]
	e.warned[key] = true
	e.mu.Unlock()
	if !seen {
		e.log.Warn(msg, args...)
	}
}
