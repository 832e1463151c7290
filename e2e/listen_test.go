package e2e

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/internal/testenv/lsptest"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/ollamatest"
)

// TestListenTCP serves two editor sessions over TCP from one process.
func TestListenTCP(t *testing.T) {
	ol := ollamatest.StartT(t)
	cmd := exec.Command(binary, "--listen", "127.0.0.1:0", "--ollama-host", ol.URL)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	addrRe := regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`)
	sc := bufio.NewScanner(stderr)
	addr := ""
	for sc.Scan() {
		if m := addrRe.FindStringSubmatch(sc.Text()); m != nil {
			addr = m[1]
			break
		}
	}
	if addr == "" {
		t.Fatal("no listen address logged")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	ctx := timeout(t, 30*time.Second)
	for i := range 2 {
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c := lsptest.New(conn, conn)
		// The second client tries to point the server at another Ollama (a dead port): without
		// --allow-remote the server keeps its own endpoints, so it still answers.
		var opts any
		if i == 1 {
			opts = map[string]any{"ollamaHost": "http://127.0.0.1:1", "redisURL": "redis://127.0.0.1:1"}
		}
		if _, err := c.Initialize(ctx, "file:///w", []string{"utf-8"}, opts); err != nil {
			t.Fatalf("session %d: %v", i, err)
		}
		uri := "file:///w/a.go"
		// Each session's document differs, so the second needs the model (not the shared cache).
		_ = c.DidOpen(uri, "go", fmt.Sprintf("// session %d\nfunc add(a, b int) int {\n\treturn \n}\n", i))
		var list lsptest.CompletionList
		if err := c.Call(ctx, "textDocument/completion", lsptest.PositionParams(uri, 2, 8), &list); err != nil {
			t.Fatal(err)
		}
		if len(list.Items) != 1 || list.Items[0].TextEdit.NewText != ollamatest.Answer {
			t.Fatalf("session %d: %+v", i, list)
		}
		if i == 1 {
			// The client is told which of its settings were refused (a dead Redis alone would
			// only cost cache misses, so the message is what shows redisURL was kept too).
			n, err := c.WaitNotification(ctx, "window/showMessage")
			if err != nil {
				t.Fatal(err)
			}
			msg := string(n.Params)
			for _, want := range []string{"ollamaHost", "redisURL", "cannot be set by a client over TCP"} {
				if !strings.Contains(msg, want) {
					t.Fatalf("lock message %s lacks %q", msg, want)
				}
			}
		}
		if err := c.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		conn.Close()
	}
}
