package metrics

import "testing"

// gauge reads one unlabelled gauge from the registry.
func gauge(t *testing.T, m *Metrics, name string) float64 {
	t.Helper()
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == name && len(f.Metric) == 1 {
			return f.Metric[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no gauge %s", name)
	return 0
}

// TestIndexRunsAddUp: two indexings at once add up in the progress gauges (neither overwrites
// the other); when both end, the gauges show the last one to end.
func TestIndexRunsAddUp(t *testing.T) {
	m := New(nil, nil)
	check := func(done, total float64) {
		t.Helper()
		if d, n := gauge(t, m, "mimi_index_files_done"), gauge(t, m, "mimi_index_files_to_do"); d != done || n != total {
			t.Fatalf("gauges %v/%v, want %v/%v", d, n, done, total)
		}
	}
	check(0, 0)
	a, b := m.IndexRun(), m.IndexRun()
	a.Progress(10, 100)
	b.Progress(1, 5)
	check(11, 105)
	b.Progress(5, 5)
	b.End()
	check(10, 100)
	a.Progress(100, 100)
	a.End()
	a.Progress(3, 3) // after End: ignored
	check(100, 100)
}
