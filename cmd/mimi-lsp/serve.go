package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/internal/wiring"
	"github.com/mimi-lsp/mimi-lsp/lsp"
)

func serve(ctx context.Context, cfg config.Config, listen string, stdin io.Reader, stdout io.Writer, log *slog.Logger) int {
	w := wiring.New(cfg, log)
	defer w.Close(time.Second)
	if listen == "" {
		s, err := lsp.New(w.ServerOptions(cfg, versionString()))
		if err != nil {
			log.Error("cannot start", "err", err)
			return 1
		}
		return s.Serve(ctx, stdin, stdout)
	}
	l, err := net.Listen("tcp", listen)
	if err != nil {
		log.Error("cannot listen", "addr", listen, "err", err)
		return 1
	}
	log.Info("serving LSP over TCP", "addr", l.Addr().String())
	go func() { <-ctx.Done(); l.Close() }()
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return 0
			}
			log.Error("accept failed", "err", err)
			return 1
		}
		go func() {
			defer c.Close()
			s, err := lsp.New(w.ServerOptions(cfg, versionString()))
			if err != nil {
				log.Error("session failed to start", "err", err)
				return
			}
			code := s.Serve(ctx, c, c)
			log.Info("session ended", "remote", c.RemoteAddr().String(), "code", code)
		}()
	}
}
