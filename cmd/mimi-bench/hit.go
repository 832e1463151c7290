package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/mimi-lsp/mimi-lsp/internal/testenv/fakeollama"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/lsptest"
)

// The hit benchmark: identical completions answered from a cache, through one LSP client over
// the stdio pipes of a real process, against a bare LSP server (bare.go) measured by the same
// client in the same run. Batches alternate between the servers so machine noise hits both.

// hitResult is one server's latencies over every batch.
type hitResult struct {
	Name          string
	P50, P95, P99 float64 // ms
	N             int
}

// lspProc is a server process with a client on its stdio.
type lspProc struct {
	cmd   *exec.Cmd
	c     *lsptest.Client
	stdin io.WriteCloser
	lat   []time.Duration
}

func startProc(ctx context.Context, env []string, logw io.Writer, name string, args ...string) (*lspProc, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = logw
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &lspProc{cmd: cmd, c: lsptest.New(stdout, stdin), stdin: stdin}
	ictx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := p.c.Initialize(ictx, "file:///bench", []string{"utf-16"}, nil); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

func (p *lspProc) stop() {
	_ = p.stdin.Close()
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

// hitDoc is the document the hit benchmark completes in: 300 small functions, then a hole.
func hitDoc() (text string, line int) {
	var sb strings.Builder
	sb.WriteString("package main\n\n")
	for i := range 300 {
		sb.WriteString("func helper")
		sb.WriteString(strings.Repeat("x", i%9))
		sb.WriteString("(a, b int) int {\n\treturn a*b + 1 // héllo\n}\n\n")
	}
	sb.WriteString("func add(a, b int) int {\n\treturn \n}\n")
	return sb.String(), strings.Count(sb.String(), "\n") - 1
}

// batch times n completions, taking the params in turn (one: identical requests).
func (p *lspProc) batch(ctx context.Context, params []any, n int) error {
	var list lsptest.CompletionList
	for i := range n {
		t0 := time.Now()
		if err := p.c.Call(ctx, "textDocument/completion", params[i%len(params)], &list); err != nil {
			return err
		}
		p.lat = append(p.lat, time.Since(t0))
		if len(list.Items) != 1 {
			return fmt.Errorf("no item in a timed answer")
		}
	}
	return nil
}

// warm asks until the answer comes from source (a Redis write is asynchronous).
func (p *lspProc) warm(ctx context.Context, params any, source string) error {
	for i := 0; i < 200; i++ {
		var list lsptest.CompletionList
		if err := p.c.Call(ctx, "textDocument/completion", params, &list); err != nil {
			return err
		}
		var st struct {
			Last struct {
				Source string `json:"source"`
			} `json:"last"`
		}
		if err := p.c.Call(ctx, "mimi/stats", nil, &st); err != nil {
			return err
		}
		if st.Last.Source == source {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("no answer from %s after 200 requests", source)
}

func (p *lspProc) result(name string) hitResult {
	p50, p95, p99 := percentiles(p.lat)
	return hitResult{Name: name, P50: p50, P95: p95, P99: p99, N: len(p.lat)}
}

// hitBench runs the bare server and mimi-lsp (memory tier; and the Redis tier alone when
// redisURL is set) side by side: rounds × batch identical completions each.
func hitBench(ctx context.Context, server, self, redisURL string, rounds, batch int, logw io.Writer) ([]hitResult, error) {
	f := fakeollama.New("a + b")
	defer f.Close()
	doc, line := hitDoc()
	uri := "file:///bench/big.go"
	params := lsptest.PositionParams(uri, line, 8)
	// A second cached place: the end of the first helper's return line. Alternating with it,
	// no request is the same as the one before (the prompt memo never helps).
	other := lsptest.PositionParams(uri, 3, len("\treturn a*b + 1 // héllo")-1)
	base := []string{"OLLAMA_HOST=" + f.URL, "MIMI_INDEXING=false", "MIMI_METRICS_ADDR=off", "MIMI_REDIS_URL=", "MIMI_LOG_LEVEL=warn"}
	type entry struct {
		name, source string
		env          []string
		args         []string
		bin          string
		params       []any
	}
	entries := []entry{
		{name: "bare LSP server", bin: self, args: []string{"bare"}, params: []any{params}},
		{name: "mimi-lsp, memory hit", source: "memory", bin: server, env: base, params: []any{params}},
		{name: "  two places in turn", source: "memory", bin: server, env: base, params: []any{params, other}},
	}
	if redisURL != "" {
		entries = append(entries, entry{name: "mimi-lsp, Redis hit", source: "redis", bin: server, params: []any{params},
			env: append(slices.Clone(base), "MIMI_REDIS_URL="+redisURL, "MIMI_CACHE_MAX_BYTES=0", "MIMI_REDIS_TIMEOUT=2s")})
	}
	procs := make([]*lspProc, len(entries))
	defer func() {
		for _, p := range procs {
			if p != nil {
				p.stop()
			}
		}
	}()
	cctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	for i, e := range entries {
		p, err := startProc(ctx, e.env, logw, e.bin, e.args...) // not cctx: stop() ends them gracefully
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.name, err)
		}
		procs[i] = p
		if err := p.c.DidOpen(uri, "go", doc); err != nil {
			return nil, err
		}
		if e.source != "" {
			for _, pp := range e.params {
				if err := p.warm(cctx, pp, e.source); err != nil {
					return nil, fmt.Errorf("%s: %w", e.name, err)
				}
			}
		}
		if err := p.batch(cctx, e.params, 50); err != nil { // warm the process itself
			return nil, err
		}
		p.lat = nil
	}
	for range rounds {
		for i, p := range procs {
			if err := p.batch(cctx, entries[i].params, batch); err != nil {
				return nil, err
			}
		}
	}
	out := make([]hitResult, len(entries))
	for i, e := range entries {
		out[i] = procs[i].result(e.name)
	}
	return out, nil
}

// startRedis runs a private redis-server on a free loopback port ("" when there is none).
func startRedis(ctx context.Context) (url string, stop func(), err error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", func() {}, nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.CommandContext(ctx, bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop = func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return fmt.Sprintf("redis://127.0.0.1:%d", port), stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, fmt.Errorf("redis-server did not start")
		}
	}
}

// runHit runs the hit benchmark (with a private redis-server when none is given and one is
// installed) and prints its table.
func runHit(ctx context.Context, o options, rounds, batch int, w io.Writer) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	redisURL := o.redisURL
	if redisURL == "" {
		url, stop, err := startRedis(ctx)
		if err != nil {
			return err
		}
		defer stop()
		redisURL = url
	}
	res, err := hitBench(ctx, o.server, self, redisURL, rounds, batch, io.Discard)
	if err != nil {
		return err
	}
	printHit(w, res)
	return nil
}

func printHit(w io.Writer, res []hitResult) {
	fmt.Fprintf(w, "%-24s %8s %8s %8s %10s\n", "cache-hit round trip", "p50 ms", "p95 ms", "p99 ms", "p50 ratio")
	for _, r := range res {
		ratio := "–"
		if res[0].P50 > 0 {
			ratio = fmt.Sprintf("%.2f×", r.P50/res[0].P50)
		}
		fmt.Fprintf(w, "%-24s %8.3f %8.3f %8.3f %10s   (n=%d)\n", r.Name, r.P50, r.P95, r.P99, ratio, r.N)
	}
}

// percentiles are the p50, p95 and p99 of lat in milliseconds (0 when empty).
func percentiles(lat []time.Duration) (p50, p95, p99 float64) {
	lat = slices.Clone(lat)
	slices.Sort(lat)
	pct := func(q float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Microseconds()) / 1000
	}
	return pct(0.50), pct(0.95), pct(0.99)
}
