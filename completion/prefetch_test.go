package completion

import (
	"context"
	"strings"
	"testing"

	"github.com/mimi-lsp/mimi-lsp/model"
)

// lineModel answers the rest of a fixed text after the prompt's prefix, a line at a time.
type lineModel struct {
	scripted
	text string
}

func (m *lineModel) Generate(ctx context.Context, c *model.Call, req model.GenerateRequest, on func(string, string) bool) (model.Generation, error) {
	m.calls.Add(1)
	prefix, _, _ := strings.Cut(strings.TrimPrefix(req.Prompt, "<|fim_prefix|>"), "<|fim_suffix|>")
	rest := strings.TrimPrefix(m.text, prefix)
	line, _, _ := strings.Cut(rest, "\n")
	if line == "" && strings.HasPrefix(rest, "\n") {
		next, _, _ := strings.Cut(rest[1:], "\n")
		line = "\n" + next
	}
	if on != nil {
		on(line, line)
	}
	return model.Generation{Text: line, DoneReason: "stop"}, nil
}

// TestPrefetchNext: when a suggestion is shown, what follows it is asked for in the background;
// once the user has typed it to its end, the next suggestion comes from the cache, not a new
// wait for the model. With prefetching off nothing extra is asked.
func TestPrefetchNext(t *testing.T) {
	text := "a := 1\nb := 2\n"
	for _, on := range []bool{true, false} {
		m := &lineModel{text: text}
		e := newTestEngine(m)
		cfg := testConfig()
		cfg.PrefetchNext = on
		e.SetConfig(cfg)
		res, err := e.Complete(context.Background(), Request{Text: "\n", Offset: 0})
		if err != nil || res.Text != "a := 1" || res.Source != SourceModel {
			t.Fatalf("first: %+v %v", res, err)
		}
		e.running.Wait() // the prefetch has ended
		want := int64(1)
		if on {
			want = 2
		}
		if n := m.calls.Load(); n != want {
			t.Fatalf("prefetch %v: %d model calls after one suggestion, want %d", on, n, want)
		}
		// The user has typed the suggestion to its end.
		res, err = e.Complete(context.Background(), Request{Text: "a := 1\n", Offset: 6})
		if err != nil || res.Text != "\nb := 2" {
			t.Fatalf("next: %+v %v", res, err)
		}
		if on && res.Source != SourceMemory {
			t.Fatalf("next came from %s, want the prefetched answer in memory", res.Source)
		}
		if !on && res.Source != SourceModel {
			t.Fatalf("without prefetch the next came from %s", res.Source)
		}
		e.running.Wait()
	}
}
