package lsp

import (
	"testing"
	"time"
)

// TestTypingInterval: the first edit after open gives no interval; a burst averages its gaps;
// a pause (or a clock going backwards) resets; an old interval no longer counts after a pause.
func TestTypingInterval(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ms := time.Millisecond
	if got := typingInterval(time.Time{}, 0, t0); got != 0 {
		t.Fatalf("first edit: %v", got)
	}
	iv := typingInterval(t0, 0, t0.Add(100*ms))
	if iv != 100*ms {
		t.Fatalf("second edit: %v", iv)
	}
	iv = typingInterval(t0.Add(100*ms), iv, t0.Add(300*ms)) // a 200 ms gap: 0.7×100 + 0.3×200
	if iv != 130*ms {
		t.Fatalf("after a slower key: %v", iv)
	}
	if got := typingInterval(t0, iv, t0.Add(typingPause)); got != 0 {
		t.Fatalf("after a pause: %v", got)
	}
	if got := typingInterval(t0, iv, t0.Add(-ms)); got != 0 {
		t.Fatalf("clock backwards: %v", got)
	}
	d := &Document{edited: t0, interval: 130 * ms}
	if d.typingIntervalAt(t0.Add(time.Second)) != 130*ms || d.typingIntervalAt(t0.Add(typingPause)) != 0 {
		t.Fatal("typingIntervalAt")
	}
}
