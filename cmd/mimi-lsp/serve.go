package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/internal/wiring"
	"github.com/mimi-lsp/mimi-lsp/lsp"
)

// serve runs LSP on stdio, or on TCP with --listen. A TCP listener has no authentication: it
// binds loopback addresses only unless allowRemote (--allow-remote) says otherwise, and its
// clients may not point the server at another Ollama or Redis (initializationOptions /
// didChangeConfiguration) unless allowRemote is set.
func serve(ctx context.Context, cfg config.Config, listen string, allowRemote bool, maxSessions int, stdin io.Reader, stdout io.Writer, log *slog.Logger) int {
	w := wiring.New(cfg, log)
	defer w.Close(time.Second)
	side := newSidecar(w, cfg, log)
	defer side.close()
	if listen == "" {
		opts := w.ServerOptions(cfg, versionString())
		opts.OnConfig = side.apply // one editor: the sidecar follows its settings and workspace
		s, err := lsp.New(opts)
		if err != nil {
			log.Error("cannot start", "err", err)
			return 1
		}
		return s.Serve(ctx, stdin, stdout)
	}
	l, err := listenTCP(listen, allowRemote)
	if err != nil {
		log.Error("cannot listen", "addr", listen, "err", err)
		return 1
	}
	opts := w.ServerOptions(cfg, versionString())
	opts.LockEndpoints = !allowRemote
	opts.Remote = true // any local user (or, with allowRemote, host) may connect: read no files for them
	log.Info("serving LSP over TCP", "addr", l.Addr().String(), "max_sessions", maxSessions)
	go func() { <-ctx.Done(); l.Close() }()
	// Sessions end (and release their clients) before the deferred w.Close closes what is
	// shared: a session still answering must not find its Redis client closed under it.
	return acceptSessions(ctx, l, maxSessions, log, func(c net.Conn) {
		in, err := refuseHTTP(c)
		if err != nil {
			log.Warn("connection refused", "remote", c.RemoteAddr().String(), "err", err)
			return
		}
		s, err := lsp.New(opts)
		if err != nil {
			log.Error("session failed to start", "err", err)
			return
		}
		code := s.Serve(ctx, in, c)
		log.Info("session ended", "remote", c.RemoteAddr().String(), "code", code)
	})
}

// acceptSessions serves each connection of l on its own goroutine, at most max at once: any
// local user can connect, and each session holds documents, an engine and model calls. A
// connection over the cap is closed at once (logged the first time after the cap was last
// free, not once per attempt). It returns when l fails (0 when ctx ended) after every session.
func acceptSessions(ctx context.Context, l net.Listener, max int, log *slog.Logger, serve func(net.Conn)) int {
	var sessions sync.WaitGroup
	defer sessions.Wait()
	slots := make(chan struct{}, max)
	refusing := false
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return 0
			}
			log.Error("accept failed", "err", err)
			return 1
		}
		select {
		case slots <- struct{}{}:
			refusing = false
		default:
			if !refusing {
				log.Warn("connection refused: the session limit is reached (--max-sessions)", "remote", c.RemoteAddr().String(), "max", max)
			}
			refusing = true
			c.Close()
			continue
		}
		sessions.Go(func() {
			defer func() { <-slots }()
			defer c.Close()
			serve(c)
		})
	}
}

// listenTCP listens on addr, refusing an address that is not loopback (":9000", "0.0.0.0:…", a
// LAN address, a hostname that resolves elsewhere) unless allowRemote.
func listenTCP(addr string, allowRemote bool) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if ta, ok := l.Addr().(*net.TCPAddr); ok && !ta.IP.IsLoopback() && !allowRemote {
		l.Close()
		return nil, fmt.Errorf("%s is not a loopback address: anyone who can reach it could drive this server "+
			"(no authentication) — use 127.0.0.1:PORT, or pass --allow-remote if you mean it", addr)
	}
	return l, nil
}

// bufferedConn reads through the buffer that was peeked and closes the connection.
type bufferedConn struct {
	*bufio.Reader
	net.Conn
}

func (b bufferedConn) Read(p []byte) (int, error) { return b.Reader.Read(p) }

// firstByteTimeout is how long a new connection may stay silent before it is dropped.
const firstByteTimeout = 10 * time.Second

// refuseHTTP drops a connection that starts like an HTTP request: a web page can make the
// browser send one to a loopback port, and the LSP framing would skip the request line and
// parse the body as a message.
func refuseHTTP(c net.Conn) (io.ReadCloser, error) {
	br := bufio.NewReader(c)
	_ = c.SetReadDeadline(time.Now().Add(firstByteTimeout))
	head, err := br.Peek(8)
	_ = c.SetReadDeadline(time.Time{})
	if err != nil {
		// Nothing (or less than a frame header) within the deadline: an idle socket must not
		// hold one of the --max-sessions slots the owner's editor needs.
		return nil, fmt.Errorf("no LSP message within %s: %w", firstByteTimeout, err)
	}
	for _, m := range []string{"GET ", "POST ", "PUT ", "HEAD ", "OPTIONS ", "DELETE ", "PATCH ", "CONNECT ", "TRACE "} {
		if strings.HasPrefix(string(head), m) {
			return nil, fmt.Errorf("an HTTP request (%q…) on the LSP port", strings.TrimSpace(m))
		}
	}
	return bufferedConn{Reader: br, Conn: c}, nil
}
