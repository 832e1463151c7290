package completion

import "time"

// Observer records where a completion's time goes (metrics). Its method must be cheap and safe
// for concurrent use. The engine keeps no counters of its own: what mimi/stats reports is read
// back from the metrics this feeds, so there is one set of numbers.
type Observer interface {
	CompletionStage(stage string, d time.Duration)
}

// The stages a completion's time is split into.
const (
	StageContext     = "context"     // prefix, suffix, snippets and the prompt (Prepare)
	StageRetrieval   = "retrieval"   // code from other files (timed by whoever retrieves it)
	StageCache       = "cache"       // typing-ahead and the cache tiers
	StageDebounce    = "debounce"    // waiting for the next keystroke before asking the model (pace.go)
	StageModel       = "model"       // waiting for the model (its queue, the generation, storing the answer)
	StagePostprocess = "postprocess" // shaping an answer (or a shared cache value) for the editor
)

// WithObserver makes the engine report each stage's time to o.
func WithObserver(o Observer) Option {
	return func(e *Engine) {
		if o != nil {
			e.obs = o
		}
	}
}

type noObserver struct{}

func (noObserver) CompletionStage(string, time.Duration) {}
