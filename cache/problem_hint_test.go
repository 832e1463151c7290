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
		if h := hint(tc.err, 30*time.Millisecond, "mimi"); !strings.Contains(h, tc.want) {
			t.Errorf("hint(%v) = %q, want %q", tc.err, h, tc.want)
		}
	}
}

// TestScrub: a password is removed from messages, as written and percent-encoded; a password
// of a few characters is removed where it is written as a URL's password, not from every word
// that contains it.
func TestScrub(t *testing.T) {
	const refused = "dial tcp 127.0.0.1:6379: connect: connection refused"
	for _, tc := range []struct{ pw, in, want string }{
		{"a", refused, refused},
		{"12", "dial tcp 127.0.0.1:61234: i/o timeout", "dial tcp 127.0.0.1:61234: i/o timeout"},
		{"a", "parse redis://u:a@host:6379", "parse redis://u:xxxxx@host:6379"},
		{"a", "parse redis://a@host:6379", "parse redis://xxxxx@host:6379"},
		{"s3cret", "AUTH s3cret failed", "AUTH xxxxx failed"},
		{"p@ss/w", "redis://u:p%40ss%2Fw@h and p@ss/w", "redis://u:xxxxx@h and xxxxx"},
		{"", refused, refused},
	} {
		r := &Redis{password: tc.pw}
		if got := r.scrub(tc.in); got != tc.want {
			t.Errorf("scrub(%q) with password %q = %q, want %q", tc.in, tc.pw, got, tc.want)
		}
	}
}
