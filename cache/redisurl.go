package cache

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// ParseRedisURL turns one URL into options for redis.NewUniversalClient, which picks the
// client: a Sentinel client when ?master= is set, a Cluster client for several hosts or
// ?cluster=true, else a plain client.
//
//	redis://[user:password@]host:port[/db]
//	rediss://…                                   TLS
//	redis://h1:7000,h2:7001,h3:7002              Redis Cluster (seed nodes)
//	redis://s1:26379,s2:26379/0?master=mymaster  Sentinel
//
// Timeouts are tight (timeout for read/write/pool) and retries are off: a completion never
// waits on Redis longer than a keystroke. Dialing is not an operation: it gets its own budget
// (DefaultConnectTimeout here; NewRedis sets RedisConfig.ConnectTimeout and its own Dialer),
// because a TLS handshake does not fit in tens of milliseconds on a busy machine, and go-redis
// applies DialTimeout to the whole handshake.
//
// No error names the password: url.Parse's errors quote the whole URL, so they are rebuilt
// around a redacted copy.
func ParseRedisURL(raw string, timeout time.Duration) (*redis.UniversalOptions, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, parseError(raw)
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return nil, fmt.Errorf("redis url %q: scheme must be redis:// or rediss://", redactURL(raw))
	}
	if u.Host == "" {
		return nil, fmt.Errorf("redis url %q: no host", redactURL(raw))
	}
	o := &redis.UniversalOptions{
		DialTimeout:           DefaultConnectTimeout,
		DialerRetries:         1, // a failed dial is reported at once; the breaker decides when to try again
		ReadTimeout:           timeout,
		WriteTimeout:          timeout,
		PoolTimeout:           timeout,
		ContextTimeoutEnabled: true,
		MaxRetries:            -1, // go-redis: -1 disables retries (0 means 3)
		MaxRedirects:          1,
		DisableIdentity:       true,
		// RESP2: mimi uses no RESP3 feature (push, client-side caching), and on RESP3 go-redis
		// (v9.23) peeks a connection's socket before its first command for push frames. Over
		// TLS the socket of a connection never used yet holds the server's post-handshake
		// session tickets: go-redis reads them as a push frame and blocks up to 50 ms for RESP
		// bytes that never come, so the first lookup on every such connection (pre-dialed idle
		// ones, dials a timed-out lookup left behind) failed its 30 ms budget and counted
		// against the breaker: a false warning at start on a slow or loaded TLS link.
		Protocol:     2,
		PoolSize:     16,
		MinIdleConns: 2,
	}
	for _, h := range strings.Split(u.Host, ",") {
		if !strings.Contains(h, ":") {
			h += ":6379"
		}
		o.Addrs = append(o.Addrs, h)
	}
	if u.User != nil {
		o.Username = u.User.Username()
		o.Password, _ = u.User.Password()
	}
	if db := strings.Trim(u.Path, "/"); db != "" {
		n, err := strconv.Atoi(db)
		if err != nil {
			return nil, fmt.Errorf("redis url %q: the path must be a database number", redactURL(raw))
		}
		o.DB = n
	}
	q := u.Query()
	o.MasterName = q.Get("master")
	o.IsClusterMode = q.Get("cluster") == "true"
	if u.Scheme == "rediss" {
		host := o.Addrs[0][:strings.LastIndex(o.Addrs[0], ":")]
		o.TLSConfig = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12,
			InsecureSkipVerify: q.Get("insecure") == "true"} //nolint:gosec // opt-in for self-signed test setups
	}
	return o, nil
}

// DefaultConnectTimeout bounds one dial, TLS handshake included (config redisConnectTimeout).
const DefaultConnectTimeout = time.Second

// errBadUserinfo replaces url.Parse's reason when the URL fails only because of its user info:
// that reason would quote part of the password.
var errBadUserinfo = errors.New("invalid user or password: percent-encode special characters (%40 for @, %2F for /, %3A for :)")

// parseError reports why url.Parse rejected raw without quoting the password: url.Parse's
// error quotes the whole URL, and its reason may quote a piece of it (an invalid port or
// escape inside the password). The reason given is the one for the redacted URL; when the
// redacted URL parses, the password was the problem and a generic reason is given.
func parseError(raw string) error {
	red := redactURL(raw)
	if _, err := url.Parse(red); err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("redis url %q: %w", red, err)
	}
	return fmt.Errorf("redis url %q: %w", red, errBadUserinfo)
}

// redactURL hides the password (everything after the first ':' of the user info) in
// messages. It works on the raw string so that URLs url.Parse rejects are redacted too: the
// user info is taken to end at the last '@' (passwords may contain '/', '?', '#' and '@').
// A user info without ':' is hidden whole: it may be a password written without a user.
func redactURL(raw string) string {
	start, end := userinfoSpan(raw)
	if end < 0 {
		return raw
	}
	ui := raw[start:end]
	if i := strings.IndexByte(ui, ':'); i >= 0 {
		ui = ui[:i] + ":xxxxx"
	} else {
		ui = "xxxxx"
	}
	return raw[:start] + ui + raw[end:]
}

// userinfoSpan is where user[:password] sits in raw, end < 0 when there is none.
func userinfoSpan(raw string) (start, end int) {
	if i := strings.Index(raw, "://"); i >= 0 {
		start = i + 3
	}
	at := strings.LastIndexByte(raw[start:], '@')
	if at < 0 {
		return start, -1
	}
	return start, start + at
}
