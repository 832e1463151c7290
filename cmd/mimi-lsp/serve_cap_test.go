package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"
)

// TestSessionCap: with --max-sessions 2, a third connection is closed at once while two
// sessions run; when one ends, a new connection is served again. Events, not timing, decide.
func TestSessionCap(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan net.Conn, 4)
	release := make(chan struct{}, 4)
	done := make(chan int)
	go func() {
		done <- acceptSessions(ctx, l, 2, slog.New(slog.DiscardHandler), func(c net.Conn) {
			started <- c
			<-release
		})
	}()
	dial := func() net.Conn {
		t.Helper()
		c, err := net.DialTimeout("tcp", l.Addr().String(), 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	wait := func(what string) {
		t.Helper()
		select {
		case <-started:
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: not served", what)
		}
	}
	dial()
	wait("first")
	dial()
	wait("second")
	third := dial()
	_ = third.SetReadDeadline(time.Now().Add(30 * time.Second))
	if n, err := third.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("third connection over the cap: read %d, %v; want it closed (EOF)", n, err)
	}
	release <- struct{}{} // one session ends
	// The slot frees after the session's goroutine returns: connect until one is served.
	for served := false; !served; {
		c := dial()
		_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		select {
		case <-started:
			served = true
		case <-time.After(30 * time.Second):
			t.Fatal("no connection served after a session ended")
		default:
			if _, err := c.Read(make([]byte, 1)); err == io.EOF {
				continue // refused: the slot was not free yet
			}
			select {
			case <-started:
				served = true
			case <-time.After(30 * time.Second):
				t.Fatal("no connection served after a session ended")
			}
		}
	}
	cancel()
	l.Close()
	release <- struct{}{}
	release <- struct{}{}
	if code := <-done; code != 0 {
		t.Fatalf("acceptSessions = %d after the context ended", code)
	}
}
