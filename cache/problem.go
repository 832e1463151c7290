package cache

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// Problem is what the user is told when the shared tier keeps failing (the breaker tripped):
// what failed, redacted, and what to check. Completions go on from memory and the model, so
// without it a misconfigured Redis (wrong CA, password, budget) fails silently and every
// process pays the model again.
type Problem struct {
	Where string // the Redis URL, password redacted
	Err   error  // the last Redis (or dial) error
	Hint  string // what to check
	msg   string // Err's text with the password scrubbed
}

func (p *Problem) Error() string {
	return fmt.Sprintf("shared cache unavailable (Redis %s): %s. Answers are not shared; completions go on from memory and the model. %s",
		p.Where, p.msg, p.Hint)
}

func (p *Problem) Unwrap() error { return p.Err }

// Problem is nil while the shared tier is healthy; once the breaker has tripped, the reason
// until Redis answers again. It is the same value for the whole trip (cheap to call after
// every completion; the caller can show it once).
func (r *Redis) Problem() error {
	if p := r.problem.Load(); p != nil {
		return p
	}
	return nil
}

func (r *Redis) newProblem(err error) *Problem {
	cause := err
	// A lookup that timed out while a dial was failing: the dial's error says why.
	if isTimeout(err) {
		if de := r.dialErr.Load(); de != nil {
			cause = *de
		}
	}
	return &Problem{Where: r.where, Err: cause, Hint: hint(cause, r.timeout, r.namespace), msg: r.scrub(cause.Error())}
}

// minScrubLen is the shortest password scrubbed wherever it appears in a message. A shorter one
// (a few characters, guessed in moments anyway) is scrubbed only where it is written as a
// URL's password: replacing every "a" or "12" would mangle every message.
const minScrubLen = 4

// scrub removes the password from a message (go-redis errors do not carry it; this is the
// guarantee, not the expectation), as written and percent-encoded.
func (r *Redis) scrub(s string) string {
	pw := r.password
	if pw == "" {
		return s
	}
	forms := []string{pw}
	if esc := strings.TrimPrefix(url.UserPassword("", pw).String(), ":"); esc != pw {
		forms = append(forms, esc)
	}
	for _, f := range forms {
		// user:password@ and //password@ (a URL without a user), whatever the length.
		s = strings.ReplaceAll(s, ":"+f+"@", ":xxxxx@")
		s = strings.ReplaceAll(s, "//"+f+"@", "//xxxxx@")
		if utf8.RuneCountInString(pw) >= minScrubLen {
			s = strings.ReplaceAll(s, f, "xxxxx")
		}
	}
	return s
}

// hint says what to check for err; namespace is the key prefix (an ACL must grant its keys).
func hint(err error, timeout time.Duration, namespace string) string {
	var (
		certErr *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
		record  tls.RecordHeaderError
		dnsErr  *net.DNSError
		dial    *dialError
	)
	switch {
	case errors.As(err, &certErr), errors.As(err, &unknown), errors.As(err, &host), errors.As(err, &invalid):
		return "Check the server's TLS certificate: its CA must be trusted (point SSL_CERT_FILE at the CA file) and its name must match the URL's host; for a self-signed test setup, ?insecure=true skips verification."
	case errors.As(err, &dial) && dial.handshake && isTimeout(err):
		return "The TLS handshake did not finish: check that the server speaks TLS (rediss:// is for TLS servers, redis:// for the others), or raise redisConnectTimeout for a slow link."
	case errors.As(err, &dial) && isTimeout(err):
		return fmt.Sprintf("No connection within redisConnectTimeout (%s): check that the address is reachable from this machine (host, port, firewall).", dial.connect)
	case errors.As(err, &record):
		return "The server does not speak TLS: use redis:// for it (rediss:// is for TLS servers)."
	case isNoPerm(err):
		return fmt.Sprintf("Redis's ACL does not let this user run a command mimi needs: grant GET, GETRANGE, SET, STRLEN, SCAN, UNLINK and PING on the namespace's keys, plus SELECT when the URL names a database and CLUSTER SLOTS for a Cluster (ACL SETUSER <user> +get +getrange +set +strlen +scan +unlink +ping +select +cluster|slots ~%s:*).", namespace)
	case isAuthError(err):
		return "Redis refused the credentials: put the AUTH user and password in the URL (redis://user:password@host:port, percent-encoded)."
	case errors.Is(err, syscall.ECONNREFUSED), errors.As(err, &dnsErr):
		return "Check that the address is reachable from this machine (host, port, firewall) and that Redis runs there."
	case isTimeout(err):
		return fmt.Sprintf("Redis did not answer within redisTimeout (%s): raise redisTimeout for a remote or busy Redis, and check that the address is reachable.", timeout)
	case errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET):
		return "The server closed the connection: if it uses TLS, use rediss://; check the AUTH password in the URL."
	default:
		return "Check that the address is reachable, the TLS CA (SSL_CERT_FILE, or ?insecure=true for a self-signed test setup), the AUTH password in the URL, and redisTimeout for a slow or remote Redis."
	}
}

// isNoPerm: Redis's ACL denies the user a command (or a key) — authenticated, not allowed.
func isNoPerm(err error) bool { return strings.Contains(err.Error(), "NOPERM") }

func isAuthError(err error) bool {
	s := err.Error()
	for _, p := range []string{"NOAUTH", "WRONGPASS", "ERR AUTH", "invalid password", "invalid username-password"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}
