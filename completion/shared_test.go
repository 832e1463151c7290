package completion

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/mimi-lsp/mimi-lsp/cache"
)

// plantedRemote is a shared tier that answers every lookup with a planted value.
type plantedRemote struct{ val string }

func (r plantedRemote) Get(context.Context, cache.Kind, string) ([]byte, bool, error) {
	return []byte(r.val), true, nil
}
func (plantedRemote) Set(context.Context, cache.Kind, string, []byte) error { return nil }
func (plantedRemote) Stats() cache.Stats                                    { return cache.Stats{} }
func (plantedRemote) Clear(context.Context) (int64, error)                  { return 0, nil }
func (plantedRemote) Usage(context.Context) (map[cache.Kind]cache.Stats, error) {
	return nil, nil
}

// TestSharedAnswersObeyTheShapeRules: a value in a shared Redis (planted, or from a teammate with
// other settings) is cut to what this request allows — one line mid-line, maxLines at a line
// end — the first time (from Redis) and every time after (from the memory tier it was copied to).
func TestSharedAnswersObeyTheShapeRules(t *testing.T) {
	for name, planted := range map[string]string{
		"lines":         strings.Repeat("os.RemoveAll(\"/\")\n", 500),
		"lone CR":       strings.Repeat("os.RemoveAll(\"/\")\r", 500),
		"leading blank": strings.Repeat("\n", 5000) + strings.Repeat("x()\n", 50),
	} {
		tiers := cache.NewTiered(cache.NewMemory(1<<20, cache.TTLs{}), plantedRemote{planted}, nil)
		e := New(&scripted{}, tiers, testConfig(), slog.New(slog.DiscardHandler))
		for round, want := range []Source{SourceRedis, SourceMemory} {
			// End of line: at most MaxLines lines.
			res, err := e.Complete(context.Background(), Request{Text: "func f() {\n\t\n}\n", Offset: 12})
			if err != nil || res.Source != want {
				t.Fatalf("%s round %d: %+v, %v; want source %s", name, round, res, err, want)
			}
			if n := strings.Count(strings.Trim(res.Text, "\n"), "\n") + 1; n > testConfig().MaxLines || strings.Contains(res.Text, "\r") || strings.HasPrefix(res.Text, "\n\n") {
				t.Fatalf("%s round %d (%s): a planted answer was shown with %d lines (%q…)", name, round, res.Source, n, res.Text[:min(40, len(res.Text))])
			}
			// Mid-line: one line.
			res, _ = e.Complete(context.Background(), Request{Text: "x := f()\n", Offset: 5})
			if strings.ContainsAny(res.Text, "\r\n") {
				t.Fatalf("%s round %d: mid-line shared answer has several lines: %q", name, round, res.Text[:min(40, len(res.Text))])
			}
		}
	}
}
