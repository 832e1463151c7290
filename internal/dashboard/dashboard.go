// Package dashboard reads the project's Grafana dashboard (monitoring/grafana/dashboards), for
// the tests that check its queries against the exported metrics and a live Prometheus.
package dashboard

import (
	"encoding/json"
	"fmt"
	"os"
)

// Panel is one dashboard panel: its title and its PromQL queries.
type Panel struct {
	Title   string
	Targets []struct{ Expr string }
}

// Load reads the dashboard JSON at path and returns its panels in order.
func Load(path string) ([]Panel, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var d struct{ Panels []Panel }
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d.Panels, nil
}
