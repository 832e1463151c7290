package embed

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind (indexing runs, batches).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
