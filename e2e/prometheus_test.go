package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/internal/dashboard"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/lsptest"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/ollamatest"
)

// needTool finds a binary the test needs, skipping loudly (failing with MIMI_REQUIRE_ALL=1).
func needTool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if ollamatest.RequireAll() {
			t.Fatalf("%s required (MIMI_REQUIRE_ALL=1): apt-get install -y %s", name, pkg)
		}
		t.Skipf("SKIPPING: %s not installed (apt-get install -y %s)", name, pkg)
	}
	return p
}

func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestPrometheusScrapesMimi: a real Prometheus runs the project's own monitoring/prometheus.yml
// (its targets directory pointed at a temp dir, intervals shortened) while two real mimi-lsp
// processes run; after a completion, Prometheus's query API returns the completion histogram
// from a scrape, and both processes (found through their file_sd target files) are up.
// promtool checks the configuration and the exposition.
func TestPrometheusScrapesMimi(t *testing.T) {
	prom := needTool(t, "prometheus", "prometheus")
	promtool := needTool(t, "promtool", "prometheus")
	ol := ollamatest.StartT(t)
	ctx := timeout(t, 120*time.Second)
	targets := t.TempDir()

	src, err := os.ReadFile("../monitoring/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.NewReplacer("/etc/prometheus/mimi-targets", targets, "scrape_interval: 15s", "scrape_interval: 1s",
		"refresh_interval: 30s", "refresh_interval: 1s").Replace(string(src))
	cfgFile := filepath.Join(t.TempDir(), "prometheus.yml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"../monitoring/prometheus.yml", "../monitoring/prometheus.docker.yml"} {
		if out, err := exec.Command(promtool, "check", "config", c).CombinedOutput(); err != nil {
			t.Fatalf("promtool check config %s: %v\n%s", c, err, out)
		}
	}

	env := []string{"MIMI_METRICS_ADDR=127.0.0.1:0", "MIMI_METRICS_TARGETS_DIR=" + targets}
	c, _, _ := startServer(t, ol.URL, env...)
	startServer(t, ol.URL, env...) // a second editor process
	if _, err := c.Initialize(ctx, "file:///work", nil, nil); err != nil {
		t.Fatal(err)
	}
	_ = c.DidOpen(addURI, "go", addDoc)
	if got := completeAt(t, ctx, c, addURI, 3, 8); got != ollamatest.Answer {
		t.Fatalf("completion %q", got)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		files, _ := filepath.Glob(filepath.Join(targets, "mimi-lsp-*.json"))
		if len(files) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("target files: %v", files)
		}
	}

	// promtool checks what the sidecar exposes.
	files, _ := filepath.Glob(filepath.Join(targets, "mimi-lsp-*.json"))
	var groups []struct{ Targets []string }
	b, _ := os.ReadFile(files[0])
	_ = json.Unmarshal(b, &groups)
	resp, err := http.Get("http://" + groups[0].Targets[0] + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	exposition, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	check := exec.Command(promtool, "check", "metrics")
	check.Stdin = strings.NewReader(string(exposition))
	if out, err := check.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}

	port := freeLoopbackPort(t)
	pcmd := exec.Command(prom, "--config.file="+cfgFile, "--storage.tsdb.path="+t.TempDir(),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port), "--log.level=warn")
	var plog syncBuffer
	pcmd.Stdout, pcmd.Stderr = &plog, &plog
	if err := pcmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pcmd.Process.Kill(); _ = pcmd.Wait() })
	query := func(q string) []json.RawMessage {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/api/v1/query?query=%s", port, url.QueryEscape(q)))
		if err != nil {
			return nil
		}
		defer resp.Body.Close()
		var r struct {
			Data struct {
				Result []json.RawMessage `json:"result"`
			} `json:"data"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&r)
		return r.Data.Result
	}
	var got []json.RawMessage
	for len(got) == 0 {
		if ctx.Err() != nil {
			t.Fatalf("Prometheus never had the completion histogram; its log:\n%s", plog.String())
		}
		time.Sleep(250 * time.Millisecond)
		got = query(`mimi_completion_duration_seconds_count{source="model",outcome="answered"} >= 1`)
	}
	t.Logf("Prometheus: %s", got[0])
	for len(query(`up{job="mimi-lsp"} == 1`)) < 2 {
		if ctx.Err() != nil {
			t.Fatalf("both servers not up in Prometheus: %s\n%s", query(`up{job="mimi-lsp"}`), plog.String())
		}
		time.Sleep(250 * time.Millisecond)
	}

	// The dashboard's core panels (latency by source, answers by source, hit rate by tier,
	// model calls, model latency, tokens, time by stage) return data from this Prometheus;
	// every query of every panel is logged with its live result.
	panels, err := dashboard.Load("../monitoring/grafana/dashboards/mimi-lsp.json")
	if err != nil || len(panels) < 6 {
		t.Fatalf("dashboard: %d panels, %v", len(panels), err)
	}
	// More completions while Prometheus scrapes, so rates and quantiles have something to show.
	for i := range 3 {
		_ = c.DidChange(addURI, 2+i, lsptest.Change{StartLine: 3, StartChar: 8 + i, EndLine: 3, EndChar: 8 + i, Text: "x"})
		_ = completeAt(t, ctx, c, addURI, 3, 9+i)
		_ = completeAt(t, ctx, c, addURI, 3, 9+i) // the same again: a cache hit
		time.Sleep(1200 * time.Millisecond)       // a scrape in between (interval 1 s)
	}
	core := append(panels[:6:6], panels[len(panels)-1]) // … and time by stage
	if !strings.Contains(core[6].Title, "stage") {
		t.Fatalf("the last panel is %q, not the completion stages", core[6].Title)
	}
	for _, p := range core {
		for _, tg := range p.Targets {
			expr := tg.Expr
			for {
				if series := withData(query(expr)); series != nil {
					t.Logf("panel %q: %s", p.Title, series)
					break
				}
				if ctx.Err() != nil {
					t.Fatalf("panel %q has no data: %s → %s", p.Title, expr, query(expr))
				}
				time.Sleep(250 * time.Millisecond)
			}
		}
	}
	for _, p := range panels {
		for _, tg := range p.Targets {
			t.Logf("live: %s | %s → %s", p.Title, tg.Expr, query(tg.Expr))
		}
	}
}

// withData is the first series of a query result with a value that is a number other than 0.
func withData(result []json.RawMessage) json.RawMessage {
	for _, r := range result {
		var v struct {
			Value [2]any `json:"value"`
		}
		if json.Unmarshal(r, &v) == nil {
			if s, _ := v.Value[1].(string); s != "" && s != "NaN" && s != "0" {
				return r
			}
		}
	}
	return nil
}
