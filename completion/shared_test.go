package completion

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/mimi-lsp/mimi-lsp/cache"
)

// plantedCache answers every lookup from the shared tier with a planted value.
type plantedCache struct{ val string }

func (c plantedCache) GetTier(context.Context, cache.Kind, string) ([]byte, string, error) {
	return []byte(c.val), cache.TierRedis, nil
}
func (plantedCache) Set(context.Context, cache.Kind, string, []byte) error { return nil }

// TestSharedAnswersObeyTheShapeRules: a value in a shared Redis (planted, or from a teammate with
// other settings) is cut to what this request allows: one line mid-line, maxLines at a line end.
func TestSharedAnswersObeyTheShapeRules(t *testing.T) {
	planted := strings.Repeat("os.RemoveAll(\"/\")\n", 500)
	e := New(&scripted{}, plantedCache{planted}, testConfig(), slog.New(slog.DiscardHandler))
	// End of line: at most MaxLines lines.
	res, err := e.Complete(context.Background(), Request{Text: "func f() {\n\t\n}\n", Offset: 12})
	if err != nil || res.Source != SourceRedis {
		t.Fatalf("%+v, %v", res, err)
	}
	if n := strings.Count(strings.TrimRight(res.Text, "\n"), "\n") + 1; n > testConfig().MaxLines {
		t.Fatalf("a shared answer of 500 lines was shown with %d lines", n)
	}
	// Mid-line: one line.
	res, _ = e.Complete(context.Background(), Request{Text: "x := f()\n", Offset: 5})
	if strings.Contains(res.Text, "\n") {
		t.Fatalf("mid-line shared answer has several lines: %q", res.Text)
	}
}
