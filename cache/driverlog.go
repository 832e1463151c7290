package cache

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"
)

// RouteDriverLogs sends go-redis's own log lines (one unstructured "failed to dial" line per
// failed dial, to stderr by default) to log at debug level: the tier already reports what
// failed once, at warn, with advice. go-redis's logger is process-wide, so the command calls
// this once at start.
func RouteDriverLogs(log *slog.Logger) {
	redis.SetLogger(driverLogger{log})
}

type driverLogger struct{ log *slog.Logger }

func (d driverLogger) Printf(ctx context.Context, format string, v ...any) {
	d.log.DebugContext(ctx, "go-redis: "+fmt.Sprintf(format, v...))
}
