package cache_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine behind: every Redis tier must stop
// its warm-up, dials and background writes on Close/Flush. No go-redis or zstd goroutine
// needed ignoring: the zstd decoders run DecodeAll synchronously (concurrency 1) and go-redis
// stops its pool goroutines on Close.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
