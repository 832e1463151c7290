package wiring

import (
	"context"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/mimi-lsp/mimi-lsp/completion"
)

// retriever gives completion prompts code from other files, computed ahead of the keystroke:
// opening a file, an edit, or a completion in a region of a file (regionLines lines) starts a
// search in the background; completions in that region get its snippets at once (a map
// lookup). A completion never waits for retrieval; one search runs at a time per session, and
// a region asked for meanwhile waits in a single slot (the latest wins: where the user is now).
type retriever struct {
	log    *slog.Logger
	search func(ctx context.Context, query string, limit int) ([]searchHit, error)

	mu      sync.Mutex
	regions map[string]*region // by file + region
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	running bool       // one search at a time per session
	next    *retrieval // the region to search when the running search ends
	closed  bool
}

type region struct {
	ready    bool
	snippets []completion.Snippet
}

// retrieval is one region's search to run.
type retrieval struct {
	key, query, file string
	budget           int
}

type searchHit struct {
	rel  string // workspace-relative path, for the prompt
	file string // absolute path, to skip the file being edited
	text string
}

// regionLines is how far the cursor moves before retrieval is asked again.
const regionLines = 20

func newRetriever(log *slog.Logger, search func(ctx context.Context, query string, limit int) ([]searchHit, error)) *retriever {
	ctx, cancel := context.WithCancel(context.Background())
	return &retriever{log: log, search: search, regions: map[string]*region{}, ctx: ctx, cancel: cancel}
}

// snippets returns the snippets ready for r's region (nil when none yet), starting their search
// when nobody has; budget bounds their total size in bytes.
func (rt *retriever) snippets(r completion.Request, budget int) []completion.Snippet {
	if budget <= 0 || r.File == "" {
		return nil
	}
	line := strings.Count(r.Text[:r.Offset], "\n")
	key := r.File + "\x00" + strconv.Itoa(line/regionLines)
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if reg, ok := rt.regions[key]; ok {
		return reg.snippets
	}
	if rt.closed || rt.next != nil && rt.next.key == key {
		return nil
	}
	query := queryAround(r.Text, r.Offset)
	if query == "" {
		rt.regions[key] = &region{ready: true}
		return nil
	}
	job := &retrieval{key: key, query: query, file: r.File, budget: budget}
	if rt.running {
		rt.next = job
		return nil
	}
	rt.startLocked(job)
	return nil
}

// startLocked runs job's search in the background; when it ends, the waiting one starts.
func (rt *retriever) startLocked(job *retrieval) {
	rt.running = true
	rt.wg.Add(1)
	go func() {
		defer rt.wg.Done()
		ctx, cancel := context.WithTimeout(rt.ctx, 10*time.Second)
		defer cancel()
		hits, err := rt.search(ctx, job.query, 8)
		var out []completion.Snippet
		used := 0
		for _, h := range hits {
			if h.file == job.file || used+len(h.text) > job.budget {
				continue
			}
			used += len(h.text)
			out = append(out, completion.Snippet{Path: h.rel, Text: h.text})
			if len(out) == 3 {
				break
			}
		}
		rt.mu.Lock()
		defer rt.mu.Unlock()
		rt.running = false
		if err != nil {
			rt.log.Debug("retrieval failed; completing without context from other files", "err", err)
		} else {
			if len(rt.regions) > 4096 { // bounded: forget everything rather than track recency
				clear(rt.regions)
			}
			rt.regions[job.key] = &region{ready: true, snippets: out}
		}
		if n := rt.next; n != nil && !rt.closed && rt.ctx.Err() == nil {
			rt.next = nil
			if _, done := rt.regions[n.key]; !done {
				rt.startLocked(n)
			}
		}
	}()
}

// forget drops the snippets of a file's regions (its text or the index changed).
func (rt *retriever) forget() {
	rt.mu.Lock()
	clear(rt.regions)
	rt.mu.Unlock()
}

// close stops the search in flight and waits for it.
func (rt *retriever) close() {
	rt.mu.Lock()
	rt.closed = true // no search starts after this (wg.Add happens under mu)
	rt.mu.Unlock()
	rt.cancel()
	rt.wg.Wait()
}

// queryAround is the identifiers of the code around the cursor: the declaration it is in
// (the current function's name, parameters and result types), then the lines being written
// and what they refer to (the 12 lines before the cursor and a little after), without
// duplicates, at most 24.
func queryAround(text string, off int) string {
	start := off
	for range 12 { // the 12 lines before the cursor
		j := strings.LastIndexByte(text[:start], '\n')
		if j < 0 {
			start = 0
			break
		}
		start = j
	}
	end := min(len(text), off+200)
	seen := map[string]bool{}
	var decl, near []string
	add := func(to *[]string, s string) {
		for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			if len(w) < 3 || keywords[w] || unicode.IsDigit(rune(w[0])) || seen[w] {
				continue
			}
			seen[w] = true
			*to = append(*to, w)
		}
	}
	add(&decl, enclosingDecl(text, off))
	add(&near, text[start:end])
	if len(decl) > 8 {
		decl = decl[:8]
	}
	if len(near) > 24-len(decl) {
		near = near[len(near)-(24-len(decl)):]
	}
	return strings.Join(append(decl, near...), " ")
}

// enclosingDecl is the line that opens the top-level declaration the text before off is in:
// the nearest earlier line that starts in column 0 and neither closes a block nor is a
// comment ("func (s *Server) Start(ctx context.Context) error {", "def handle(request):",
// "class Widget extends Base {"). "" when there is none within 400 lines.
func enclosingDecl(text string, off int) string {
	end := off
	for range 400 {
		if end <= 0 {
			return ""
		}
		i := strings.LastIndexByte(text[:end-1], '\n') + 1 // start of the line ending at end
		line := strings.TrimRight(text[i:end], "\r\n")
		end = i
		if line == "" || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		switch {
		case strings.HasPrefix(line, "}"), strings.HasPrefix(line, ")"), strings.HasPrefix(line, "]"),
			strings.HasPrefix(line, "//"), strings.HasPrefix(line, "#"), strings.HasPrefix(line, "/*"),
			strings.HasPrefix(line, "*"), strings.HasPrefix(line, "end"):
			continue
		}
		return line
	}
	return ""
}

var keywords = map[string]bool{"func": true, "return": true, "package": true, "import": true, "var": true, "const": true,
	"type": true, "struct": true, "interface": true, "for": true, "range": true, "if": true, "else": true, "switch": true,
	"case": true, "default": true, "defer": true, "nil": true, "true": true, "false": true, "string": true, "int": true,
	"error": true, "def": true, "self": true, "class": true, "function": true, "let": true, "new": true, "this": true}

// sessionSearch adapts the session's indexers to the retriever.
func (s *Session) sessionSearch(ctx context.Context, query string, limit int) ([]searchHit, error) {
	xs := s.indexerList()
	var out []searchHit
	for _, x := range xs {
		hits, err := x.Search(ctx, query, limit)
		if err != nil {
			return nil, err
		}
		for _, h := range hits {
			out = append(out, searchHit{rel: h.Chunk.Path, file: filepath.Join(x.Root(), filepath.FromSlash(h.Chunk.Path)),
				text: h.Chunk.Text})
		}
	}
	return out, nil
}
