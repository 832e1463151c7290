package main

import (
	"io"
	"net"
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
		{"[::]:0", false, false},
		{"[::1]:0", false, true},
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

// TestRefuseHTTPOnTheLSPPort: a browser's request to the loopback port is dropped, an LSP frame
// goes through untouched.
func TestRefuseHTTPOnTheLSPPort(t *testing.T) {
	for in, ok := range map[string]bool{
		"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n": false,
		"GET /x HTTP/1.1\r\n\r\n":                    false,
		"Content-Length: 2\r\n\r\n{}":                true,
		"":                                           false, // closed before a frame: never a session
	} {
		a, b := net.Pipe()
		go func() { _, _ = b.Write([]byte(in)); b.Close() }()
		r, err := refuseHTTP(a)
		if (err == nil) != ok {
			t.Errorf("%q: err = %v, want ok=%v", in, err, ok)
		}
		if ok {
			got, _ := io.ReadAll(r)
			if string(got) != in {
				t.Errorf("frame altered: %q", got)
			}
		}
		a.Close()
	}
}
