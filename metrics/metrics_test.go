package metrics

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mimi-lsp/mimi-lsp/cache"
	"github.com/mimi-lsp/mimi-lsp/model"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newCache(t *testing.T) *cache.Tiered {
	t.Helper()
	tier := cache.NewTiered(cache.NewMemory(1<<20, cache.TTLs{cache.KindCompletion: time.Hour}), nil, nil)
	ctx := context.Background()
	if err := tier.Set(ctx, cache.KindCompletion, "k1", []byte("a + b")); err != nil {
		t.Fatal(err)
	}
	tier.GetTier(ctx, cache.KindCompletion, "k1")   // hit
	tier.GetTier(ctx, cache.KindCompletion, "nope") // miss
	return tier
}

func get(t *testing.T, url string, hdr ...string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	return do(t, req, hdr...)
}

func do(t *testing.T, req *http.Request, hdr ...string) (int, string, http.Header) {
	t.Helper()
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// TestSidecar: /metrics carries the server's instruments and the cache's counters (read at
// scrape time), /healthz answers, the cache API has the seed's fields, wrong methods get 405
// with Allow, and clearing is for this machine only and never from a web page.
func TestSidecar(t *testing.T) {
	tier := newCache(t)
	m := New(tier.Stats, func() []Load { return []Load{{Model: "qwen2.5-coder:1.5b", Running: 1, Waiting: 2}} })
	m.ModelCall(model.CallRecord{Model: "qwen2.5-coder:1.5b", Task: "completion", Outcome: "ok", Duration: 200 * time.Millisecond, FirstToken: 80 * time.Millisecond, PromptTokens: 300, EvalTokens: 7, PromptBytes: 1200})
	m.Completion("memory", "answered", 3*time.Millisecond)
	m.Request("textDocument/completion", 4*time.Millisecond, "ok")
	m.Request("$/some/custom", time.Millisecond, "ok")
	s, err := Serve(m, ServerConfig{Addr: "127.0.0.1:0", Cache: tier})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	base := "http://" + s.Addr

	code, body, _ := get(t, base+"/metrics")
	for _, want := range []string{
		`mimi_completion_duration_seconds_count{outcome="answered",source="memory"} 1`,
		`mimi_lsp_request_duration_seconds_count{method="textDocument/completion",outcome="ok"} 1`,
		`mimi_lsp_request_duration_seconds_count{method="other",outcome="ok"} 1`,
		`mimi_cache_lookups_total{kind="completion",result="hit"} 1`,
		`mimi_cache_lookups_total{kind="completion",result="miss"} 1`,
		`mimi_cache_keys 1`,
		`mimi_model_call_duration_seconds_count{model="qwen2.5-coder:1.5b",outcome="ok",task="completion"} 1`,
		`mimi_model_first_token_seconds_count{model="qwen2.5-coder:1.5b",task="completion"} 1`,
		`mimi_model_tokens_total{model="qwen2.5-coder:1.5b",task="completion",type="prompt"} 300`,
		`mimi_model_calls_waiting{model="qwen2.5-coder:1.5b"} 2`,
		`go_goroutines`, `process_cpu_seconds_total`,
	} {
		if code != 200 || !strings.Contains(body, want) {
			t.Fatalf("/metrics (%d) lacks %q:\n%s", code, want, body)
		}
	}
	if code, body, _ := get(t, base+"/healthz"); code != 200 || strings.TrimSpace(body) != "ok" {
		t.Fatalf("/healthz %d %q", code, body)
	}
	code, body, _ = get(t, base+"/api/cache/stats")
	var st map[string]any
	if err := json.Unmarshal([]byte(body), &st); err != nil || code != 200 {
		t.Fatalf("/api/cache/stats %d %s", code, body)
	}
	if st["hits"] != float64(1) || st["misses"] != float64(1) || st["hitRate"] != 0.5 || st["keys"] != float64(1) {
		t.Fatalf("cache stats %v", st)
	}
	if code, _, h := get(t, base+"/api/cache/clear"); code != http.StatusMethodNotAllowed || h.Get("Allow") != "POST" {
		t.Fatalf("GET clear: %d, Allow %q", code, h.Get("Allow"))
	}
	post := func(hdr ...string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, base+"/api/cache/clear", nil)
		code, body, _ := do(t, req, hdr...)
		return code, body
	}
	if code, _ := post("Origin", "https://evil.example"); code != http.StatusForbidden {
		t.Fatalf("clear from a web page: %d", code)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/api/cache/clear?all=1", nil)
	if code, _, _ := do(t, req); code != http.StatusBadRequest {
		t.Fatalf("clear with a query: %d", code)
	}
	if code, body := post(); code != 200 || !strings.Contains(body, `"deleted": 0`) || tier.Stats().Keys != 0 {
		t.Fatalf("clear: %d %s (keys %d)", code, body, tier.Stats().Keys)
	}
}

// TestSidecarTokenAndBusyPort: with a token, clearing needs it; a second server on a taken port
// gets a free one.
func TestSidecarTokenAndBusyPort(t *testing.T) {
	tier := newCache(t)
	m := New(nil, nil)
	a, err := Serve(m, ServerConfig{Addr: "127.0.0.1:0", Cache: tier, Token: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Serve(New(nil, nil), ServerConfig{Addr: a.Addr, Cache: tier})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Addr == a.Addr {
		t.Fatal("two sidecars on one port")
	}
	req, _ := http.NewRequest(http.MethodPost, "http://"+a.Addr+"/api/cache/clear", nil)
	if code, _, _ := do(t, req); code != http.StatusUnauthorized {
		t.Fatalf("clear without the token: %d", code)
	}
	req, _ = http.NewRequest(http.MethodPost, "http://"+a.Addr+"/api/cache/clear", nil)
	if code, _, _ := do(t, req, "Authorization", "Bearer s3cret"); code != 200 {
		t.Fatalf("clear with the token: %d", code)
	}
	if s, err := Serve(m, ServerConfig{Addr: "off"}); s != nil || err != nil {
		t.Fatalf("off: %v %v", s, err)
	}
}

type fakeModels struct{}

func (fakeModels) Routes(context.Context) (Ollama, []Route) {
	return Ollama{Host: "http://127.0.0.1:11434", Reachable: true},
		[]Route{{Task: "completion", Model: "qwen2.5-coder:1.5b", Available: true}, {Task: "action", Model: "qwen3-coder:30b", Detail: "not pulled", Fix: "ollama pull qwen3-coder:30b"}}
}

func (fakeModels) Running(context.Context) ([]RunningModel, error) {
	return []RunningModel{{Name: "qwen2.5-coder:1.5b", Size: 1 << 30, SizeVRAM: 1 << 30}}, nil
}

// TestModelsEndpoints: routes with availability and the fix, loaded models, and this process's
// call counts with quantiles from the histogram.
func TestModelsEndpoints(t *testing.T) {
	m := New(nil, nil)
	for i := range 100 {
		m.ModelCall(model.CallRecord{Model: "qwen2.5-coder:1.5b", Task: "completion", Outcome: "ok", Duration: time.Duration(i+1) * time.Millisecond})
	}
	s, err := Serve(m, ServerConfig{Addr: "127.0.0.1:0", Models: fakeModels{}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	code, body, _ := get(t, "http://"+s.Addr+"/api/models/available")
	var av struct {
		Ollama Ollama  `json:"ollama"`
		Models []Route `json:"models"`
	}
	if err := json.Unmarshal([]byte(body), &av); err != nil || code != 200 || !av.Ollama.Reachable || len(av.Models) != 2 || av.Models[1].Fix != "ollama pull qwen3-coder:30b" {
		t.Fatalf("available %d %s", code, body)
	}
	code, body, _ = get(t, "http://"+s.Addr+"/api/models/stats")
	var st struct {
		Calls  map[string]CallStats `json:"calls"`
		Loaded []RunningModel       `json:"loaded"`
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil || code != 200 || len(st.Loaded) != 1 {
		t.Fatalf("stats %d %s", code, body)
	}
	c := st.Calls["qwen2.5-coder:1.5b"]
	if c.Calls != 100 || c.P50 < 0.025 || c.P50 > 0.1 || c.P99 < c.P50 || c.P99 > 0.1 {
		t.Fatalf("call stats %+v (100 calls of 1..100 ms)", c)
	}
}

// TestTargets: a target file names the sidecar (loopback for an unspecified address), is
// listed, removed by its remove function, and files of dead processes are pruned.
func TestTargets(t *testing.T) {
	dir := t.TempDir()
	dead := filepath.Join(dir, "mimi-lsp-999999999.json")
	if err := os.WriteFile(dead, []byte(`[{"targets":["127.0.0.1:1"],"labels":{}}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	remove, err := WriteTarget(dir, "0.0.0.0:9464", "my-project")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Fatal("a dead process's target file was not pruned")
	}
	ts := Targets(dir)
	if len(ts) != 1 || ts[0].Addr != "127.0.0.1:9464" || ts[0].PID != os.Getpid() || ts[0].Workspace != "my-project" {
		t.Fatalf("targets %+v", ts)
	}
	var groups []struct {
		Labels map[string]string `json:"labels"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, fmt.Sprintf("mimi-lsp-%d.json", os.Getpid())))
	if err := json.Unmarshal(b, &groups); err != nil || len(groups) != 1 ||
		groups[0].Labels["workspace"] != "my-project" || groups[0].Labels["pid"] != strconv.Itoa(os.Getpid()) {
		t.Fatalf("file_sd labels: %s", b)
	}
	remove()
	if ts := Targets(dir); len(ts) != 0 {
		t.Fatalf("after remove: %+v", ts)
	}
}

// TestHostGuardOnEveryBind: bound to a docker bridge or all interfaces, the sidecar still
// refuses a foreign name in Host (DNS rebinding from any web page), and answers an IP
// literal, localhost, host.docker.internal and the configured name.
func TestHostGuardOnEveryBind(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {})
	for _, addr := range []string{"172.17.0.1:9464", "0.0.0.0:9464", "metrics.lan:9464"} {
		h := hostGuard(ok, addr)
		for host, want := range map[string]int{"evil.example": 403, "evil.example:9464": 403, "rebind.127.0.0.1.nip.io": 403,
			"172.17.0.1:9464": 200, "[::1]:9464": 200, "10.0.0.7": 200, "localhost:9464": 200, "host.docker.internal": 200, "host.containers.internal:9464": 200, "[fe80::1%25eth0]:9464": 200,
			"metrics.lan": map[bool]int{true: 200, false: 403}[addr == "metrics.lan:9464"]} {
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			req.Host = host
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != want {
				t.Errorf("bound to %s, Host %q: %d, want %d", addr, host, rec.Code, want)
			}
		}
	}
}

// TestSidecarRefusesForeignHosts: a loopback sidecar answers only requests addressed to a
// loopback name (DNS rebinding).
func TestSidecarRefusesForeignHosts(t *testing.T) {
	s, err := Serve(New(nil, nil), ServerConfig{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for host, want := range map[string]int{"evil.example": 403, "localhost": 200, "host.docker.internal:9464": 200, "": 200} {
		req, _ := http.NewRequest(http.MethodGet, "http://"+s.Addr+"/healthz", nil)
		if host != "" {
			req.Host = host
		}
		if code, _, _ := do(t, req); code != want {
			t.Errorf("Host %q: %d, want %d", host, code, want)
		}
	}
}

// TestCompletionStatsReadsTheRegistry: mimi/stats's completion numbers are the registry's own
// series read back (the same numbers /metrics serves), not a second set of counters.
func TestCompletionStatsReadsTheRegistry(t *testing.T) {
	m := New(nil, nil)
	if st := m.CompletionStats(); st.Requests != 0 || st.P50 != 0 || len(st.BySource) != 0 {
		t.Fatalf("empty registry: %+v", st)
	}
	for range 3 {
		m.Completion("memory", "answered", 2*time.Millisecond)
	}
	m.Completion("model", "answered", 300*time.Millisecond)
	m.Completion("model", "empty", 200*time.Millisecond)
	m.Completion("", "superseded", time.Millisecond)
	m.Completion("", "error", time.Millisecond)
	m.ModelCall(model.CallRecord{Model: "qwen2.5-coder:1.5b", Task: "completion", Outcome: "ok", Duration: time.Second, PromptBytes: 1000, Cut: true})
	m.ModelCall(model.CallRecord{Model: "qwen2.5-coder:1.5b", Task: "completion", Outcome: "cancelled", Duration: time.Second, PromptBytes: 500})
	m.ModelCall(model.CallRecord{Model: "qwen3-coder:30b", Task: "action", Outcome: "ok", Duration: time.Minute, PromptBytes: 9000, Cut: true})
	st := m.CompletionStats()
	if st.Requests != 7 || st.BySource["memory"] != 3 || st.BySource["model"] != 2 || len(st.BySource) != 2 ||
		st.ByOutcome["answered"] != 4 || st.ByOutcome["empty"] != 1 || st.ByOutcome["superseded"] != 1 || st.ByOutcome["error"] != 1 {
		t.Fatalf("counts %+v", st)
	}
	if st.ModelCalls != 2 || st.PromptBytes != 1500 || st.CutAnswers != 1 {
		t.Fatalf("model part (actions must not count) %+v", st)
	}
	// 3 of 5 answered are in the 1–2.5 ms bucket: the median lies there, the p99 in 250–500 ms.
	if st.P50 <= 0.001 || st.P50 > 0.0025 || st.P99 <= 0.25 || st.P99 > 0.5 {
		t.Fatalf("quantiles p50 %v p99 %v", st.P50, st.P99)
	}
	// The same numbers through the Prometheus exposition.
	s, err := Serve(m, ServerConfig{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, body, _ := get(t, "http://"+s.Addr+"/metrics")
	for _, want := range []string{
		`mimi_completion_duration_seconds_count{outcome="answered",source="memory"} 3`,
		`mimi_model_prompt_bytes_total{model="qwen2.5-coder:1.5b",task="completion"} 1500`,
		`mimi_model_cut_answers_total{model="qwen2.5-coder:1.5b",task="completion"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Fatalf("/metrics lacks %q", want)
		}
	}
}
