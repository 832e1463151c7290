package wiring

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/completion"
	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/fakeollama"
	"github.com/mimi-lsp/mimi-lsp/model"
)

// TestOneSchedulerPerOllamaHost: configurations naming the same Ollama host share one
// scheduler (its limit follows numParallel); another host gets its own.
func TestOneSchedulerPerOllamaHost(t *testing.T) {
	cfg := config.Default()
	cfg.OllamaHost = "http://127.0.0.1:1"
	w := New(cfg, slog.New(slog.DiscardHandler))
	a, err := w.Scheduler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if a.Limit() != cfg.NumParallel {
		t.Fatalf("limit = %d, want numParallel %d", a.Limit(), cfg.NumParallel)
	}
	cfg2 := cfg
	cfg2.OllamaHost = "127.0.0.1:1" // the same host, written another way
	cfg2.NumParallel = 3
	b, err := w.Scheduler(cfg2)
	if err != nil {
		t.Fatal(err)
	}
	if a != b || a.Limit() != 3 {
		t.Fatalf("same host: shared %t, limit %d; want one scheduler with limit 3", a == b, a.Limit())
	}
	cfg3 := cfg
	cfg3.OllamaHost = "http://127.0.0.1:2"
	if c, err := w.Scheduler(cfg3); err != nil || c == a {
		t.Fatalf("another host shares the scheduler (%v)", err)
	}
}

// TestEnginesShareTheHostScheduler: two engines built for the same host queue their calls in
// one scheduler: with numParallel 1, the second engine's call waits for the first's.
func TestEnginesShareTheHostScheduler(t *testing.T) {
	f := fakeollama.New("")
	defer f.Close()
	release := make(chan struct{})
	f.SetBehaviour(func(r fakeollama.Request) fakeollama.Behaviour {
		if r.Prompt != "" && f.Calls.Load() == 1 {
			<-release // the first call holds the model until the test lets it go
		}
		return fakeollama.Behaviour{Chunks: []string{"ok"}}
	})
	cfg := config.Default()
	cfg.OllamaHost = f.URL
	cfg.NumParallel = 1
	w := New(cfg, slog.New(slog.DiscardHandler))
	defer w.Close(time.Second)
	e1, err := w.Engine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e2, err := w.Engine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := w.Scheduler(cfg)
	done := make(chan error, 2)
	ask := func(e *completion.Engine, text string) {
		_, err := e.Complete(context.Background(), completion.Request{Text: text, Offset: len(text)})
		done <- err
	}
	go ask(e1, "a := ")
	waitLoad(t, s, cfg.CompletionModel, model.Load{Running: 1})
	go ask(e2, "b := ")
	waitLoad(t, s, cfg.CompletionModel, model.Load{Running: 1, Waiting: 1})
	close(release)
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

func waitLoad(t *testing.T, s *model.Scheduler, modelName string, want model.Load) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); s.Load(modelName) != want; time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("load = %+v, want %+v", s.Load(modelName), want)
		}
	}
}
