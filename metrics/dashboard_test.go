package metrics

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/cache"
	"github.com/mimi-lsp/mimi-lsp/internal/dashboard"
	"github.com/mimi-lsp/mimi-lsp/model"
)

// dashboardExprs returns every PromQL expression of the Grafana dashboard.
func dashboardExprs(t *testing.T) []string {
	t.Helper()
	panels, err := dashboard.Load("../monitoring/grafana/dashboards/mimi-lsp.json")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range panels {
		for _, tg := range p.Targets {
			out = append(out, tg.Expr)
		}
	}
	if len(out) < 10 {
		t.Fatalf("only %d expressions in the dashboard", len(out))
	}
	return out
}

// TestDashboardUsesExportedMetrics: every metric a dashboard expression names is one this
// server exports, and promtool accepts every expression (as a recording rule).
func TestDashboardUsesExportedMetrics(t *testing.T) {
	exprs := dashboardExprs(t)
	tier := cache.NewTiered(cache.NewMemory(1<<20, cache.TTLs{cache.KindCompletion: time.Hour}), nil, nil)
	m := New(tier.Stats, func() []Load { return []Load{{Model: "m", Running: 1}} },
		func() []IndexSize { return []IndexSize{{Files: 3, Chunks: 9}} })
	run := m.IndexRun()
	run.Progress(1, 3)
	m.Request("textDocument/completion", time.Millisecond, "ok")
	m.Completion("model", "answered", time.Millisecond)
	m.Action("rewrite", "edit", time.Second)
	m.ModelCall(model.CallRecord{Model: "m", Task: "completion", Outcome: "ok", Duration: time.Millisecond, FirstToken: time.Millisecond, PromptTokens: 1, EvalTokens: 1, PromptBytes: 1, Cut: true})
	m.CompletionStage("model", time.Millisecond)
	tier.GetTier(t.Context(), cache.KindCompletion, "x")
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for _, f := range fams {
		exported[f.GetName()] = true
	}
	name := regexp.MustCompile(`\bmimi_[a-z_]+`)
	for _, e := range exprs {
		for _, n := range name.FindAllString(e, -1) {
			base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_count"), "_sum")
			if !exported[base] && !exported[n] {
				t.Errorf("the dashboard uses %s, which the server does not export (%s)", n, e)
			}
		}
	}

	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("MIMI_REQUIRE_ALL") == "1" {
			t.Fatal("promtool required (MIMI_REQUIRE_ALL=1): apt-get install -y prometheus")
		}
		t.Skip("SKIPPING the promtool check of the dashboard's queries: promtool not installed (apt-get install -y prometheus)")
	}
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	for i, e := range exprs {
		q, _ := json.Marshal(e)
		rules.WriteString("      - record: dashboard:expr" + string(rune('a'+i%26)) + strings.Repeat("x", i/26) + "\n        expr: " + string(q) + "\n")
	}
	f := filepath.Join(t.TempDir(), "dashboard-rules.yml")
	if err := os.WriteFile(f, []byte(rules.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", f).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
}
