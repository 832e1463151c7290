// Package fakeollama is an in-process Ollama stand-in (httptest) for unit tests: it injects
// faults and latency the real server cannot be made to produce on demand. It never replaces
// the real-server e2e tests.
package fakeollama

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Behaviour decides the reply to one /api/generate or /api/chat request.
type Behaviour struct {
	Status     int           // non-200: reply {"error": Error} with this status
	Error      string        // error text for Status, or an in-stream error line when Status==200
	Chunks     []string      // streamed response pieces
	Delay      time.Duration // before the first byte
	ChunkDelay time.Duration // between chunks
	Hang       bool          // never answer (until the client goes away)
	Thinking   []string      // /api/chat: reasoning pieces streamed (as message.thinking) before Chunks
	DoneReason string        // the last line's done_reason ("" = "stop"; "length" when num_predict ended it)
}

// Request is what the fake saw.
type Request struct {
	Model     string         `json:"model"`
	Prompt    string         `json:"prompt"`
	Suffix    string         `json:"suffix"`
	Raw       bool           `json:"raw"`
	Stream    *bool          `json:"stream"`
	KeepAlive any            `json:"keep_alive"`
	Options   map[string]any `json:"options"`
	Messages  []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"messages"` // /api/chat
	Think any  `json:"think"`
	Chat  bool `json:"-"` // it came to /api/chat
}

// Server is a fake Ollama.
type Server struct {
	*httptest.Server
	mu        sync.Mutex
	behave    func(Request) Behaviour
	requests  []Request
	Calls     atomic.Int64
	Cancelled atomic.Int64 // requests whose client went away before the answer finished
}

// New starts a fake that answers every generate with answer.
func New(answer string) *Server {
	s := &Server{behave: func(Request) Behaviour { return Behaviour{Chunks: []string{answer}} }}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/generate", func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, false) })
	mux.HandleFunc("/api/chat", func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, true) })
	mux.HandleFunc("/api/version", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"version":"0.17.4-fake"}`)
	})
	mux.HandleFunc("/api/show", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model string `json:"model"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		if strings.Contains(req.Model, "missing") {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, `{"error":"model '%s' not found"}`, req.Model)
			return
		}
		caps := `["completion","insert"]`
		if strings.Contains(req.Model, "embed") {
			caps = `["embedding"]`
		}
		fmt.Fprintf(w, `{"capabilities":%s}`, caps)
	})
	s.Server = httptest.NewServer(mux)
	return s
}

// SetBehaviour replaces the reply policy.
func (s *Server) SetBehaviour(f func(Request) Behaviour) {
	s.mu.Lock()
	s.behave = f
	s.mu.Unlock()
}

// Requests returns what the fake saw.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, chat bool) {
	s.Calls.Add(1)
	var req Request
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":%q}`, err.Error())
		return
	}
	req.Chat = chat
	s.mu.Lock()
	s.requests = append(s.requests, req)
	b := s.behave(req)
	s.mu.Unlock()
	if strings.Contains(req.Model, "missing") {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"error":"model %q not found, try pulling it first"}`, req.Model)
		return
	}
	ctx := r.Context()
	if b.Hang {
		<-ctx.Done()
		s.Cancelled.Add(1)
		return
	}
	if b.Delay > 0 {
		select {
		case <-time.After(b.Delay):
		case <-ctx.Done():
			s.Cancelled.Add(1)
			return
		}
	}
	if b.Status != 0 && b.Status != http.StatusOK {
		w.WriteHeader(b.Status)
		fmt.Fprintf(w, `{"error":%q}`, b.Error)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	fl, _ := w.(http.Flusher)
	piece := func(text string, thinking bool) map[string]any {
		if !chat {
			return map[string]any{"model": req.Model, "response": text, "done": false}
		}
		m := map[string]any{"role": "assistant", "content": text}
		if thinking {
			m = map[string]any{"role": "assistant", "content": "", "thinking": text}
		}
		return map[string]any{"model": req.Model, "message": m, "done": false}
	}
	for _, t := range b.Thinking {
		_ = enc.Encode(piece(t, true))
	}
	for i, c := range b.Chunks {
		if i > 0 && b.ChunkDelay > 0 {
			select {
			case <-time.After(b.ChunkDelay):
			case <-ctx.Done():
				s.Cancelled.Add(1)
				return
			}
		}
		_ = enc.Encode(piece(c, false))
		if fl != nil {
			fl.Flush()
		}
	}
	if b.Error != "" {
		_ = enc.Encode(map[string]any{"error": b.Error})
		return
	}
	last := piece("", false)
	reason := b.DoneReason
	if reason == "" {
		reason = "stop"
	}
	last["done"], last["done_reason"], last["eval_count"] = true, reason, len(b.Chunks)
	_ = enc.Encode(last)
}
