package lsp

import (
	"context"
	"testing"

	"go.lsp.dev/jsonrpc2"

	"github.com/mimi-lsp/mimi-lsp/config"
)

// TestTrackRefusesAfterExit: a request that passed handle's "exited?" check just before exit
// arrived must still not be tracked: Serve may already be waiting on the WaitGroup, and an Add
// then races with that Wait. track checks again under the lock (the end-to-end form,
// TestRequestsRightAfterExitAreNotTracked, can only catch it under -race, by chance).
func TestTrackRefusesAfterExit(t *testing.T) {
	s, err := New(Options{Config: config.Default(),
		NewService: func(config.Config) (Service, error) { return &problemService{}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	if _, c, ok := s.track(context.Background(), jsonrpc2.NewNumberID(1)); !ok {
		t.Fatal("a request before exit is not tracked")
	} else {
		s.untrack(c)
	}
	s.exit()
	if _, _, ok := s.track(context.Background(), jsonrpc2.NewNumberID(2)); ok {
		t.Fatal("a request was tracked after exit")
	}
	s.mu.Lock()
	n := len(s.inflight)
	s.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d requests in flight after exit", n)
	}
}
