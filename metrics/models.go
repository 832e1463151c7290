package metrics

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// ModelsAPI is what the models endpoints ask (wiring adapts the Ollama client).
type ModelsAPI interface {
	// Routes checks each task's model: present in Ollama, with the capability the task needs.
	Routes(ctx context.Context) (Ollama, []Route)
	// Running lists the models Ollama has loaded (/api/ps).
	Running(ctx context.Context) ([]RunningModel, error)
}

// Ollama is the server the routes point at.
type Ollama struct {
	Host      string `json:"host"`
	Reachable bool   `json:"reachable"`
	Detail    string `json:"detail,omitempty"`
}

// Route is one task's model and whether it is usable.
type Route struct {
	Task      string `json:"task"`
	Model     string `json:"model"`
	Available bool   `json:"available"`
	Detail    string `json:"detail"`
	Fix       string `json:"fix,omitempty"`
}

// RunningModel is one model loaded in Ollama.
type RunningModel struct {
	Name          string    `json:"name"`
	Size          int64     `json:"size"`
	SizeVRAM      int64     `json:"sizeVram"`
	ContextLength int       `json:"contextLength"`
	ExpiresAt     time.Time `json:"expiresAt"`
}

// CallStats are this process's calls to one model, from mimi_model_call_duration_seconds.
type CallStats struct {
	Calls uint64  `json:"calls"`
	P50   float64 `json:"p50Seconds"`
	P95   float64 `json:"p95Seconds"`
	P99   float64 `json:"p99Seconds"`
}

func (h *handlers) modelsAvailable(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Models == nil {
		jsonError(w, http.StatusServiceUnavailable, "no model client")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	o, routes := h.cfg.Models.Routes(ctx)
	writeJSON(w, http.StatusOK, map[string]any{"ollama": o, "models": routes})
}

func (h *handlers) modelsStats(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{"calls": h.m.callStats()}
	if h.cfg.Models != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		loaded, err := h.cfg.Models.Running(ctx)
		if err != nil {
			out["loadedError"] = err.Error()
		} else {
			out["loaded"] = loaded
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// callStats reads the model call histogram: calls per model (all tasks and outcomes) with
// quantiles estimated from the buckets (linear within a bucket, as histogram_quantile does).
func (m *Metrics) callStats() map[string]CallStats {
	ch := make(chan prometheus.Metric, 64)
	go func() {
		m.modelCalls.Collect(ch)
		close(ch)
	}()
	type acc struct {
		count   uint64
		buckets map[float64]uint64
	}
	per := map[string]*acc{}
	for pm := range ch {
		var d dto.Metric
		if pm.Write(&d) != nil || d.Histogram == nil {
			continue
		}
		model := ""
		for _, l := range d.Label {
			if l.GetName() == "model" {
				model = l.GetValue()
			}
		}
		a := per[model]
		if a == nil {
			a = &acc{buckets: map[float64]uint64{}}
			per[model] = a
		}
		a.count += d.Histogram.GetSampleCount()
		for _, b := range d.Histogram.Bucket {
			a.buckets[b.GetUpperBound()] += b.GetCumulativeCount()
		}
	}
	out := map[string]CallStats{}
	for model, a := range per {
		bounds := make([]float64, 0, len(a.buckets))
		for b := range a.buckets {
			bounds = append(bounds, b)
		}
		sort.Float64s(bounds)
		q := func(p float64) float64 {
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
		out[model] = CallStats{Calls: a.count, P50: q(0.5), P95: q(0.95), P99: q(0.99)}
	}
	return out
}
