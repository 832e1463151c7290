package model

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Backend is what the scheduler admits calls to (*Client satisfies it).
type Backend interface {
	Generate(ctx context.Context, req GenerateRequest, onChunk func(chunk, soFar string) bool) (Generation, error)
	Embed(ctx context.Context, modelName string, inputs []string, keepAlive time.Duration) ([][]float32, error)
}

// Scheduler is the one place where every call to an Ollama server is admitted. Each model has
// a queue ordered by priority (completion, then code action, then embedding; first come first
// served within one) and a limit of calls running at once (Ollama's OLLAMA_NUM_PARALLEL, 1 by
// default). A call whose context ends while it waits leaves the queue at once. An embedding
// batch is one call: a completion that arrives during a long indexing run waits for at most the
// batch that is running.
//
// Ollama serves a model's calls one after another, so a running call that nobody wants any
// more (its owner marked it idle, see Call.SetIdle) is cancelled as soon as a wanted call of
// the same or a higher priority waits for a slot of its model.
type Scheduler struct {
	b     Backend
	host  string
	log   *slog.Logger
	event func(ev string, t *ticket) // tests: called with mu held

	mu                 sync.Mutex
	limit              int
	seq                uint64
	completionsStarted uint64 // completions admitted so far (embedding batches count them)
	models             map[string]*queue
	observer           CallObserver
}

// queue is one model's calls: those running and those waiting, best first.
type queue struct {
	running map[*ticket]struct{}
	waiting []*ticket
}

// ticket is one call as the scheduler sees it.
type ticket struct {
	model    string
	task     Task
	rank     int
	seq      uint64
	call     *Call
	cancel   context.CancelCauseFunc // ends the context the call runs (or waits) with
	ready    chan struct{}           // closed when admitted
	admitted bool
	// completionsAtQueue is Scheduler.completionsStarted when the ticket was created.
	completionsAtQueue uint64
}

// errAbandoned is the cause of a call cancelled because nobody wanted it and another call waited.
var errAbandoned = errors.New("idle call cancelled: another call waits for the model")

// NewScheduler admits calls to b, at most limit at once per model (values below 1 mean 1).
func NewScheduler(b Backend, limit int, log *slog.Logger) *Scheduler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Scheduler{b: b, log: log, limit: max(1, limit), models: map[string]*queue{}}
	if h, ok := b.(interface{ Host() string }); ok {
		s.host = h.Host()
	}
	return s
}

// Close releases the backend's idle connections once nobody uses the scheduler any more.
func (s *Scheduler) Close() {
	if c, ok := s.b.(interface{ Close() }); ok {
		c.Close()
	}
}

// SetLimit changes how many calls run at once per model; calls that now fit start at once.
func (s *Scheduler) SetLimit(limit int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit = max(1, limit)
	for _, q := range s.models {
		s.dispatchLocked(q)
	}
}

// Limit returns how many calls run at once per model.
func (s *Scheduler) Limit() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limit
}

// Load is what a model's queue holds now.
type Load struct {
	Running, Waiting int
}

// Load returns the calls running and waiting for modelName.
func (s *Scheduler) Load(modelName string) Load {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.models[modelName]
	if q == nil {
		return Load{}
	}
	return Load{Running: len(q.running), Waiting: len(q.waiting)}
}

// Generate runs one generation when its model has a free slot. call carries the task (its
// priority) and lets the owner mark the call idle; nil means a completion nobody marks.
func (s *Scheduler) Generate(ctx context.Context, call *Call, req GenerateRequest, onChunk func(chunk, soFar string) bool) (Generation, error) {
	if call == nil {
		call = NewCall(TaskCompletion)
	}
	cctx, done, err := s.admit(ctx, call, req.Model)
	if err != nil {
		return Generation{}, err
	}
	defer done()
	o := s.observe(req.Model, call.Task(), len(req.Prompt))
	g, err := s.b.Generate(cctx, req, func(chunk, soFar string) bool {
		o.chunk()
		return onChunk == nil || onChunk(chunk, soFar)
	})
	o.done(cctx, err, g.PromptCount, g.EvalCount, g.DoneReason)
	return g, err
}

// Embed embeds one batch at the lowest priority. Each batch is admitted on its own, so an
// indexer that embeds batch after batch lets waiting completions and actions go between them.
func (s *Scheduler) Embed(ctx context.Context, modelName string, inputs []string, keepAlive time.Duration) ([][]float32, error) {
	cctx, done, err := s.admit(ctx, NewCall(TaskEmbed), modelName)
	if err != nil {
		return nil, err
	}
	defer done()
	n := 0
	for _, in := range inputs {
		n += len(in)
	}
	o := s.observe(modelName, TaskEmbed, n)
	vs, err := s.b.Embed(cctx, modelName, inputs, keepAlive)
	o.done(cctx, err, 0, 0, "")
	return vs, err
}

// admit waits for a slot of modelName. It returns the context to run the call with (cancelled
// when the call is abandoned) and the function that frees the slot.
func (s *Scheduler) admit(ctx context.Context, call *Call, modelName string) (context.Context, func(), error) {
	cctx, cancel := context.WithCancelCause(ctx)
	t := &ticket{model: modelName, task: call.task, rank: rankOf(call.task), call: call, cancel: cancel, ready: make(chan struct{})}
	if err := call.attach(s, t); err != nil {
		cancel(nil)
		return nil, nil, err
	}
	s.mu.Lock()
	s.seq++
	t.seq = s.seq
	t.completionsAtQueue = s.completionsStarted
	q := s.models[modelName]
	if q == nil {
		q = &queue{running: map[*ticket]struct{}{}}
		s.models[modelName] = q
	}
	if cctx.Err() == nil && len(q.running) < s.limit && len(q.waiting) == 0 && !s.yieldsLocked(t) {
		s.startLocked(q, t)
		s.mu.Unlock()
		return cctx, s.doneFunc(q, t), nil
	}
	if cctx.Err() == nil {
		i, _ := slices.BinarySearchFunc(q.waiting, t, compareTickets)
		q.waiting = slices.Insert(q.waiting, i, t)
		s.emit("queued", t)
		s.abandonIdleLocked(q)
	}
	s.mu.Unlock()
	select {
	case <-t.ready:
		return cctx, s.doneFunc(q, t), nil
	case <-cctx.Done():
	}
	s.mu.Lock()
	if t.admitted {
		// Admitted as the context ended: give the slot back, it was ours.
		s.mu.Unlock()
		s.doneFunc(q, t)()
	} else {
		s.removeLocked(q, t)
		s.emit("left", t)
		s.mu.Unlock()
		cancel(nil)
	}
	return nil, nil, s.queuedError(ctx, cctx, modelName)
}

// doneFunc frees t's slot (once) and starts the best waiting call.
func (s *Scheduler) doneFunc(q *queue, t *ticket) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			delete(q.running, t)
			s.emit("done", t)
			if len(q.running) == 0 && len(q.waiting) == 0 && s.models[t.model] == q {
				delete(s.models, t.model)
			}
			s.dispatchAllLocked()
			s.mu.Unlock()
			t.cancel(nil)
		})
	}
}

func (s *Scheduler) startLocked(q *queue, t *ticket) {
	if t.task == TaskCompletion {
		s.completionsStarted++
	}
	t.admitted = true
	q.running[t] = struct{}{}
	s.emit("admitted", t)
	close(t.ready)
}

func (s *Scheduler) dispatchLocked(q *queue) {
	for len(q.running) < s.limit && len(q.waiting) > 0 && !s.yieldsLocked(q.waiting[0]) {
		t := q.waiting[0]
		q.waiting = q.waiting[1:]
		s.startLocked(q, t)
	}
}

// dispatchAllLocked starts what now fits in every model's queue: a completion ending may let an
// embedding batch of another model start.
func (s *Scheduler) dispatchAllLocked() {
	for _, q := range s.models {
		s.dispatchLocked(q)
	}
}

// yieldsLocked reports whether t must wait for completions of other models: Ollama runs the
// embedding model and the completion model side by side on one machine (one GPU), so a batch
// started during a completion slows that completion down, or, when both models do not fit in
// memory, makes it wait for a model swap. Embedding batches therefore start only while no
// completion runs or waits on this server. (Completions never wait for embeddings: a batch
// already running is not interrupted, and it is one batch.)
//
// So that steady typing cannot hold indexing back forever, a completion nobody wants any more
// (idle, in its grace period) does not hold a batch back, and a batch that has seen
// maxYield completions start while it waited goes next regardless.
func (s *Scheduler) yieldsLocked(t *ticket) bool {
	if t.task != TaskEmbed || s.completionsStarted-t.completionsAtQueue >= maxYield {
		return false
	}
	for _, q := range s.models {
		for r := range q.running {
			if r.task == TaskCompletion && !r.call.isIdle() {
				return true
			}
		}
		if len(q.waiting) > 0 && q.waiting[0].task == TaskCompletion {
			return true
		}
	}
	return false
}

// maxYield bounds how many completions an embedding batch lets go first.
const maxYield = 8

func (s *Scheduler) removeLocked(q *queue, t *ticket) {
	if i := slices.Index(q.waiting, t); i >= 0 {
		q.waiting = slices.Delete(q.waiting, i, i+1)
	}
	if len(q.running) == 0 && len(q.waiting) == 0 && s.models[t.model] == q {
		delete(s.models, t.model)
	}
	s.dispatchAllLocked()
}

// abandonIdleLocked cancels the idle calls of q (running or waiting) when a wanted call of the
// same or a higher priority waits: Ollama would serve the idle ones first, for nobody.
func (s *Scheduler) abandonIdleLocked(q *queue) {
	best := -1 // rank of the best wanted waiting call
	for _, w := range q.waiting {
		if !w.call.isIdle() {
			best = w.rank
			break // waiting is sorted: the first wanted one is the best
		}
	}
	if best < 0 {
		return
	}
	abandon := func(t *ticket) bool {
		if t.rank < best || !t.call.abandonIfIdle() {
			return false
		}
		s.emit("abandoned", t)
		s.log.Debug("idle model call cancelled: another call waits", "model", t.model, "task", t.task)
		t.cancel(errAbandoned)
		return true
	}
	for t := range q.running {
		abandon(t)
	}
	q.waiting = slices.DeleteFunc(q.waiting, abandon)
}

func (s *Scheduler) queuedError(ctx, cctx context.Context, modelName string) error {
	cause := context.Cause(cctx)
	kind := KindCancelled
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		kind = KindTimeout
	}
	return &Error{Kind: kind, Model: modelName, Host: s.host, Err: fmt.Errorf("while waiting for the model: %w", cause)}
}

func (s *Scheduler) emit(ev string, t *ticket) {
	if s.event != nil {
		s.event(ev, t)
	}
}

// rankOf is a task's priority: lower goes first.
func rankOf(t Task) int {
	switch t {
	case TaskAction:
		return 1
	case TaskEmbed:
		return 2
	default:
		return 0
	}
}

func compareTickets(a, b *ticket) int {
	if c := cmp.Compare(a.rank, b.rank); c != 0 {
		return c
	}
	return cmp.Compare(a.seq, b.seq)
}
