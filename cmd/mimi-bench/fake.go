package main

import (
	"hash/fnv"
	"math"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/mimi-lsp/mimi-lsp/internal/testenv/fakeollama"
)

// oracle is the fake backend's model. It knows the file being typed and answers as a good FIM
// model would: the true middle between the prompt's prefix and suffix (the rest of the function
// being typed), up to num_predict tokens, streamed a token (4 bytes) at a time; the server cuts
// it as it cuts a real model's answer (one line mid-line, maxLines at a line end). A share of
// answers is wrong (as long as the right one, other code). Time: firstToken + perToken for each
// token streamed (the "250 ms + 8 ms/token"), or, with perToken 0, a log-normal latency
// from p50/p99. Decisions hash the prompt, so runs are repeatable.
type oracle struct {
	mu                   sync.Mutex
	text                 string // the whole target file
	p50, p99             time.Duration
	firstToken, perToken time.Duration
	wrong                float64
	seed                 uint64
}

// tokenBytes is the fake model's token size.
const tokenBytes = 4

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
	answer := middle(text, r.Prompt)
	limit := 128
	if n, ok := r.Options["num_predict"].(float64); ok && n > 0 {
		limit = int(n)
	}
	reason := "stop"
	if cut := limit * tokenBytes; len(answer) > cut {
		for cut > 0 && !utf8.RuneStart(answer[cut]) {
			cut-- // never inside a character
		}
		answer, reason = answer[:cut], "length" // as Ollama says when num_predict ends an answer
	}
	if answer != "" && o.hash(r.Prompt, "wrong") < o.wrong {
		answer = wrongAnswer(len(answer))
	}
	tokens := splitEvery(answer, tokenBytes)
	if o.perToken > 0 {
		// The first token comes after firstToken+perToken; each next one perToken later.
		return fakeollama.Behaviour{Chunks: tokens, Delay: o.firstToken + o.perToken, ChunkDelay: o.perToken, DoneReason: reason}
	}
	lat := o.latency(r.Prompt)
	chunks := splitEvery(answer, max(1, (len(answer)+3)/4)) // four pieces
	return fakeollama.Behaviour{Chunks: chunks, Delay: lat * 4 / 10, ChunkDelay: lat * 6 / 10 / time.Duration(max(1, len(chunks))), DoneReason: reason}
}

// middle is the true text between the prompt's prefix and suffix in the target file: what a
// perfect model would write at the cursor ("" when the prompt does not come from it).
func middle(text, prompt string) string {
	prefix, rest, ok := strings.Cut(strings.TrimPrefix(prompt, "<|fim_prefix|>"), "<|fim_suffix|>")
	if !ok {
		return ""
	}
	suffix, _, _ := strings.Cut(rest, "<|fim_middle|>")
	tail := prefix[max(0, len(prefix)-200):]
	i := strings.LastIndex(text, tail)
	if i < 0 {
		return ""
	}
	after := text[i+len(tail):]
	if strings.HasSuffix(after, suffix) { // the whole rest of the file is the suffix
		return after[:len(after)-len(suffix)]
	}
	head := suffix[:min(len(suffix), 200)]
	if head == "" {
		return after
	}
	j := strings.Index(after, head)
	if j < 0 {
		return ""
	}
	return after[:j]
}

// wrongAnswer is n bytes of plausible code that is not what the user will type.
func wrongAnswer(n int) string {
	const line = "\tfmt.Println(\"todo\")\n"
	return strings.Repeat(line, n/len(line)+1)[:max(n, 1)]
}

// splitEvery cuts s into pieces of n bytes, never inside a UTF-8 sequence.
func splitEvery(s string, n int) []string {
	var out []string
	for len(s) > n {
		cut := n
		for cut < len(s) && (s[cut]&0xC0) == 0x80 {
			cut++
		}
		out = append(out, s[:cut])
		s = s[cut:]
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}
