package cache

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"strings"
	"testing"
	"time"
)

// TestHintCertificate: certificate failures (which a test process cannot easily provoke once
// SSL_CERT_FILE has been loaded) point at SSL_CERT_FILE and ?insecure=true; a dial that timed
// out points at reachability, not at redisTimeout.
func TestHintCertificate(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&dialError{err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}, handshake: true}, "SSL_CERT_FILE"},
		{&dialError{err: &tls.CertificateVerificationError{Err: x509.HostnameError{Host: "redis"}}, handshake: true}, "?insecure=true"},
		{&dialError{err: context.DeadlineExceeded, connect: time.Second}, "reachable"},
		{&dialError{err: context.DeadlineExceeded, handshake: true}, "speaks TLS"},
		{tls.RecordHeaderError{}, "does not speak TLS"},
	} {
		if h := hint(tc.err, 30*time.Millisecond); !strings.Contains(h, tc.want) {
			t.Errorf("hint(%v) = %q, want %q", tc.err, h, tc.want)
		}
	}
}
