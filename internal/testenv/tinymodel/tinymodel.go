// Package tinymodel writes tiny, deterministic qwen2-architecture GGUF files that a real Ollama
// server loads and runs on CPU in milliseconds. Tests serve them under the default model names so
// the real server path (HTTP, tokenizer, FIM tokens, stop tokens, streaming) is exercised without
// downloading weights.
//
// The network has one transformer block whose attention and FFN output projections are zero, so
// the residual stream after the block is the token's embedding: the next token depends only on the
// current one (a bigram model). Embeddings are one-hot "slots" and the output matrix maps slots to
// tokens, which makes the answer to any raw FIM prompt exactly: <|fim_middle|> → Answer → EOS.
package tinymodel

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"

	"github.com/ollama/ollama/fs/ggml"
)

const (
	hidden = 64
	ffn    = 128
	heads  = 4
	// logit scale: after RMS norm a one-hot slot is 8 (sqrt(hidden)), so the chosen token's
	// logit is 8*scale and every other token's is 0 — deterministic at any temperature.
	scale = 10
)

// Special tokens of the Qwen2.5-Coder vocabulary (the ones the FIM and repo formats use).
var Special = []string{
	"<|endoftext|>", "<|im_start|>", "<|im_end|>",
	"<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>",
	"<|repo_name|>", "<|file_sep|>",
}

// Spec says what the model answers.
type Spec struct {
	// Answer is produced after the Trigger token (then <|endoftext|>). Its bytes become one
	// vocabulary entry, so the answer is one generated token.
	Answer string
	// Trigger is the token after which the model answers: "" means <|fim_middle|> (raw FIM
	// prompts); "\n" suits a chat template that ends with "<|im_start|>assistant\n".
	Trigger string
	// Endless makes the model go on after Answer with ".,.," until num_predict (a long
	// generation, for cancellation tests) instead of <|endoftext|>.
	Endless bool
	// Embedding makes an embedding model (Ollama's "embedding" capability) whose vectors mean
	// something: every token gets a fixed pseudo-random embedding, attention is uniform (Q and K
	// zero), V is the identity and the attention output 32·I, so a text's vector is dominated by
	// the mean of its tokens' embeddings — texts that share identifiers get close vectors.
	//
	// Pooling is "cls" (2), not "last" (3): Ollama v0.17.4's runner marks only the last token as
	// an output, and llama.cpp then looks up the last token's row among all tokens, out of range
	// (GGML_ASSERT in get_rows). With cls pooling it takes row 0 of the outputs: the last token.
	Embedding bool
}

// Write writes the GGUF file for spec to path.
func Write(path string, spec Spec) error {
	if spec.Answer == "" {
		return fmt.Errorf("tinymodel: empty answer")
	}
	toks, types := vocabulary(spec.Answer)
	id := func(s string) int {
		for i, t := range toks {
			if t == s {
				return i
			}
		}
		panic("tinymodel: no token " + s)
	}
	nv := len(toks)
	trigger := "<|fim_middle|>"
	if spec.Trigger != "" {
		trigger = encodeBytes(spec.Trigger)
	}
	eos, middle, answer := id("<|endoftext|>"), id(trigger), id(encodeBytes(spec.Answer))
	after, alt := eos, -1 // what follows the answer; the second filler of an endless one
	if spec.Endless {
		// Two fillers taking turns: Ollama stops a generation that repeats one token 30 times.
		after, alt = id(encodeBytes(".")), id(encodeBytes(","))
	}

	// Slots: 0 = the trigger, 1 = the answer token, 2 = anything else, 3 and 4 = the fillers
	// after an endless answer.
	embd := make([]float32, nv*hidden)
	for t := range nv {
		slot := 2
		switch {
		case t == middle:
			slot = 0
		case t == answer:
			slot = 1
		case spec.Endless && t == after:
			slot = 3
		case spec.Endless && t == alt:
			slot = 4
		}
		embd[t*hidden+slot] = 1
	}
	out := make([]float32, nv*hidden)
	out[answer*hidden+0] = scale // trigger → answer
	out[after*hidden+1] = scale  // answer → EOS (or the filler)
	out[eos*hidden+2] = scale    // anything else → EOS
	if spec.Endless {
		out[alt*hidden+3] = scale   // "." → ","
		out[after*hidden+4] = scale // "," → ".", until num_predict
	}

	kv := ggml.KV{
		"general.architecture":                   "qwen2",
		"general.name":                           "mimi-tiny",
		"general.file_type":                      uint32(0),
		"qwen2.block_count":                      uint32(1),
		"qwen2.context_length":                   uint32(32768),
		"qwen2.embedding_length":                 uint32(hidden),
		"qwen2.feed_forward_length":              uint32(ffn),
		"qwen2.attention.head_count":             uint32(heads),
		"qwen2.attention.head_count_kv":          uint32(heads),
		"qwen2.attention.layer_norm_rms_epsilon": float32(1e-6),
		"qwen2.rope.freq_base":                   float32(1000000),
		"tokenizer.ggml.model":                   "gpt2",
		"tokenizer.ggml.pre":                     "qwen2",
		"tokenizer.ggml.tokens":                  toks,
		"tokenizer.ggml.token_type":              types,
		"tokenizer.ggml.merges":                  []string{"Ġ Ġ"},
		"tokenizer.ggml.bos_token_id":            uint32(eos),
		"tokenizer.ggml.eos_token_id":            uint32(eos),
		"tokenizer.ggml.padding_token_id":        uint32(eos),
		"tokenizer.ggml.add_bos_token":           false,
	}
	attnV, attnOut := []float32(nil), []float32(nil) // zero: the FIM model is a bigram model
	if spec.Embedding {
		kv["qwen2.pooling_type"] = uint32(2) // see the comment on Spec.Embedding
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range embd {
			embd[i] = float32(rng.NormFloat64())
		}
		attnV, attnOut = diag(1), diag(32)
	}

	ones := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = 1
		}
		return v
	}
	ts := []*ggml.Tensor{
		tensor("token_embd.weight", embd, hidden, nv),
		tensor("output.weight", out, hidden, nv),
		tensor("output_norm.weight", ones(hidden), hidden),
		tensor("blk.0.attn_norm.weight", ones(hidden), hidden),
		tensor("blk.0.ffn_norm.weight", ones(hidden), hidden),
		tensor("blk.0.attn_q.weight", nil, hidden, hidden),
		tensor("blk.0.attn_q.bias", nil, hidden),
		tensor("blk.0.attn_k.weight", nil, hidden, hidden),
		tensor("blk.0.attn_k.bias", nil, hidden),
		tensor("blk.0.attn_v.weight", attnV, hidden, hidden),
		tensor("blk.0.attn_v.bias", nil, hidden),
		tensor("blk.0.attn_output.weight", attnOut, hidden, hidden),
		tensor("blk.0.ffn_gate.weight", nil, hidden, ffn),
		tensor("blk.0.ffn_up.weight", nil, hidden, ffn),
		tensor("blk.0.ffn_down.weight", nil, ffn, hidden),
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := ggml.WriteGGUF(f, kv, ts); err != nil {
		f.Close()
		return fmt.Errorf("tinymodel: write %s: %w", path, err)
	}
	return f.Close()
}

// vocabulary returns the token strings (GPT-2 byte-level encoding) and their types:
// 256 byte tokens, one merge result, the special tokens, then the answer.
func vocabulary(answer string) ([]string, []int32) {
	var toks []string
	var types []int32
	for b := range 256 {
		toks = append(toks, encodeBytes(string([]byte{byte(b)})))
		types = append(types, 1) // normal
	}
	toks = append(toks, "ĠĠ")
	types = append(types, 1)
	for _, s := range Special {
		toks = append(toks, s)
		types = append(types, 3) // control
	}
	toks = append(toks, encodeBytes(answer))
	types = append(types, 1)
	return toks, types
}

// encodeBytes maps bytes to GPT-2's printable byte-level alphabet (bytes_to_unicode).
func encodeBytes(s string) string {
	var out []rune
	for _, b := range []byte(s) {
		out = append(out, byteRune[b])
	}
	return string(out)
}

var byteRune = func() [256]rune {
	var m [256]rune
	n := 0
	for b := range 256 {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			m[b] = rune(b)
		} else {
			m[b] = rune(256 + n)
			n++
		}
	}
	return m
}()

// diag is x times the hidden×hidden identity.
func diag(x float32) []float32 {
	m := make([]float32, hidden*hidden)
	for i := range hidden {
		m[i*hidden+i] = x
	}
	return m
}

// tensor builds an F32 tensor; nil data means zeros. Shape is in GGUF order (ne0 first).
func tensor(name string, data []float32, shape ...int) *ggml.Tensor {
	n := 1
	s := make([]uint64, len(shape))
	for i, d := range shape {
		n *= d
		s[i] = uint64(d)
	}
	if data == nil {
		data = make([]float32, n)
	}
	return &ggml.Tensor{Name: name, Kind: 0, Shape: s, WriterTo: f32s(data)}
}

type f32s []float32

func (v f32s) WriteTo(w io.Writer) (int64, error) {
	if err := binary.Write(w, binary.LittleEndian, []float32(v)); err != nil {
		return 0, err
	}
	return int64(4 * len(v)), nil
}
