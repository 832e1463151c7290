// Command mimi-lsp is an LSP server that gives AI code completion from local Ollama models.
//
//	mimi-lsp [serve] [flags]              serve LSP on stdio (or --listen ADDR for TCP)
//	mimi-lsp complete [flags] FILE:LINE:COL  print the completion at a position (1-based)
//	mimi-lsp doctor [flags]               check Ollama and the configured models
//	mimi-lsp index [flags] DIR            index a workspace (progress bar, then what it did)
//	mimi-lsp search [flags] DIR QUERY     ranked code for a query
//	mimi-lsp cache stats|clear            shared-cache usage, or delete this namespace
//	mimi-lsp config                       print every setting with its default
//	mimi-lsp version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/mimi-lsp/mimi-lsp/cache"
	"github.com/mimi-lsp/mimi-lsp/config"
)

// version is set with -ldflags "-X main.version=…"; otherwise the module version.
var version = ""

func main() {
	stop := startProfile()
	code := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	cfg := config.Default()
	if err := cfg.ApplyEnv(os.LookupEnv); err != nil {
		fmt.Fprintf(stderr, "mimi-lsp: invalid environment: %v\n", err)
		return 2
	}
	fs := flag.NewFlagSet("mimi-lsp "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.RegisterFlags(fs)
	listen := fs.String("listen", "", "serve LSP over TCP on this address instead of stdio (serve only; loopback addresses only unless --allow-remote)")
	allowRemote := fs.Bool("allow-remote", false, "with --listen: accept a non-loopback address and let clients set ollamaHost/redisURL (no authentication: only on a trusted network)")
	maxSessions := fs.Int("max-sessions", 8, "with --listen: how many LSP sessions at once (more connections are closed)")
	fs.Bool("prefetch-next", false, "removed (it added model calls without lowering latency): accepted and ignored, so old editor configurations still start")
	fs.Bool("stdio", true, "serve on stdio (the default; accepted for editors that pass it)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "mimi-lsp: invalid configuration:\n%v\n", err)
		return 2
	}
	log := newLogger(stderr, cfg.LogLevel)
	cache.RouteDriverLogs(log)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	switch cmd {
	case "serve":
		if *maxSessions < 1 {
			fmt.Fprintf(stderr, "mimi-lsp: --max-sessions must be at least 1, not %d\n", *maxSessions)
			return 2
		}
		return serve(ctx, cfg, *listen, *allowRemote, *maxSessions, stdin, stdout, log)
	case "complete":
		return complete(ctx, cfg, fs.Args(), stdout, stderr, log)
	case "doctor":
		return doctor(ctx, cfg, stdout)
	case "cache":
		return cacheCmd(ctx, cfg, fs.Args(), stdout, stderr)
	case "index":
		return indexCmd(ctx, cfg, fs.Args(), stdout, stderr, log)
	case "search":
		return searchCmd(ctx, cfg, fs.Args(), stdout, stderr, log)
	case "action":
		return actionCmd(ctx, cfg, fs.Args(), stdout, stderr, log)
	case "status":
		return statusCmd(ctx, cfg, stdout, stderr)
	case "config":
		fmt.Fprint(stdout, config.Reference())
		return 0
	case "version":
		fmt.Fprintf(stdout, "mimi-lsp %s\n", versionString())
		return 0
	default:
		fmt.Fprintf(stderr, "mimi-lsp: unknown command %q (serve, complete, action, status, doctor, index, search, cache, config, version)\n", cmd)
		return 2
	}
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}
