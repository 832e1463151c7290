package model

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/internal/testenv/fakeollama"
)

func TestGenerateClassifiesFailures(t *testing.T) {
	f := fakeollama.New("")
	defer f.Close()
	cases := []struct {
		name  string
		b     fakeollama.Behaviour
		model string
		ctx   time.Duration
		want  Kind
	}{
		{"missing", fakeollama.Behaviour{}, "missing:1b", 0, KindModelMissing},
		{"overloaded", fakeollama.Behaviour{Status: http.StatusServiceUnavailable, Error: "server busy"}, "m", 0, KindOverloaded},
		{"bad request", fakeollama.Behaviour{Status: http.StatusBadRequest, Error: "does not support insert"}, "m", 0, KindBadRequest},
		{"server error", fakeollama.Behaviour{Status: http.StatusInternalServerError, Error: "boom"}, "m", 0, KindServer},
		{"error line in stream", fakeollama.Behaviour{Chunks: []string{"a"}, Error: "runner died"}, "m", 0, KindServer},
		{"timeout", fakeollama.Behaviour{Hang: true}, "m", 100 * time.Millisecond, KindTimeout},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f.SetBehaviour(func(fakeollama.Request) fakeollama.Behaviour { return tc.b })
			c, _ := New(Config{Host: f.URL})
			ctx := context.Background()
			if tc.ctx > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.ctx)
				defer cancel()
			}
			_, err := c.Generate(ctx, GenerateRequest{Model: tc.model, Prompt: "x"}, nil)
			if KindOf(err) != tc.want {
				t.Fatalf("kind = %v (%v), want %v", KindOf(err), err, tc.want)
			}
		})
	}
	c, _ := New(Config{Host: "http://127.0.0.1:1", ConnectTimeout: time.Second})
	_, err := c.Generate(context.Background(), GenerateRequest{Model: "m"}, nil)
	if KindOf(err) != KindUnreachable || !strings.Contains(err.(*Error).Hint(), "ollama serve") {
		t.Fatalf("unreachable: %v", err)
	}
}

func TestGenerateStopsEarlyAndSendsOptions(t *testing.T) {
	f := fakeollama.New("")
	defer f.Close()
	f.SetBehaviour(func(fakeollama.Request) fakeollama.Behaviour {
		return fakeollama.Behaviour{Chunks: []string{"one", "\n", "two", "three"}, ChunkDelay: 20 * time.Millisecond}
	})
	c, _ := New(Config{Host: f.URL})
	g, err := c.Generate(context.Background(), GenerateRequest{
		Model: "m", Prompt: "p", Options: Options{NumCtx: 2048, NumPredict: 32, Temperature: 0.1, TopP: 0.9},
		Stop: []string{"<|endoftext|>"}, KeepAlive: time.Minute,
	}, func(_, soFar string) bool { return !strings.Contains(soFar, "\n") })
	if err != nil || g.Text != "one\n" || g.DoneReason != "client" {
		t.Fatalf("early stop: %+v %v", g, err)
	}
	r := f.Requests()[0]
	if !r.Raw || r.Options["num_predict"] != float64(32) || r.Options["num_ctx"] != float64(2048) || r.KeepAlive == nil {
		t.Fatalf("request = %+v", r)
	}
	waitFor(t, func() bool { return f.Cancelled.Load() == 1 }) // the HTTP request was closed
}

func TestDoctorReportsMissingModels(t *testing.T) {
	f := fakeollama.New("")
	defer f.Close()
	c, _ := New(Config{Host: f.URL})
	checks := c.Doctor(context.Background(), Router{Completion: "qwen2.5-coder:1.5b", Action: "missing-30b", Embed: "nomic-embed-text"})
	if len(checks) != 4 || !checks[0].OK || !checks[1].OK || checks[2].OK || checks[2].Fix != "ollama pull missing-30b" || !checks[3].OK {
		t.Fatalf("checks = %+v", checks)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("condition not reached in 5s")
		}
	}
}

// TestChatStreamsAndKeepsThinkingApart: /api/chat pieces stream to onChunk; the model's
// separate reasoning is reported as thinking and never part of the answer; an early stop
// closes the request; the scheduler admits chats at the action priority.
func TestChatStreamsAndKeepsThinkingApart(t *testing.T) {
	f := fakeollama.New("")
	defer f.Close()
	f.SetBehaviour(func(fakeollama.Request) fakeollama.Behaviour {
		return fakeollama.Behaviour{Thinking: []string{"hmm, ", "let me see"}, Chunks: []string{"```go\n", "func F() {}\n", "```"}}
	})
	c, _ := New(Config{Host: f.URL})
	s := NewScheduler(c, 1, nil)
	defer s.Close()
	no := false
	var thought, said strings.Builder
	g, err := s.Chat(context.Background(), nil, ChatRequest{Model: "m", Think: &no,
		Messages: []Message{{Role: "system", Content: "be brief"}, {Role: "user", Content: "write F"}},
		Options:  Options{NumCtx: 4096, NumPredict: 512}},
		func(chunk, _ string, thinking bool) bool {
			if thinking {
				thought.WriteString(chunk)
			} else {
				said.WriteString(chunk)
			}
			return true
		})
	if err != nil || g.Text != "```go\nfunc F() {}\n```" || g.DoneReason != "stop" {
		t.Fatalf("chat = %+v, %v", g, err)
	}
	if thought.String() != "hmm, let me see" || said.String() != g.Text {
		t.Fatalf("thinking %q, answer %q", thought.String(), said.String())
	}
	r := f.Requests()[0]
	if !r.Chat || len(r.Messages) != 2 || r.Messages[1].Content != "write F" || r.Think != false || r.Options["num_predict"] != float64(512) {
		t.Fatalf("request = %+v", r)
	}
	g, err = c.Chat(context.Background(), ChatRequest{Model: "m"}, func(_, soFar string, _ bool) bool { return !strings.Contains(soFar, "func") })
	if err != nil || g.DoneReason != "client" || strings.Contains(g.Text, "```\n```") {
		t.Fatalf("early stop: %+v %v", g, err)
	}
}
