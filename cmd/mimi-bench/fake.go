package main

import (
	"hash/fnv"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/mimi-lsp/mimi-lsp/internal/fakeollama"
)

// oracle is the fake backend's model: it knows the file being typed and answers with the true
// continuation (the rest of the line, or the next line at a line end), wrong in a share of
// answers, after a log-normal latency. Decisions hash the prompt, so runs are repeatable.
type oracle struct {
	mu       sync.Mutex
	text     string // the whole target file
	p50, p99 time.Duration
	wrong    float64
	seed     uint64
}

func (o *oracle) setTarget(text string) {
	o.mu.Lock()
	o.text = text
	o.mu.Unlock()
}

func (o *oracle) hash(s string, salt string) float64 {
	h := fnv.New64a()
	h.Write([]byte(salt))
	h.Write([]byte(s))
	var b [8]byte
	for i := range b {
		b[i] = byte(o.seed >> (8 * i))
	}
	h.Write(b[:])
	return float64(h.Sum64()%1_000_000) / 1_000_000
}

// latency draws from a log-normal with the given median and 99th percentile.
func (o *oracle) latency(prompt string) time.Duration {
	if o.p50 <= 0 {
		return 0
	}
	sigma := 0.0
	if o.p99 > o.p50 {
		sigma = math.Log(float64(o.p99)/float64(o.p50)) / 2.3263
	}
	u := math.Max(o.hash(prompt, "lat"), 1e-6)
	z := math.Sqrt2 * math.Erfinv(2*u-1)
	return time.Duration(float64(o.p50) * math.Exp(sigma*z))
}

func (o *oracle) behave(r fakeollama.Request) fakeollama.Behaviour {
	o.mu.Lock()
	text := o.text
	o.mu.Unlock()
	lat := o.latency(r.Prompt)
	prefix, _, ok := strings.Cut(strings.TrimPrefix(r.Prompt, "<|fim_prefix|>"), "<|fim_suffix|>")
	answer := ""
	if ok {
		tail := prefix[max(0, len(prefix)-200):]
		if i := strings.LastIndex(text, tail); i >= 0 {
			answer = continuation(text[i+len(tail):])
		}
	}
	if answer != "" && o.hash(r.Prompt, "wrong") < o.wrong {
		answer = "fmt.Println(\"todo\")"
	}
	chunks := splitChunks(answer, 4)
	return fakeollama.Behaviour{Chunks: chunks, Delay: lat * 4 / 10, ChunkDelay: lat * 6 / 10 / time.Duration(max(1, len(chunks)))}
}

// continuation is what a good model would say: the rest of this line, or the next line when
// the cursor is at a line end.
func continuation(rest string) string {
	line, _, _ := strings.Cut(rest, "\n")
	if strings.TrimSpace(line) != "" {
		return line
	}
	if len(line) < len(rest) {
		next, _, _ := strings.Cut(rest[len(line)+1:], "\n")
		return line + "\n" + next
	}
	return ""
}

func splitChunks(s string, n int) []string {
	if s == "" {
		return nil
	}
	size := max(1, (len(s)+n-1)/n)
	var out []string
	for len(s) > size {
		cut := size
		for cut < len(s) && (s[cut]&0xC0) == 0x80 {
			cut++
		}
		out = append(out, s[:cut])
		s = s[cut:]
	}
	return append(out, s)
}
