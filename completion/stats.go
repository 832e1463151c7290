package completion

import "sync"

// Stats counts how completions were answered.
type Stats struct {
	Requests    uint64            `json:"requests"`
	BySource    map[Source]uint64 `json:"by_source"` // answered requests per source
	Failed      uint64            `json:"failed"`    // errors and cancellations (no source)
	ModelCalls  uint64            `json:"model_calls"`
	PromptBytes uint64            `json:"prompt_bytes"` // bytes of prompt sent to Ollama
	CutAnswers  uint64            `json:"cut_answers"`  // answers num_predict cut off (trimmed, not cached)
}

type stats struct {
	mu sync.Mutex
	s  Stats
}

func (st *stats) count(src Source) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.s.Requests++
	if src == "" {
		st.s.Failed++
		return
	}
	if st.s.BySource == nil {
		st.s.BySource = map[Source]uint64{}
	}
	st.s.BySource[src]++
}

func (st *stats) modelCall(promptBytes int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.s.ModelCalls++
	st.s.PromptBytes += uint64(promptBytes)
}

func (st *stats) cutAnswer() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.s.CutAnswers++
}

// Stats returns a snapshot.
func (e *Engine) Stats() Stats {
	e.stats.mu.Lock()
	defer e.stats.mu.Unlock()
	out := e.stats.s
	out.BySource = make(map[Source]uint64, len(e.stats.s.BySource))
	for k, v := range e.stats.s.BySource {
		out.BySource[k] = v
	}
	return out
}
