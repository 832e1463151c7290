// Command mimi-bench is the replay benchmark: it starts a real mimi-lsp, types chosen
// functions from real source files into it character by character through LSP (didChange per
// keystroke, a completion after each, the previous one cancelled as editors do, accepting
// matching suggestions sometimes, deleting and retyping sometimes) and reports latency
// percentiles, model calls per 100 keystrokes, where answers came from, bytes sent to Ollama
// and the server's memory. Deterministic for a seed with the fake backend.
//
//	go run ./cmd/mimi-bench --src "$(go env GOROOT)/src" --functions 20
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/mimi-lsp/mimi-lsp/internal/testenv/fakeollama"
)

type options struct {
	src, server, backend, ollamaHost, redisURL string
	functions, maxKeys, maxBody                int
	seed                                       uint64
	p50, p99, delay                            time.Duration
	firstToken, perToken                       time.Duration
	accept, retype, wrong, pause               float64
	jsonOut                                    bool
	extraEnv                                   []string
}

func main() {
	var o options
	defSrc := filepath.Join(runtime.GOROOT(), "src")
	flag.StringVar(&o.src, "src", defSrc, "directory of Go source files to type from")
	flag.StringVar(&o.server, "server", "bin/mimi-lsp", "mimi-lsp binary to benchmark")
	flag.StringVar(&o.backend, "backend", "fake", "fake (in-process, latency from --p50/--p99) or ollama (a real server at --ollama-host)")
	flag.StringVar(&o.ollamaHost, "ollama-host", os.Getenv("OLLAMA_HOST"), "Ollama for --backend ollama")
	flag.StringVar(&o.redisURL, "redis-url", os.Getenv("MIMI_REDIS_URL"), "shared cache for the server (empty: memory only)")
	flag.IntVar(&o.functions, "functions", 20, "functions to type")
	flag.IntVar(&o.maxKeys, "max-keys", 400, "most keystrokes per function")
	flag.IntVar(&o.maxBody, "max-body", 1200, "largest function body in bytes")
	flag.Uint64Var(&o.seed, "seed", 1, "seed for choices and the fake model")
	flag.DurationVar(&o.firstToken, "first-token", 250*time.Millisecond, "fake model: time before the first token (with --per-token > 0)")
	flag.DurationVar(&o.perToken, "per-token", 8*time.Millisecond, "fake model: time per token streamed (0: a log-normal latency from --p50/--p99 instead)")
	flag.DurationVar(&o.p50, "p50", 250*time.Millisecond, "fake model latency median (with --per-token 0)")
	flag.DurationVar(&o.p99, "p99", 1200*time.Millisecond, "fake model latency 99th percentile (with --per-token 0)")
	flag.DurationVar(&o.delay, "keystroke", 40*time.Millisecond, "time between keystrokes")
	flag.Float64Var(&o.accept, "accept", 0.5, "probability of accepting a suggestion that matches the text")
	flag.Float64Var(&o.retype, "retype", 0.03, "probability per keystroke of deleting 1–5 characters and retyping")
	flag.Float64Var(&o.pause, "pause", 0, "probability after a word (space, newline, punctuation) of a 300–900 ms pause (0: a steady key every --keystroke)")
	flag.Float64Var(&o.wrong, "wrong", 0.4, "share of fake answers that are wrong")
	flag.BoolVar(&o.jsonOut, "json", false, "print the report as JSON")
	flag.Func("env", "KEY=VALUE for the replayed server's environment, e.g. MIMI_DEBOUNCE=30ms (repeatable; not the hit benchmark's servers)", func(v string) error {
		k, _, ok := strings.Cut(v, "=")
		if !ok {
			return fmt.Errorf("want KEY=VALUE, got %q", v)
		}
		if k == "OLLAMA_HOST" || k == "MIMI_REDIS_URL" {
			return fmt.Errorf("%s is set by --backend/--ollama-host and --redis-url", k)
		}
		o.extraEnv = append(o.extraEnv, v)
		return nil
	})
	var hitRounds, hitBatch int
	flag.IntVar(&hitRounds, "hit-rounds", 3, "hit: batches per server, alternating between them")
	flag.IntVar(&hitBatch, "hit-batch", 300, "hit: identical completions per batch")
	flag.Parse()
	switch flag.Arg(0) {
	case "bare": // the hit benchmark's baseline server, on stdio
		if err := bareServer(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "mimi-bench bare:", err)
			os.Exit(1)
		}
		return
	case "report": // hit, replay and index figures in one report
		if err := runReport(context.Background(), o, hitRounds, hitBatch, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "mimi-bench:", err)
			os.Exit(1)
		}
		return
	case "hit": // cache-hit round trips against the bare server
		if err := runHit(context.Background(), o, hitRounds, hitBatch, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "mimi-bench:", err)
			os.Exit(1)
		}
		return
	}
	rep, err := run(context.Background(), o, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mimi-bench:", err)
		os.Exit(1)
	}
	if o.jsonOut {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
		return
	}
	rep.print(os.Stdout)
}

// report is what a run measured.
type report struct {
	Functions       int                `json:"functions"`
	Keystrokes      int                `json:"keystrokes"`
	AfterAccept     int                `json:"requests_after_accept"` // asked with no keystroke, right after an accept
	Requests        int                `json:"requests"`
	Answered        int                `json:"answered"`
	Cancelled       int                `json:"cancelled"`
	Empty           int                `json:"empty"`
	Errors          int                `json:"errors"`
	Accepted        int                `json:"accepted"`
	AcceptedChars   int                `json:"accepted_chars"`
	ServerShown     int                `json:"server_shown"`    // suggestions the server counted as shown
	ServerAccepted  int                `json:"server_accepted"` // accepts the server counted (mimi.accepted)
	P50, P95, P99   float64            // ms, of answered requests
	ModelCalls      int                `json:"model_calls"`
	CallsPer100Keys float64            `json:"model_calls_per_100_keystrokes"`
	CodeChars       int                `json:"code_chars"` // characters of the function bodies written (typed or accepted)
	CallsPer100Code float64            `json:"model_calls_per_100_code_chars"`
	BySource        map[string]int     `json:"by_source"`
	ShareBySource   map[string]float64 `json:"share_by_source"`
	PromptBytes     int64              `json:"prompt_bytes_to_ollama"`
	RSSKiB, PeakKiB int64              // server resident memory at the end / peak
	Elapsed         time.Duration
}

func run(ctx context.Context, o options, logw io.Writer) (*report, error) {
	targets, err := pickTargets(o.src, o.functions, o.seed, o.maxBody)
	if err != nil {
		return nil, err
	}
	host := o.ollamaHost
	var orc *oracle
	if o.backend == "fake" {
		orc = &oracle{p50: o.p50, p99: o.p99, firstToken: o.firstToken, perToken: o.perToken, wrong: o.wrong, seed: o.seed}
		f := fakeollama.New("")
		defer f.Close()
		f.SetBehaviour(orc.behave)
		host = f.URL
	} else if host == "" {
		return nil, fmt.Errorf("--backend ollama needs --ollama-host or OLLAMA_HOST")
	}
	// The replayed files live under file:///bench/, which is not a folder to index.
	env := append([]string{"OLLAMA_HOST=" + host, "MIMI_REDIS_URL=" + o.redisURL, "MIMI_INDEXING=false"}, o.extraEnv...)
	proc, err := startProc(ctx, env, logw, o.server, "--log-level", "warn")
	if err != nil {
		return nil, fmt.Errorf("%w (build it with make build)", err)
	}
	defer proc.stop()
	c, cmd := proc.c, proc.cmd
	r := &replayer{c: c, rng: rand.New(rand.NewPCG(o.seed, 7)), delay: o.delay, accept: o.accept, retype: o.retype, pause: o.pause, maxKeys: o.maxKeys}
	if orc != nil {
		r.onFile = orc.setTarget
	}
	start := time.Now()
	code := 0
	for i, t := range targets {
		code += len(strings.TrimSuffix(t.Body(), "\n"))
		fmt.Fprintf(logw, "mimi-bench: [%d/%d] %s %s (%d bytes)\n", i+1, len(targets), t.File, t.Name, len(t.Body()))
		if err := r.typeTarget(ctx, i, t); err != nil {
			return nil, err
		}
	}
	rep := &report{Functions: len(targets), Keystrokes: r.keystrokes, AfterAccept: r.afterAccept, Answered: len(r.answered), Cancelled: r.cancelled,
		Empty: r.empty, Errors: r.errors, Accepted: r.accepted, AcceptedChars: r.acceptedCh, CodeChars: code, Elapsed: time.Since(start)}
	rep.Requests = rep.Answered + rep.Cancelled + rep.Errors
	rep.P50, rep.P95, rep.P99 = percentiles(r.answered)
	var st struct {
		Completion struct {
			BySource    map[string]int `json:"bySource"`
			ModelCalls  int            `json:"modelCalls"`
			Shown       int            `json:"shown"`
			Accepted    int            `json:"accepted"`
			PromptBytes int64          `json:"promptBytes"`
		} `json:"completion"`
	}
	fctx, fcancel := context.WithTimeout(ctx, 30*time.Second)
	defer fcancel()
	if err := c.Call(fctx, "mimi/stats", nil, &st); err != nil {
		return nil, err
	}
	rep.ModelCalls, rep.BySource, rep.PromptBytes = st.Completion.ModelCalls, st.Completion.BySource, st.Completion.PromptBytes
	rep.ServerShown, rep.ServerAccepted = st.Completion.Shown, st.Completion.Accepted
	if rep.Keystrokes > 0 {
		rep.CallsPer100Keys = 100 * float64(rep.ModelCalls) / float64(rep.Keystrokes)
	}
	if rep.CodeChars > 0 {
		rep.CallsPer100Code = 100 * float64(rep.ModelCalls) / float64(rep.CodeChars)
	}
	total := 0
	for _, n := range rep.BySource {
		total += n
	}
	rep.ShareBySource = map[string]float64{}
	for k, n := range rep.BySource {
		rep.ShareBySource[k] = float64(n) / float64(max(1, total))
	}
	rep.RSSKiB, rep.PeakKiB = procMem(cmd.Process.Pid)
	_ = c.Shutdown(fctx)
	return rep, nil
}

// procMem reads VmRSS and VmHWM (KiB) of a process.
func procMem(pid int) (rss, peak int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		var v int64
		if _, err := fmt.Sscanf(l, "VmRSS: %d kB", &v); err == nil {
			rss = v
		}
		if _, err := fmt.Sscanf(l, "VmHWM: %d kB", &v); err == nil {
			peak = v
		}
	}
	return rss, peak
}

func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "functions %d, keystrokes %d, elapsed %s\n", r.Functions, r.Keystrokes, r.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "requests %d (%d right after an accept): answered %d (empty %d), cancelled %d, errors %d\n", r.Requests, r.AfterAccept, r.Answered, r.Empty, r.Cancelled, r.Errors)
	fmt.Fprintf(w, "latency of answered completions: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms\n", r.P50, r.P95, r.P99)
	fmt.Fprintf(w, "model calls %d = %.1f per 100 keystrokes, %.1f per 100 characters of code written (%d); prompt bytes to Ollama %d\n",
		r.ModelCalls, r.CallsPer100Keys, r.CallsPer100Code, r.CodeChars, r.PromptBytes)
	keys := make([]string, 0, len(r.BySource))
	for k := range r.BySource {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  answered from %-13s %6d  %5.1f%%\n", k, r.BySource[k], 100*r.ShareBySource[k])
	}
	fmt.Fprintf(w, "accepted %d suggestions (%d chars); the server counted %d shown, %d accepted\n", r.Accepted, r.AcceptedChars, r.ServerShown, r.ServerAccepted)
	fmt.Fprintf(w, "server RSS %d KiB (peak %d KiB)\n", r.RSSKiB, r.PeakKiB)
}
