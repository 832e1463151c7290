package completion

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/model"
)

// The fidelity test: real files cut where an editor leaves them while the user types, a model
// that answers the true middle (exactly, or running on past it as models do), the suggestion
// accepted as an editor accepts it. A case is intact when the document comes back identical to
// the original (for a function body: with a whole-line prefix of the body), from the model and
// again from the cache. `go test ./completion -run TestFidelity -v` prints the table;
// -fidelity.report=FILE writes it as Markdown (the README's table).

var fidelityReport = flag.String("fidelity.report", "", "write the fidelity table (Markdown) to this file")

const (
	fidelitySitesPerKind = 100   // per language and kind
	fidelityTarget       = 0.995 // the intact rate the test demands
	fidelityClassMax     = 1     // damaged cases any one class (kind, language, runoff) may have
)

// trueModel answers one fixed text as Ollama would stream it: in 4-byte pieces, stopped at the
// request's first stop string (which is left out) or at num_predict tokens (4 bytes each here).
type trueModel struct{ answer string }

func (m *trueModel) Generate(ctx context.Context, _ *model.Call, req model.GenerateRequest, on func(string, string) bool) (model.Generation, error) {
	text, done := m.answer, "stop"
	for _, st := range req.Stop {
		if i := strings.Index(text, st); i >= 0 {
			text = text[:i]
		}
	}
	if n := req.Options.NumPredict * 4; n > 0 && len(text) > n {
		text, done = text[:n], doneLength
	}
	for i := 0; i < len(text); i += 4 {
		if ctx.Err() != nil {
			return model.Generation{}, &model.Error{Kind: model.KindCancelled, Err: ctx.Err()}
		}
		if !on(text[i:min(i+4, len(text))], text[:min(i+4, len(text))]) {
			return model.Generation{Text: text[:min(i+4, len(text))], DoneReason: "client"}, nil
		}
	}
	return model.Generation{Text: text, DoneReason: done}, nil
}

// runoffs are how a model's answer goes on past the true middle: nothing more, the rest of the
// cursor's line, the next lines, the block's end and beyond; and, inside brackets, a stray space
// before the user's closer.
func runoffs(s site) map[string]string {
	suffix := s.doc[s.cursor:]
	upTo := func(n int) string { // the suffix through n line breaks
		i := 0
		for ; n > 0; n-- {
			j := strings.IndexByte(suffix[i:], '\n')
			if j < 0 {
				return suffix
			}
			i += j + 1
		}
		return suffix[:i]
	}
	out := map[string]string{"exact": s.middle}
	if nl := strings.IndexByte(suffix, '\n'); nl != 0 { // code follows on the cursor's line
		line := suffix
		if nl > 0 {
			line = suffix[:nl]
		}
		out["rest-of-line"] = s.middle + line
		if s.kind == kindBrackets && !strings.HasPrefix(s.middle, " ") {
			// Noise a model adds: a space before the user's closer is no part of the answer.
			out["space-noise"] = s.middle + " "
		}
		return out
	}
	out["next-lines"] = s.middle + strings.TrimSuffix(upTo(3), "\n")
	out["runs-on"] = s.middle + strings.TrimSuffix(upTo(8), "\n")
	return out
}

// intact reports whether accepting got at the site gives the original document back.
func intact(s site, got string) bool {
	if s.kind == kindBody {
		return got != "" && strings.HasPrefix(s.middle, got) && (len(got) == len(s.middle) || s.middle[len(got)] == '\n')
	}
	return got == s.middle
}

type fidelityCase struct {
	site   site
	runoff string
	got    string
}

type fidelityClass struct{ kind, lang, runoff string }

func TestFidelity(t *testing.T) {
	var sites []site
	var missing []string
	langs := map[string]int{}
	for _, l := range corpusLangs {
		files, why := loadCorpus(l)
		if why != "" {
			missing = append(missing, l.lang+": "+why)
			continue
		}
		byKind := map[string][]site{}
		for i := range files {
			for k, ss := range findSites(&files[i]) {
				byKind[k] = append(byKind[k], ss...)
			}
		}
		for _, k := range siteKinds {
			picked := spread(byKind[k], fidelitySitesPerKind)
			sites = append(sites, picked...)
			langs[l.lang] += len(picked)
		}
	}
	if len(missing) > 0 {
		msg := "fidelity corpus incomplete:\n  " + strings.Join(missing, "\n  ")
		if os.Getenv("MIMI_REQUIRE_ALL") == "1" {
			t.Fatal(msg)
		}
		t.Log("SKIPPING LANGUAGES — " + msg)
	}
	cfg := ConfigFrom(config.Default())
	total, damaged := 0, 0
	counts := map[fidelityClass][2]int{} // intact, all
	var bad []fidelityCase
	for _, s := range sites {
		ro := runoffs(s)
		for _, runoff := range slices.Sorted(maps.Keys(ro)) {
			answer := ro[runoff]
			got := completeAt(t, cfg, s, answer)
			ok := intact(s, got[0]) && got[1] == got[0]
			c := fidelityClass{s.kind, s.file.lang, runoff}
			n := counts[c]
			n[1]++
			total++
			if ok {
				n[0]++
			} else {
				damaged++
				bad = append(bad, fidelityCase{s, runoff, got[0] + map[bool]string{true: "", false: " ≠ cached " + strconv.Quote(got[1])}[got[1] == got[0]]})
			}
			counts[c] = n
		}
	}
	if total < 300 {
		t.Fatalf("only %d cases (languages %v): the corpus is too small to say anything", total, langs)
	}
	table := fidelityTable(counts, total, damaged)
	t.Logf("fidelity over %d cases (%v sites per language):\n%s", total, langs, table)
	if *fidelityReport != "" {
		if err := os.WriteFile(*fidelityReport, []byte(table), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	shown := map[fidelityClass]int{}
	for _, b := range bad {
		c := fidelityClass{b.site.kind, b.site.file.lang, b.runoff}
		if shown[c]++; shown[c] <= 3 {
			t.Logf("damaged %s/%s/%s %s:%d\n  doc:    %s\n  middle: %q\n  got:    %q", c.kind, c.lang, c.runoff, b.site.file.rel, b.site.line,
				showCursor(b.site), b.site.middle, b.got)
		}
	}
	if rate := float64(total-damaged) / float64(total); rate < fidelityTarget {
		t.Errorf("intact %.2f%% (%d of %d damaged), want ≥ %.1f%%", 100*rate, damaged, total, 100*fidelityTarget)
	}
	for c, n := range counts {
		if n[1]-n[0] > fidelityClassMax {
			t.Errorf("class %s/%s/%s: %d damaged of %d (at most %d allowed)", c.kind, c.lang, c.runoff, n[1]-n[0], n[1], fidelityClassMax)
		}
	}
}

// completeAt asks a fresh engine (defaults of the product) at the site with the model answering
// answer, then once more (the cache's answer); it returns both suggestions.
func completeAt(t *testing.T, cfg Config, s site, answer string) [2]string {
	t.Helper()
	e := New(&trueModel{answer: answer}, newMemCache(), cfg, slog.New(slog.DiscardHandler))
	defer e.running.Wait()
	r := Request{Text: s.doc, Offset: s.cursor, Path: s.file.rel, Language: s.file.lang}
	var out [2]string
	for i := range out {
		res, err := e.Complete(context.Background(), r)
		if err != nil {
			t.Fatalf("%s:%d: %v", s.file.rel, s.line, err)
		}
		out[i] = res.Text
	}
	return out
}

// showCursor shows the site's line with the cursor marked.
func showCursor(s site) string {
	a := strings.LastIndexByte(s.doc[:s.cursor], '\n') + 1
	b := strings.IndexByte(s.doc[s.cursor:], '\n')
	if b < 0 {
		b = len(s.doc) - s.cursor
	}
	return strconv.Quote(s.doc[a:s.cursor] + Cursor + s.doc[s.cursor:s.cursor+b])
}

// fidelityTable is the Markdown table of intact cases by kind and language.
func fidelityTable(counts map[fidelityClass][2]int, total, damaged int) string {
	type kl struct{ kind, lang string }
	agg := map[kl][2]int{}
	langSet := map[string]bool{}
	for c, n := range counts {
		k := kl{c.kind, c.lang}
		a := agg[k]
		a[0] += n[0]
		a[1] += n[1]
		agg[k] = a
		langSet[c.lang] = true
	}
	var langs []string
	for l := range langSet {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	var b strings.Builder
	b.WriteString("| kind |")
	for _, l := range langs {
		b.WriteString(" " + l + " |")
	}
	b.WriteString("\n|---|")
	for range langs {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, k := range siteKinds {
		b.WriteString("| " + k + " |")
		for _, l := range langs {
			n := agg[kl{k, l}]
			if n[1] == 0 {
				b.WriteString(" – |")
				continue
			}
			fmt.Fprintf(&b, " %d/%d (%.1f%%) |", n[0], n[1], 100*float64(n[0])/float64(n[1]))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "\nintact: %d of %d cases (%.2f%%)\n", total-damaged, total, 100*float64(total-damaged)/float64(total))
	return b.String()
}
