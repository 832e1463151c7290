package main

import (
	"strings"
	"testing"
)

// TestListenRefusesNonLoopbackUnlessAllowed: an unauthenticated LSP socket binds loopback only
// unless the user says --allow-remote.
func TestListenRefusesNonLoopbackUnlessAllowed(t *testing.T) {
	for _, tc := range []struct {
		addr  string
		allow bool
		ok    bool
	}{
		{"127.0.0.1:0", false, true},
		{"localhost:0", false, true},
		{"0.0.0.0:0", false, false},
		{":0", false, false},
		{"0.0.0.0:0", true, true},
	} {
		l, err := listenTCP(tc.addr, tc.allow)
		if (err == nil) != tc.ok {
			t.Errorf("listenTCP(%q, allow=%v) err = %v, want ok=%v", tc.addr, tc.allow, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "--allow-remote") {
			t.Errorf("refusal does not say how to allow it: %v", err)
		}
		if l != nil {
			l.Close()
		}
	}
}
