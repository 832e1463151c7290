package metrics

import (
	"sort"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// This file reads the registry's own instruments back: mimi/stats, /api/models/stats and
// `mimi-lsp status` are views of the numbers Prometheus scrapes, never a second set of counters.

// CompletionStats is the completion part of mimi/stats.
type CompletionStats struct {
	Requests uint64 `json:"requests"`
	// BySource counts answered (or empty) completions by where the answer came from:
	// memory, redis, typing-ahead, in-flight, model ("none" when nothing was asked, e.g. in
	// a secret file).
	BySource map[string]uint64 `json:"bySource"`
	// ByOutcome counts every completion by outcome: answered, empty, cancelled, superseded, error.
	ByOutcome map[string]uint64 `json:"byOutcome"`
	// P50/P95/P99 of completions that were answered, estimated from the histogram's buckets.
	P50 float64 `json:"p50Seconds"`
	P95 float64 `json:"p95Seconds"`
	P99 float64 `json:"p99Seconds"`
	// ModelCalls counts completion calls to Ollama that ran; PromptBytes what they sent;
	// CutAnswers those num_predict cut off.
	ModelCalls  uint64 `json:"modelCalls"`
	PromptBytes uint64 `json:"promptBytes"`
	CutAnswers  uint64 `json:"cutAnswers"`
	// Shown and Accepted count suggestions the editor got and the user took (the accept
	// command); AcceptRate is Accepted/Shown; AcceptedBySource splits Accepted by source.
	Shown            uint64            `json:"shown"`
	Accepted         uint64            `json:"accepted"`
	AcceptRate       float64           `json:"acceptRate"`
	AcceptedBySource map[string]uint64 `json:"acceptedBySource"`
}

// CompletionStats reads the completion instruments.
func (m *Metrics) CompletionStats() CompletionStats {
	out := CompletionStats{BySource: map[string]uint64{}, ByOutcome: map[string]uint64{}, AcceptedBySource: map[string]uint64{}}
	answered := newHistAcc()
	readVec(m.completions, func(l labels, d *dto.Metric) {
		n := d.GetHistogram().GetSampleCount()
		out.Requests += n
		out.ByOutcome[l["outcome"]] += n
		if o := l["outcome"]; o == "answered" || o == "empty" {
			out.BySource[l["source"]] += n
			if o == "answered" { // as the dashboard's quantiles
				answered.add(d.GetHistogram())
			}
		}
	})
	out.P50, out.P95, out.P99 = answered.quantile(0.5), answered.quantile(0.95), answered.quantile(0.99)
	readVec(m.modelCalls, func(l labels, d *dto.Metric) {
		if l["task"] == "completion" {
			out.ModelCalls += d.GetHistogram().GetSampleCount()
		}
	})
	readVec(m.promptBytes, func(l labels, d *dto.Metric) {
		if l["task"] == "completion" {
			out.PromptBytes += uint64(d.GetCounter().GetValue())
		}
	})
	readVec(m.cutAnswers, func(l labels, d *dto.Metric) {
		if l["task"] == "completion" {
			out.CutAnswers += uint64(d.GetCounter().GetValue())
		}
	})
	readVec(m.suggestions, func(l labels, d *dto.Metric) {
		n := uint64(d.GetCounter().GetValue())
		switch l["event"] {
		case "shown":
			out.Shown += n
		case "accepted":
			out.Accepted += n
			out.AcceptedBySource[l["source"]] += n
		}
	})
	if out.Shown > 0 {
		out.AcceptRate = float64(out.Accepted) / float64(out.Shown)
	}
	return out
}

// callStats reads the model call histogram: calls per model (all tasks and outcomes) with
// quantiles estimated from the buckets.
func (m *Metrics) callStats() map[string]CallStats {
	per := map[string]*histAcc{}
	readVec(m.modelCalls, func(l labels, d *dto.Metric) {
		a := per[l["model"]]
		if a == nil {
			a = newHistAcc()
			per[l["model"]] = a
		}
		a.add(d.GetHistogram())
	})
	out := make(map[string]CallStats, len(per))
	for model, a := range per {
		out[model] = CallStats{Calls: a.count, P50: a.quantile(0.5), P95: a.quantile(0.95), P99: a.quantile(0.99)}
	}
	return out
}

type labels map[string]string

// readVec calls fn with each series c holds now.
func readVec(c prometheus.Collector, fn func(labels, *dto.Metric)) {
	ch := make(chan prometheus.Metric, 64)
	go func() {
		c.Collect(ch)
		close(ch)
	}()
	for pm := range ch {
		var d dto.Metric
		if pm.Write(&d) != nil {
			continue
		}
		l := make(labels, len(d.Label))
		for _, p := range d.Label {
			l[p.GetName()] = p.GetValue()
		}
		fn(l, &d)
	}
}

// histAcc sums histograms with the same buckets.
type histAcc struct {
	count   uint64
	buckets map[float64]uint64 // upper bound → cumulative count
}

func newHistAcc() *histAcc { return &histAcc{buckets: map[float64]uint64{}} }

func (a *histAcc) add(h *dto.Histogram) {
	if h == nil {
		return
	}
	a.count += h.GetSampleCount()
	for _, b := range h.Bucket {
		a.buckets[b.GetUpperBound()] += b.GetCumulativeCount()
	}
}

// quantile estimates the p-quantile, linear within a bucket as PromQL's histogram_quantile
// does (0 when there are no samples; the highest finite bound when it lies past it).
func (a *histAcc) quantile(p float64) float64 {
	if a.count == 0 {
		return 0
	}
	bounds := make([]float64, 0, len(a.buckets))
	for b := range a.buckets {
		bounds = append(bounds, b)
	}
	sort.Float64s(bounds)
	rank := p * float64(a.count)
	lower, prev := 0.0, uint64(0)
	for _, b := range bounds {
		c := a.buckets[b]
		if float64(c) >= rank && c > prev {
			return lower + (b-lower)*(rank-float64(prev))/float64(c-prev)
		}
		lower, prev = b, c
	}
	return lower
}
