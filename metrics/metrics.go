// Package metrics holds the process's Prometheus registry and collectors (names by Prometheus
// conventions: mimi_ prefix, base units, bounded labels only — never paths or prompt text) and
// the sidecar HTTP server that serves them with a small JSON API. It is built once in wiring
// and passed down; nothing here is global.
package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/mimi-lsp/mimi-lsp/cache"
	"github.com/mimi-lsp/mimi-lsp/model"
)

// stageBuckets start at 10 µs: most stages of a completion take microseconds.
var stageBuckets = append([]float64{0.00001, 0.000025, 0.00005, 0.0001, 0.00025}, latencyBuckets...)

// latencyBuckets reach from a cache hit (sub-millisecond) past two minutes (the 30B model).
var latencyBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300}

// Metrics is the process's registry and the instruments the server records into.
type Metrics struct {
	Registry *prometheus.Registry

	requests    *prometheus.HistogramVec       // method, outcome
	completions *prometheus.HistogramVec       // source, outcome
	actions     *prometheus.HistogramVec       // action, outcome
	modelCalls  *prometheus.HistogramVec       // model, task, outcome
	firstToken  *prometheus.HistogramVec       // model, task
	tokens      *prometheus.CounterVec         // model, task, type
	promptBytes *prometheus.CounterVec         // model, task
	cutAnswers  *prometheus.CounterVec         // model, task
	stages      *prometheus.HistogramVec       // stage
	stageObs    map[string]prometheus.Observer // the known stages, resolved once (hit path)
	suggestions *prometheus.CounterVec         // event, source, model
	index       *indexRuns
	models      modelLabels
}

// IndexSize is one workspace index's size.
type IndexSize struct {
	Files, Chunks int
}

// IndexSource gives the process's workspace indexes at scrape time.
type IndexSource func() []IndexSize

// Load is one model's calls running and waiting in the scheduler.
type Load struct {
	Model            string
	Running, Waiting int
}

// LoadSource gives the schedulers' queues at scrape time.
type LoadSource func() []Load

// CacheSource gives the process's cache statistics (all tiers merged, cache.Merge) to export
// at scrape time: the same numbers mimi/stats and the JSON API read, no second set of counters.
type CacheSource func() cache.Stats

// New builds the registry with the Go runtime and process collectors, the server's instruments
// and a collector over the caches.
func New(caches CacheSource, loads LoadSource, indexes ...IndexSource) *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{
		Registry: reg,
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "mimi_lsp_request_duration_seconds", Help: "LSP requests from receipt to reply, by method and outcome (ok, error, cancelled).",
			Buckets: latencyBuckets,
		}, []string{"method", "outcome"}),
		completions: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "mimi_completion_duration_seconds",
			Help:    "Completions from request to answer, by where the answer came from (memory, redis, typing-ahead, in-flight, model) and outcome (answered, empty, cancelled, superseded, error).",
			Buckets: stageBuckets, // a cache hit takes tens of microseconds
		}, []string{"source", "outcome"}),
		actions: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "mimi_code_action_duration_seconds", Help: "Resolved code actions by action and outcome (edit, explained, error, cancelled).",
			Buckets: latencyBuckets,
		}, []string{"action", "outcome"}),
	}
	m.modelCalls = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "mimi_model_call_duration_seconds", Help: "Ollama calls that ran, by model, task (completion, action, embed) and outcome (ok, cancelled, or the error kind).",
		Buckets: latencyBuckets,
	}, []string{"model", "task", "outcome"})
	m.firstToken = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "mimi_model_first_token_seconds", Help: "Time from a call's start to its first piece of text, by model and task.",
		Buckets: latencyBuckets,
	}, []string{"model", "task"})
	m.tokens = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mimi_model_tokens_total", Help: "Tokens Ollama evaluated, by model, task and type (prompt, eval).",
	}, []string{"model", "task", "type"})
	m.promptBytes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mimi_model_prompt_bytes_total", Help: "Bytes of prompt (or embedding input) sent to Ollama, by model and task.",
	}, []string{"model", "task"})
	m.cutAnswers = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mimi_model_cut_answers_total", Help: "Answers num_predict cut off (done_reason length), by model and task: trimmed, never cached.",
	}, []string{"model", "task"})
	m.stages = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "mimi_completion_stage_duration_seconds",
		Help:    "Where an answered completion's time goes, by stage: context (prompt assembly), retrieval (code from other files), cache (typing-ahead and cache lookups), debounce (waiting for the next keystroke), model (its queue, the generation, storing the answer), postprocess.",
		Buckets: stageBuckets,
	}, []string{"stage"})
	m.stageObs = map[string]prometheus.Observer{}
	for _, st := range []string{"context", "retrieval", "cache", "debounce", "model", "postprocess"} {
		m.stageObs[st] = m.stages.WithLabelValues(st)
	}
	m.suggestions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mimi_suggestions_total", Help: "Suggestions shown to the user and accepted by them (event), by source and model.",
	}, []string{"event", "source", "model"})
	m.index = &indexRuns{runs: map[*IndexRun]indexProgress{}}
	reg.MustRegister(m.requests, m.completions, m.actions, m.modelCalls, m.firstToken, m.tokens, m.promptBytes, m.cutAnswers,
		m.stages, m.suggestions, m.index)
	for _, ix := range indexes {
		if ix != nil {
			reg.MustRegister(&indexCollector{sizes: ix})
		}
	}
	if caches != nil {
		reg.MustRegister(&cacheCollector{caches: caches})
	}
	if loads != nil {
		reg.MustRegister(&loadCollector{loads: loads})
	}
	return m
}

// maxModelLabels bounds the model label: model names come from settings, which a client can
// change at will; past this many distinct names the rest count as "other".
const maxModelLabels = 16

// modelLabels remembers the model names already used as labels.
type modelLabels struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (l *modelLabels) label(name string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen[name] {
		return name
	}
	if len(l.seen) >= maxModelLabels {
		return "other"
	}
	if l.seen == nil {
		l.seen = map[string]bool{}
	}
	l.seen[name] = true
	return name
}

// ModelCall records one Ollama call (model.CallObserver).
func (m *Metrics) ModelCall(r model.CallRecord) {
	r.Model = m.models.label(r.Model)
	m.modelCalls.WithLabelValues(r.Model, r.Task, r.Outcome).Observe(r.Duration.Seconds())
	if r.FirstToken > 0 {
		m.firstToken.WithLabelValues(r.Model, r.Task).Observe(r.FirstToken.Seconds())
	}
	if r.PromptTokens > 0 {
		m.tokens.WithLabelValues(r.Model, r.Task, "prompt").Add(float64(r.PromptTokens))
	}
	if r.EvalTokens > 0 {
		m.tokens.WithLabelValues(r.Model, r.Task, "eval").Add(float64(r.EvalTokens))
	}
	m.promptBytes.WithLabelValues(r.Model, r.Task).Add(float64(r.PromptBytes))
	if r.Cut {
		m.cutAnswers.WithLabelValues(r.Model, r.Task).Inc()
	}
}

// CompletionStage records the time one stage of a completion took (completion.Observer).
func (m *Metrics) CompletionStage(stage string, d time.Duration) {
	if o, ok := m.stageObs[stage]; ok {
		o.Observe(d.Seconds())
		return
	}
	m.stages.WithLabelValues(stage).Observe(d.Seconds())
}

var (
	callsRunning = prometheus.NewDesc("mimi_model_calls_running", "Ollama calls running per model.", []string{"model"}, nil)
	callsWaiting = prometheus.NewDesc("mimi_model_calls_waiting", "Ollama calls waiting in the scheduler's queue per model.", []string{"model"}, nil)
)

// loadCollector exports the schedulers' queues as they are at scrape time.
type loadCollector struct {
	loads LoadSource
}

func (c *loadCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- callsRunning
	ch <- callsWaiting
}

func (c *loadCollector) Collect(ch chan<- prometheus.Metric) {
	sum := map[string][2]int{}
	for _, l := range c.loads() {
		a := sum[l.Model]
		sum[l.Model] = [2]int{a[0] + l.Running, a[1] + l.Waiting}
	}
	for m, v := range sum {
		ch <- prometheus.MustNewConstMetric(callsRunning, prometheus.GaugeValue, float64(v[0]), m)
		ch <- prometheus.MustNewConstMetric(callsWaiting, prometheus.GaugeValue, float64(v[1]), m)
	}
}

// Request records one LSP request's reply (lsp.Observer).
func (m *Metrics) Request(method string, d time.Duration, outcome string) {
	m.requests.WithLabelValues(boundedMethod(method), outcome).Observe(d.Seconds())
}

// Completion records one completion (lsp.Observer).
func (m *Metrics) Completion(source, outcome string, d time.Duration) {
	if source == "" {
		source = "none"
	}
	m.completions.WithLabelValues(source, outcome).Observe(d.Seconds())
}

// Suggestion records a suggestion shown or accepted (lsp.Observer).
func (m *Metrics) Suggestion(event, source, model string) {
	m.suggestions.WithLabelValues(event, source, m.models.label(model)).Inc()
}

// Action records one resolved code action (lsp.Observer).
func (m *Metrics) Action(action, outcome string, d time.Duration) {
	m.actions.WithLabelValues(action, outcome).Observe(d.Seconds())
}

// knownMethods bounds the method label: anything else a client sends counts as "other".
var knownMethods = map[string]bool{"initialize": true, "shutdown": true, "textDocument/completion": true,
	"textDocument/inlineCompletion": true, "textDocument/codeAction": true, "codeAction/resolve": true,
	"workspace/executeCommand": true, "mimi/stats": true}

func boundedMethod(m string) string {
	if knownMethods[m] {
		return m
	}
	return "other"
}

// cacheCollector exports the caches' counters as they are at scrape time.
type cacheCollector struct {
	caches CacheSource
}

var (
	cacheLookups = prometheus.NewDesc("mimi_cache_lookups_total", "Cache lookups by kind and result (hit, miss), all tiers together.",
		[]string{"kind", "result"}, nil)
	cacheTierLookups = prometheus.NewDesc("mimi_cache_tier_lookups_total", "Cache lookups by tier (memory, redis), kind and result.",
		[]string{"tier", "kind", "result"}, nil)
	cacheProblems = prometheus.NewDesc("mimi_cache_tier_problems_total", "Shared-tier lookups without a verdict, by reason (error, skipped, corrupt, unverified).",
		[]string{"tier", "reason"}, nil)
	cacheKeys  = prometheus.NewDesc("mimi_cache_keys", "Keys held by the memory tier.", nil, nil)
	cacheBytes = prometheus.NewDesc("mimi_cache_bytes", "Bytes held by the memory tier.", nil, nil)
	breakerUp  = prometheus.NewDesc("mimi_cache_breaker_open", "1 while the shared tier's circuit breaker is open (or half-open), else 0.",
		[]string{"tier"}, nil)
)

func (c *cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{cacheLookups, cacheTierLookups, cacheProblems, cacheKeys, cacheBytes, breakerUp} {
		ch <- d
	}
}

func (c *cacheCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.caches()
	for k, v := range s.Kinds {
		ch <- prometheus.MustNewConstMetric(cacheLookups, prometheus.CounterValue, float64(v.Hits), string(k), "hit")
		ch <- prometheus.MustNewConstMetric(cacheLookups, prometheus.CounterValue, float64(v.Misses), string(k), "miss")
	}
	for name, ts := range s.Tiers {
		for k, v := range ts.Kinds {
			ch <- prometheus.MustNewConstMetric(cacheTierLookups, prometheus.CounterValue, float64(v.Hits), name, string(k), "hit")
			ch <- prometheus.MustNewConstMetric(cacheTierLookups, prometheus.CounterValue, float64(v.Misses), name, string(k), "miss")
		}
		for reason, n := range map[string]uint64{"error": ts.Errors, "skipped": ts.Skipped, "corrupt": ts.Corrupt, "unverified": ts.Unverified} {
			ch <- prometheus.MustNewConstMetric(cacheProblems, prometheus.CounterValue, float64(n), name, reason)
		}
		if ts.Breaker != "" {
			open := 0.0
			if ts.Breaker != "closed" {
				open = 1
			}
			ch <- prometheus.MustNewConstMetric(breakerUp, prometheus.GaugeValue, open, name)
		}
	}
	ch <- prometheus.MustNewConstMetric(cacheKeys, prometheus.GaugeValue, float64(s.Keys))
	ch <- prometheus.MustNewConstMetric(cacheBytes, prometheus.GaugeValue, float64(s.Bytes))
}
