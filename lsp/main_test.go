package lsp_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every session, request goroutine and model call started by a test must end with it.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
