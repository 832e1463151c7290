package e2e

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/internal/testenv/ollamatest"
	"github.com/mimi-lsp/mimi-lsp/metrics"
)

// TestMetricsSidecar: the real binary serves /metrics and the cache API next to LSP: after a
// completion through the real Ollama, its latency is in the histogram by source and outcome,
// and the cache counters are there; two processes asking for one port both get one.
func TestMetricsSidecar(t *testing.T) {
	ol := ollamatest.StartT(t)
	ctx := timeout(t, 60*time.Second)
	addrRe := regexp.MustCompile(`msg="metrics and JSON API" addr=(http://[0-9.:]+)`)
	sidecar := func(stderr interface{ String() string }) string {
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if m := addrRe.FindStringSubmatch(stderr.String()); m != nil {
				return m[1]
			}
		}
		t.Fatalf("no sidecar address in the log:\n%s", stderr.String())
		return ""
	}
	c, _, stderr := startServer(t, ol.URL, "MIMI_METRICS_ADDR=127.0.0.1:0")
	if _, err := c.Initialize(ctx, "file:///work", nil, nil); err != nil {
		t.Fatal(err)
	}
	_ = c.DidOpen(addURI, "go", addDoc)
	if got := completeAt(t, ctx, c, addURI, 3, 8); got != ollamatest.Answer {
		t.Fatalf("completion %q", got)
	}
	base := sidecar(stderr)
	get := func(url string) string {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", url, resp.StatusCode, b)
		}
		return string(b)
	}
	m := get(base + "/metrics")
	for _, want := range []string{
		`mimi_completion_duration_seconds_count{outcome="answered",source="model"} 1`,
		`mimi_lsp_request_duration_seconds_count{method="textDocument/completion",outcome="ok"} 1`,
		`mimi_cache_lookups_total{kind="completion",result="miss"}`,
		`mimi_model_call_duration_seconds_count{model="qwen2.5-coder:1.5b",outcome="ok",task="completion"} 1`,
		`mimi_model_first_token_seconds_count{model="qwen2.5-coder:1.5b",task="completion"} 1`,
		`mimi_model_tokens_total{model="qwen2.5-coder:1.5b",task="completion",type="eval"}`,
	} {
		if !strings.Contains(m, want) {
			t.Fatalf("/metrics lacks %q:\n%s", want, m)
		}
	}
	st := get(base + "/api/cache/stats")
	if !strings.Contains(st, `"hitRate"`) || !strings.Contains(st, `"keys": 1`) {
		t.Fatalf("/api/cache/stats:\n%s", st)
	}
	t.Logf("GET /api/cache/stats:\n%s", st)

	av := get(base + "/api/models/available")
	if !strings.Contains(av, `"reachable": true`) || strings.Count(av, `"available": true`) != 3 {
		t.Fatalf("/api/models/available (the tiny models under the three default names):\n%s", av)
	}
	t.Logf("GET /api/models/available:\n%s", av)
	ms := get(base + "/api/models/stats")
	if !strings.Contains(ms, `"qwen2.5-coder:1.5b"`) || !strings.Contains(ms, `"p95Seconds"`) || !strings.Contains(ms, `"loaded"`) {
		t.Fatalf("/api/models/stats:\n%s", ms)
	}
	t.Logf("GET /api/models/stats:\n%s", ms)
	req, _ := http.NewRequest(http.MethodPost, base+"/api/cache/clear", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	cl, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(cl), `"cleared": true`) {
		t.Fatalf("POST /api/cache/clear: %d %s", resp.StatusCode, cl)
	}
	t.Logf("POST /api/cache/clear:\n%s", cl)

	// A second process asking for the first one's port gets another.
	port := strings.TrimPrefix(base, "http://")
	_, _, stderr2 := startServer(t, ol.URL, "MIMI_METRICS_ADDR="+port)
	if base2 := sidecar(stderr2); base2 == base || !strings.Contains(get(base2+"/healthz"), "ok") {
		t.Fatalf("second sidecar at %s (first %s)", base2, base)
	}
}

// TestMetricsFollowInitializationOptions: a server started with the sidecar off turns it on
// when the editor's initializationOptions say metricsAddr; its target file carries the
// workspace folder's name; mimi/stats reports the same completion numbers /metrics serves.
func TestMetricsFollowInitializationOptions(t *testing.T) {
	ol := ollamatest.StartT(t)
	ctx := timeout(t, 60*time.Second)
	targets := t.TempDir()
	c, _, _ := startServer(t, ol.URL, "MIMI_METRICS_ADDR=off", "MIMI_METRICS_TARGETS_DIR="+targets)
	if _, err := c.Initialize(ctx, "file:///work/my-project", nil, map[string]any{"metricsAddr": "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	var ts []metrics.Target
	for deadline := time.Now().Add(10 * time.Second); len(ts) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no target file after initializationOptions turned the sidecar on")
		}
		ts = metrics.Targets(targets)
	}
	if len(ts) != 1 || ts[0].Workspace != "my-project" {
		t.Fatalf("targets %+v", ts)
	}
	_ = c.DidOpen(addURI, "go", addDoc)
	for range 2 { // the model, then the memory tier
		if got := completeAt(t, ctx, c, addURI, 3, 8); got != ollamatest.Answer {
			t.Fatalf("completion %q", got)
		}
	}
	resp, err := http.Get("http://" + ts[0].Addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var st struct {
		Completion metrics.CompletionStats `json:"completion"`
	}
	if err := c.Call(ctx, "mimi/stats", nil, &st); err != nil {
		t.Fatal(err)
	}
	for src, n := range st.Completion.BySource {
		want := fmt.Sprintf(`mimi_completion_duration_seconds_count{outcome="answered",source=%q} %d`, src, n)
		if !strings.Contains(string(b), want) {
			t.Fatalf("mimi/stats says %d from %s; /metrics lacks %q:\n%s", n, src, want, b)
		}
	}
	if st.Completion.BySource["model"] != 1 || st.Completion.BySource["memory"] != 1 || st.Completion.ModelCalls != 1 ||
		st.Completion.PromptBytes == 0 || st.Completion.P50 <= 0 {
		t.Fatalf("mimi/stats completion %+v", st.Completion)
	}
	t.Logf("mimi/stats completion: %+v", st.Completion)
}
