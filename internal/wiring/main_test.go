package wiring

import (
	"testing"

	"go.uber.org/goleak"
)

// Sessions, lingering releases and Redis clients must all be gone when the tests end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
