package metrics

import (
	"context"
	"net/http"
	"time"
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
		// A slow Ollama must not hide this process's own numbers from a caller with a short
		// deadline (mimi-lsp status waits 3 s).
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
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
