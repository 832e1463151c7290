package e2e

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
)

// recorder is a reverse proxy in front of the real Ollama that keeps every request body and
// counts the requests whose client went away before the answer's last line (a cancelled model
// call: closing the request is what stops Ollama).
type recorder struct {
	mu      sync.Mutex
	bodies  map[string][]string // by path
	aborted map[string]int      // by path
}

func newRecorder(t *testing.T, target string) (*recorder, string) {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{bodies: map[string][]string{}, aborted: map[string]int{}}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.FlushInterval = -1 // stream as Ollama does
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(b))
		r.mu.Lock()
		r.bodies[req.URL.Path] = append(r.bodies[req.URL.Path], string(b))
		r.mu.Unlock()
		dw := &doneWriter{ResponseWriter: w}
		go func() { // the request's context ends when the client goes away (or the handler returns)
			<-req.Context().Done()
			if !dw.sawDone.Load() {
				r.mu.Lock()
				r.aborted[req.URL.Path]++
				r.mu.Unlock()
			}
		}()
		proxy.ServeHTTP(dw, req)
	}))
	t.Cleanup(srv.Close)
	return r, srv.URL
}

func (r *recorder) all(path string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bodies[path]...)
}

func (r *recorder) abortedCount(path string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.aborted[path]
}

// doneWriter notes when Ollama's last line ("done":true, or a whole non-streamed answer)
// went through: a request whose context ends before that was aborted by its client.
type doneWriter struct {
	http.ResponseWriter
	sawDone atomic.Bool
}

func (d *doneWriter) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(`"done":true`)) || !bytes.Contains(p, []byte(`"done":`)) {
		d.sawDone.Store(true)
	}
	return d.ResponseWriter.Write(p)
}

func (d *doneWriter) Flush() {
	if f, ok := d.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
