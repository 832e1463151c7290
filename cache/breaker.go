package cache

import (
	"sync"
	"time"
)

// breaker fails open: after `threshold` consecutive failures Redis is skipped (callers use
// the memory tier and the model) for a cool-down that doubles up to maxCool; then one probe
// request is let through (half-open) and a success closes the breaker.
type breaker struct {
	mu        sync.Mutex
	threshold int
	baseCool  time.Duration
	maxCool   time.Duration
	now       func() time.Time

	failures  int
	open      bool
	cool      time.Duration
	openUntil time.Time
	probing   bool
	trips     uint64
}

func newBreaker(threshold int, baseCool, maxCool time.Duration) *breaker {
	return &breaker{threshold: threshold, baseCool: baseCool, maxCool: maxCool, cool: baseCool, now: time.Now}
}

// allow reports whether a request may go to Redis now, and whether it is the half-open probe
// (the caller passes probe back to failure and abandon: only the probe's verdict or release
// ends the probe, not that of a request let through before the breaker opened).
func (b *breaker) allow() (ok, probe bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.open {
		return true, false
	}
	if b.probing || b.now().Before(b.openUntil) {
		return false, false
	}
	b.probing = true // half-open: this request is the probe
	return true, true
}

// success records an answer from Redis and reports whether the breaker was open (it closes).
func (b *breaker) success() (wasOpen bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	wasOpen = b.open
	b.failures, b.open, b.probing, b.cool = 0, false, false, b.baseCool
	return wasOpen
}

// failure records a Redis failure and reports whether it tripped the breaker (closed → open),
// so the caller can tell the user once per trip. probe is what allow returned.
func (b *breaker) failure(probe bool) (tripped bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures++
	if b.open {
		if probe { // a failed probe: stay open, longer
			b.probing = false
			b.cool = min(2*b.cool, b.maxCool)
			b.openUntil = b.now().Add(b.cool)
		}
		// else a request let through before the breaker opened: the trip already counted
		// its kind of failure, and a probe may be in flight.
		return false
	}
	if b.failures >= b.threshold {
		b.open, b.trips = true, b.trips+1
		b.openUntil = b.now().Add(b.cool)
		return true
	}
	return false
}

// abandon releases a request that ended without a verdict on Redis (its caller gave up): it
// neither closes nor extends the breaker, and if it was the half-open probe (probe, from
// allow) the next request may probe instead (else the breaker would wait for a verdict that
// never comes). Any other request leaves the probe slot alone: releasing it while the probe is
// in flight would let a second probe through.
func (b *breaker) abandon(probe bool) {
	if !probe {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
}

// state is "closed", "open" or "half-open".
func (b *breaker) state() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case !b.open:
		return "closed"
	case b.probing:
		return "half-open"
	default:
		return "open"
	}
}
