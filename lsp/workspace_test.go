package lsp

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/lsptest"
)

// indexService is a Service that indexes: it reports progress for 4 files, then blocks until
// released (or cancelled), and answers searches with one hit.
type indexService struct {
	problemService
	release chan struct{}
	mu      sync.Mutex
	roots   []string
	runs    int
	updates [][]string // paths of each UpdateFiles
}

func (x *indexService) UpdateFiles(_ context.Context, paths []string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.updates = append(x.updates, paths)
	return nil
}

func (x *indexService) IndexWorkspace(ctx context.Context, roots []string, report func(IndexProgress)) (IndexSummary, error) {
	x.mu.Lock()
	x.roots, x.runs = roots, x.runs+1
	x.mu.Unlock()
	for i := 1; i <= 4; i++ {
		report(IndexProgress{Done: i, Total: 4})
	}
	select {
	case <-x.release:
		return IndexSummary{Files: 4, Chunks: 9, Embedded: 7, CacheHits: 2}, nil
	case <-ctx.Done():
		return IndexSummary{}, ctx.Err()
	}
}

func (x *indexService) Search(_ context.Context, query string, limit int) ([]SearchResult, error) {
	return []SearchResult{{File: "/w/b.go", StartLine: 3, EndLine: 5, Score: 0.9, Snippet: "func " + query + "() {}"}}, nil
}

func startIndexSession(t *testing.T, x *indexService) *lsptest.Client {
	t.Helper()
	return startServiceSession(t, x)
}

// startServiceSession serves one session over a pipe with svc as its service.
func startServiceSession(t *testing.T, svc Service) *lsptest.Client {
	t.Helper()
	s, err := New(Options{Config: config.Default(), Log: slog.New(slog.DiscardHandler),
		NewService: func(config.Config) (Service, error) { return svc, nil }})
	if err != nil {
		t.Fatal(err)
	}
	a, b := net.Pipe()
	done := make(chan struct{})
	go func() { s.Serve(context.Background(), a, a); close(done) }()
	t.Cleanup(func() {
		b.Close()
		<-done
	})
	return lsptest.New(b, b)
}

func waitProgress(t *testing.T, c *lsptest.Client, kind string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		for _, n := range c.Notifications("$/progress") {
			var p struct {
				Value map[string]any `json:"value"`
			}
			_ = json.Unmarshal(n.Params, &p)
			if p.Value["kind"] == kind {
				return p.Value
			}
		}
		if _, err := c.WaitNotification(ctx, "$/progress"); err != nil {
			t.Fatalf("no $/progress %s: %v", kind, err)
		}
	}
}

// TestIndexingOnInitializedWithProgress: initialized starts indexing every workspace folder in
// the background, with a created token, begin, percentage reports and end; mimi.search answers.
func TestIndexingOnInitializedWithProgress(t *testing.T) {
	x := &indexService{release: make(chan struct{})}
	c := startIndexSession(t, x)
	ctx := context.Background()
	var init struct {
		Capabilities struct {
			ExecuteCommandProvider struct{ Commands []string } `json:"executeCommandProvider"`
		} `json:"capabilities"`
	}
	raw, err := c.Initialize(ctx, "file:///w", nil, nil)
	if err != nil || json.Unmarshal(raw, &init) != nil {
		t.Fatal(err)
	}
	if cmds := init.Capabilities.ExecuteCommandProvider.Commands; !slices.Equal(cmds, []string{CommandAccepted, CommandSearch, CommandReindex}) {
		t.Fatalf("executeCommandProvider = %v", cmds)
	}
	begin := waitProgress(t, c, "begin")
	if !strings.Contains(begin["title"].(string), "indexing") || begin["cancellable"] != true {
		t.Fatalf("begin = %v", begin)
	}
	if len(c.Notifications("window/workDoneProgress/create")) != 1 {
		t.Fatal("no token created before $/progress")
	}
	if r := waitProgress(t, c, "report"); r["percentage"] == nil {
		t.Fatalf("report = %v", r)
	}
	// A search while indexing runs is answered (completion and search never wait for indexing).
	var hits []wireSearchResult
	if err := c.Call(ctx, "workspace/executeCommand", map[string]any{"command": CommandSearch,
		"arguments": []any{map[string]any{"query": "Serve", "limit": 5}}}, &hits); err != nil {
		t.Fatal(err)
	}
	if len(hits) != 1 || hits[0].URI != "file:///w/b.go" || hits[0].Range.Start.Line != 3 || !strings.Contains(hits[0].Snippet, "Serve") {
		t.Fatalf("search = %+v", hits)
	}
	close(x.release)
	if end := waitProgress(t, c, "end"); !strings.Contains(end["message"].(string), "4 files") {
		t.Fatalf("end = %v", end)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(x.roots) != 1 || x.roots[0] != "/w" {
		t.Fatalf("roots = %v", x.roots)
	}
}

// TestIndexingCancelledByTheUser: window/workDoneProgress/cancel stops indexing and ends the
// progress; bad command arguments get a clear error.
func TestIndexingCancelledByTheUser(t *testing.T) {
	x := &indexService{release: make(chan struct{})}
	c := startIndexSession(t, x)
	ctx := context.Background()
	if _, err := c.Initialize(ctx, "file:///w", nil, nil); err != nil {
		t.Fatal(err)
	}
	waitProgress(t, c, "begin")
	create := c.Notifications("window/workDoneProgress/create")[0]
	var p struct {
		Token string `json:"token"`
	}
	_ = json.Unmarshal(create.Params, &p)
	_ = c.Notify("window/workDoneProgress/cancel", map[string]any{"token": p.Token})
	if end := waitProgress(t, c, "end"); !strings.Contains(end["message"].(string), "cancelled") {
		t.Fatalf("end = %v", end)
	}
	err := c.Call(ctx, "workspace/executeCommand", map[string]any{"command": CommandSearch, "arguments": []any{}}, nil)
	if err == nil || !strings.Contains(err.Error(), "query") {
		t.Fatalf("search without a query: %v", err)
	}
}

// TestIndexFollowsSavesAndWatchedFiles: file watchers are registered; a save and watched-file
// events update just those files, quietly (no new progress in the editor); a malformed event
// re-walks the workspace.
func TestIndexFollowsSavesAndWatchedFiles(t *testing.T) {
	x := &indexService{release: make(chan struct{})}
	close(x.release) // every run ends at once
	c := startIndexSession(t, x)
	ctx := context.Background()
	if _, err := c.Initialize(ctx, "file:///w", nil, nil); err != nil {
		t.Fatal(err)
	}
	waitProgress(t, c, "end")
	runs := func() int {
		x.mu.Lock()
		defer x.mu.Unlock()
		return x.runs
	}
	waitRuns := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); runs() < n; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("index runs = %d, want %d", runs(), n)
			}
		}
	}
	waitRuns(1)
	updated := func() []string {
		x.mu.Lock()
		defer x.mu.Unlock()
		var all []string
		for _, u := range x.updates {
			all = append(all, u...)
		}
		return all
	}
	waitUpdated := func(want ...string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); strings.Join(updated(), " ") != strings.Join(want, " "); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("updated %q, want %q", updated(), want)
			}
		}
	}
	_ = c.DidOpen("file:///w/a.go", "go", "package a\n")
	_ = c.Notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": "file:///w/a.go"}})
	waitUpdated(filepath.FromSlash("/w/a.go"))
	_ = c.Notify("workspace/didChangeWatchedFiles", map[string]any{"changes": []any{
		map[string]any{"uri": "file:///w/b.go", "type": 1}, map[string]any{"uri": "untitled:Untitled-1", "type": 2}}})
	waitUpdated(filepath.FromSlash("/w/a.go"), filepath.FromSlash("/w/b.go"))
	if runs() != 1 {
		t.Fatalf("%d full runs; saves and watched files must not re-walk", runs())
	}
	_ = c.Notify("workspace/didChangeWatchedFiles", map[string]any{"changes": "garbage"})
	waitRuns(2)
	if n := len(c.Notifications("client/registerCapability")); n != 1 {
		t.Fatalf("file watchers registered %d times", n)
	}
	begins := 0
	for _, n := range c.Notifications("$/progress") {
		if strings.Contains(string(n.Params), `"begin"`) {
			begins++
		}
	}
	if begins != 1 {
		t.Fatalf("%d progress begins; refreshes must be quiet", begins)
	}
}

// TestHomeDirectoryIsNeverIndexed: a client whose root falls back to the home directory (or /)
// gets a message instead of its whole home sent to the embedding model.
func TestHomeDirectoryIsNeverIndexed(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip("no home directory")
	}
	for _, root := range []string{home, "/"} {
		x := &indexService{release: make(chan struct{})}
		close(x.release)
		c := startIndexSession(t, x)
		if _, err := c.Initialize(context.Background(), "file://"+filepath.ToSlash(root), nil, nil); err != nil {
			t.Fatal(err)
		}
		msg, err := c.WaitNotification(context.Background(), "window/showMessage")
		if err != nil || !strings.Contains(string(msg.Params), "not indexing") {
			t.Fatalf("%s: message %s, %v", root, msg.Params, err)
		}
		x.mu.Lock()
		runs := x.runs
		x.mu.Unlock()
		if runs != 0 {
			t.Fatalf("%s was indexed", root)
		}
	}
}

// TestWorkspaceFolderChangesReindex: added folders are indexed, removed ones are not.
func TestWorkspaceFolderChangesReindex(t *testing.T) {
	x := &indexService{release: make(chan struct{})}
	close(x.release)
	c := startIndexSession(t, x)
	raw, err := c.Initialize(context.Background(), "file:///w", nil, nil)
	if err != nil || !strings.Contains(string(raw), `"changeNotifications":true`) {
		t.Fatalf("initialize: %s, %v", raw, err)
	}
	waitProgress(t, c, "end")
	_ = c.Notify("workspace/didChangeWorkspaceFolders", map[string]any{"event": map[string]any{
		"added":   []any{map[string]any{"uri": "file:///v", "name": "v"}},
		"removed": []any{map[string]any{"uri": "file:///w", "name": "w"}},
	}})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		x.mu.Lock()
		roots, runs := x.roots, x.runs
		x.mu.Unlock()
		if runs >= 2 {
			if len(roots) != 1 || roots[0] != "/v" {
				t.Fatalf("roots after the change = %v", roots)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("folder change did not re-index")
		}
	}
}

// TestNestedFoldersIndexedOnce: a folder inside another workspace folder is indexed with it.
func TestNestedFoldersIndexedOnce(t *testing.T) {
	x := &indexService{release: make(chan struct{})}
	close(x.release)
	c := startIndexSession(t, x)
	params := map[string]any{"processId": nil, "rootUri": "file:///w",
		"capabilities":     map[string]any{"window": map[string]any{"workDoneProgress": true}},
		"workspaceFolders": []any{map[string]any{"uri": "file:///w", "name": "w"}, map[string]any{"uri": "file:///w/sub", "name": "sub"}, map[string]any{"uri": "file:///v", "name": "v"}}}
	if err := c.Call(context.Background(), "initialize", params, nil); err != nil {
		t.Fatal(err)
	}
	_ = c.Notify("initialized", map[string]any{})
	waitProgress(t, c, "end")
	x.mu.Lock()
	defer x.mu.Unlock()
	if strings.Join(x.roots, ",") != "/w,/v" {
		t.Fatalf("roots = %v", x.roots)
	}
}

// TestSaveWithoutWatchersRewalks: a client that cannot register file watchers reports no
// change made outside the editor, so each save re-walks the workspace (not just that file).
func TestSaveWithoutWatchersRewalks(t *testing.T) {
	x := &indexService{release: make(chan struct{})}
	close(x.release)
	c := startIndexSession(t, x)
	ctx := context.Background()
	var res json.RawMessage
	if err := c.Call(ctx, "initialize", map[string]any{"processId": nil, "rootUri": "file:///w",
		"capabilities": map[string]any{"window": map[string]any{"workDoneProgress": true}}}, &res); err != nil {
		t.Fatal(err)
	}
	_ = c.Notify("initialized", map[string]any{})
	waitProgress(t, c, "end")
	_ = c.DidOpen("file:///w/a.go", "go", "package a\n")
	_ = c.Notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": "file:///w/a.go"}})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		x.mu.Lock()
		runs, updates := x.runs, len(x.updates)
		x.mu.Unlock()
		if updates != 0 {
			t.Fatalf("a save without watchers updated only the file")
		}
		if runs == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("index runs = %d, want 2 (open, save)", runs)
		}
	}
	if n := len(c.Notifications("client/registerCapability")); n != 0 {
		t.Fatalf("watchers registered with a client that cannot: %d", n)
	}
}
