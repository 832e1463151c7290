package cache

import (
	"testing"
	"time"
)

// TestBreakerOneProbeAtATime: only the half-open probe's own release or failure frees the
// probe slot. A request let through while the breaker was closed and still in flight when it
// opened (a straggler) may end after the probe has started: its caller giving up, or its
// failure, must not let a second probe through, nor extend the cool-down.
func TestBreakerOneProbeAtATime(t *testing.T) {
	now := time.Unix(0, 0)
	b := newBreaker(1, time.Second, time.Minute)
	b.now = func() time.Time { return now }

	ok, straggler := b.allow() // let through while closed
	if !ok || straggler {
		t.Fatalf("closed breaker: allow = %v, probe = %v; want allowed, not a probe", ok, straggler)
	}
	if !b.failure(false) { // another request's failure trips it (threshold 1)
		t.Fatal("breaker did not trip")
	}
	if ok, _ := b.allow(); ok {
		t.Fatal("request allowed during the cool-down")
	}
	now = now.Add(time.Second)
	ok, probe := b.allow()
	if !ok || !probe {
		t.Fatalf("after the cool-down: allow = %v, probe = %v; want the probe", ok, probe)
	}

	b.abandon(straggler) // the straggler's caller gave up while the probe is in flight
	if ok, _ := b.allow(); ok {
		t.Fatal("a second probe was let through while the first is in flight (a straggler's abandon freed the slot)")
	}
	b.failure(straggler) // the straggler failed: neither frees the slot nor extends the cool-down
	if ok, _ := b.allow(); ok || b.state() != "half-open" {
		t.Fatalf("after a straggler's failure: allowed %v, state %s; want the probe alone, half-open", ok, b.state())
	}

	b.abandon(probe) // the probe's caller gave up: the next request probes
	ok, probe = b.allow()
	if !ok || !probe {
		t.Fatalf("after the probe was abandoned: allow = %v, probe = %v; want a new probe", ok, probe)
	}
	b.failure(probe) // a failed probe: open again, for twice the cool-down
	now = now.Add(time.Second)
	if ok, _ := b.allow(); ok {
		t.Fatal("the cool-down did not double after a failed probe")
	}
	now = now.Add(time.Second)
	if ok, probe := b.allow(); !ok || !probe {
		t.Fatal("no probe after the doubled cool-down")
	}
	if !b.success() || b.state() != "closed" {
		t.Fatalf("a successful probe did not close the breaker: %s", b.state())
	}
}
