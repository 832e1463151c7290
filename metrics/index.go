package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// IndexRun is one indexing (one workspace folder) reporting its progress. Several run at once
// (several folders, several sessions over TCP): the progress gauges add them up.
type IndexRun struct {
	runs *indexRuns
}

// IndexRun starts reporting one indexing's progress; End it when it stops.
func (m *Metrics) IndexRun() *IndexRun {
	r := &IndexRun{runs: m.index}
	m.index.mu.Lock()
	m.index.runs[r] = indexProgress{}
	m.index.mu.Unlock()
	return r
}

// Progress records how far the indexing got.
func (r *IndexRun) Progress(done, total int) {
	r.runs.mu.Lock()
	defer r.runs.mu.Unlock()
	if _, ok := r.runs.runs[r]; ok {
		r.runs.runs[r] = indexProgress{done, total}
	}
}

// End stops the run's reporting: while none runs, the gauges show the last one to end.
func (r *IndexRun) End() {
	r.runs.mu.Lock()
	defer r.runs.mu.Unlock()
	if p, ok := r.runs.runs[r]; ok {
		delete(r.runs.runs, r)
		r.runs.last = p
	}
}

type indexProgress struct{ done, total int }

// indexRuns exports the running indexings' progress at scrape time.
type indexRuns struct {
	mu   sync.Mutex
	runs map[*IndexRun]indexProgress
	last indexProgress
}

var (
	indexDone  = prometheus.NewDesc("mimi_index_files_done", "Files the running indexings have done (the last one's while none runs).", nil, nil)
	indexToDo  = prometheus.NewDesc("mimi_index_files_to_do", "Files the running indexings walk (the last one's while none runs).", nil, nil)
	indexFiles = prometheus.NewDesc("mimi_index_files", "Files in the workspace indexes of this process.", nil, nil)
	indexChunk = prometheus.NewDesc("mimi_index_chunks", "Chunks in the workspace indexes of this process.", nil, nil)
)

func (x *indexRuns) Describe(ch chan<- *prometheus.Desc) {
	ch <- indexDone
	ch <- indexToDo
}

func (x *indexRuns) Collect(ch chan<- prometheus.Metric) {
	x.mu.Lock()
	sum := x.last
	if len(x.runs) > 0 {
		sum = indexProgress{}
		for _, p := range x.runs {
			sum.done += p.done
			sum.total += p.total
		}
	}
	x.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(indexDone, prometheus.GaugeValue, float64(sum.done))
	ch <- prometheus.MustNewConstMetric(indexToDo, prometheus.GaugeValue, float64(sum.total))
}

// indexCollector exports the indexes' sizes at scrape time.
type indexCollector struct {
	sizes IndexSource
}

func (c *indexCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- indexFiles
	ch <- indexChunk
}

func (c *indexCollector) Collect(ch chan<- prometheus.Metric) {
	var files, chunks int
	for _, s := range c.sizes() {
		files += s.Files
		chunks += s.Chunks
	}
	ch <- prometheus.MustNewConstMetric(indexFiles, prometheus.GaugeValue, float64(files))
	ch <- prometheus.MustNewConstMetric(indexChunk, prometheus.GaugeValue, float64(chunks))
}
