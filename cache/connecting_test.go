package cache

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/internal/testenv/redistest"
)

// TestConnectingAfterWarmUp: once warm, a lookup that times out is a failure unless it never
// got a connection because a dial is in progress (a pool reconnecting to a remote TLS Redis)
// and no dial has failed since the last good one. The errors are go-redis's own: a command
// waiting for a held TLS dial (the context's error) and a command waiting for a paused
// server's answer (a socket timeout).
func TestConnectingAfterWarmUp(t *testing.T) {
	tlsSrv := redistest.StartTLS(t)
	t.Setenv("SSL_CERT_FILE", tlsSrv.CAFile)
	proxy := newGateProxy(t, tlsSrv.Addr()) // holds every dial
	held, err := NewRedis(RedisConfig{URL: fmt.Sprintf("rediss://127.0.0.1:%d", proxy.Port), ConnectTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	waitingForDial := held.client.GetRange(ctx, "k", 0, 1).Err()
	cancel()
	if held.dialing.Load() == 0 {
		t.Fatal("no dial in progress through a proxy that holds them")
	}

	plain := redistest.Start(t)
	slow, err := NewRedis(RedisConfig{URL: plain.URL(), Timeout: 30 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	if err := slow.WaitReady(context.Background()); err != nil {
		t.Fatal(err)
	}
	plain.Pause(t, 2*time.Second)
	waitingForAnswer := slow.client.GetRange(context.Background(), "k", 0, 1).Err()

	tierTimeout, cancel := context.WithTimeoutCause(context.Background(), 0, errTierTimeout)
	defer cancel()
	<-tierTimeout.Done()
	ready := make(chan struct{})
	close(ready)
	var dialFailed error = &dialError{err: errors.New("connection refused")}
	for _, tc := range []struct {
		name    string
		err     error
		dialing int32
		dialErr *error
		want    bool
	}{
		{"waiting for a dial", waitingForDial, 1, nil, true},
		{"waiting for a dial after one failed", waitingForDial, 1, &dialFailed, false},
		{"no dial in progress", waitingForDial, 0, nil, false},
		{"waiting for Redis's answer", waitingForAnswer, 1, nil, false},
		{"not a timeout", errors.New("NOPERM"), 1, nil, false},
	} {
		r := &Redis{ready: ready}
		r.dialing.Store(tc.dialing)
		r.dialErr.Store(tc.dialErr)
		if got := r.connecting(tierTimeout, tc.err); got != tc.want {
			t.Errorf("%s (%v): connecting = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}
