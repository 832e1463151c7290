package cache

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
)

// dialer dials Redis for go-redis with the connect timeout, detached from the operation that
// asked for a connection.
//
// How go-redis v9.23 dials (internal/pool/pool.go): a command that finds no idle connection
// queues a dial that runs in a pool goroutine under a context derived from
// context.Background, with DialTimeout applied per attempt (DialerRetries attempts); the
// command waits for it under its own context and, when that ends first, the finished
// connection is put in the pool for the next command. Its default dialer does TLS with
// tls.DialWithDialer, so DialTimeout bounds TCP connect and handshake together. With
// DialTimeout = the 30 ms operation budget (as before), a TLS handshake on a busy machine never
// finished: every dial failed, nothing was ever cached. Here the dial gets the connect timeout
// whatever context it is handed (context.WithoutCancel: a cancelled GET must not kill the
// dial that the next GET will use), and ends when the tier is closed, so Close leaves no dial
// running. The first error of a failing dial is kept for Problem: a lookup that merely timed
// out while waiting for it would otherwise hide the reason (certificate, refused, …).
func (r *Redis) dialer(tlsCfg *tls.Config) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		r.dialing.Add(1) // lookups that time out meanwhile wait for it: Redis.connecting
		defer r.dialing.Add(-1)
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.connect)
		defer cancel()
		defer context.AfterFunc(r.life, cancel)()
		c, err := dial(ctx, network, addr, tlsCfg, r.connect)
		if err != nil {
			r.dialErr.Store(&err)
			return nil, err
		}
		r.dialErr.Store(nil)
		return c, nil
	}
}

// dialError is a failed dial; handshake says the TCP connection was made and TLS failed.
type dialError struct {
	err       error
	handshake bool
	connect   time.Duration
}

func (e *dialError) Error() string {
	if e.handshake && isTimeout(e.err) {
		return fmt.Sprintf("TLS handshake not done within redisConnectTimeout (%s): %v", e.connect, e.err)
	}
	return e.err.Error()
}

func (e *dialError) Unwrap() error { return e.err }

// dial connects, then shakes hands apart, so that a handshake that never ends (a plain server
// waits for a command, not a ClientHello) is told apart from an unreachable address.
func dial(ctx context.Context, network, addr string, tlsCfg *tls.Config, connect time.Duration) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil || tlsCfg == nil {
		if err != nil {
			return nil, &dialError{err: err, connect: connect}
		}
		return c, nil
	}
	cfg := tlsCfg
	if cfg.ServerName == "" { // as tls.Dial does: verify the name dialed
		cfg = cfg.Clone()
		cfg.ServerName, _, _ = net.SplitHostPort(addr)
	}
	tc := tls.Client(c, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, &dialError{err: err, handshake: true, connect: connect}
	}
	return tc, nil
}

// warm dials and checks connections at start, in the background, so the first completions
// find a ready connection instead of spending their 30 ms on a dial and a handshake (go-redis
// also dials MinIdleConns idle connections at start; this adds the HELLO/AUTH round trip and,
// for a cluster, the slot map and a connection per master). It ends at Close.
//
// Each round trip has the operation's read timeout (go-redis applies it to the HELLO and the
// PING), so on a loaded machine one answer can be late: a timeout is tried again until the
// warm-up's own deadline, since lookups that time out meanwhile are not counted against Redis
// (Redis.connecting) and a warm-up failed for one late answer would make them count.
func (r *Redis) warm() {
	defer close(r.ready)
	start := time.Now()
	ctx, cancel := context.WithTimeout(r.life, 2*r.connect+r.timeout)
	defer cancel()
	var err error
	for {
		if cc, ok := r.client.(*redis.ClusterClient); ok {
			err = cc.ForEachShard(ctx, func(ctx context.Context, c *redis.Client) error { return c.Ping(ctx).Err() })
		} else {
			err = r.client.Ping(ctx).Err()
		}
		if err == nil || !isTimeout(err) || ctx.Err() != nil || r.dialErr.Load() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(r.timeout):
		}
	}
	r.readyErr = err
	if err != nil {
		r.log.Debug("redis warm-up failed", "redis", r.where, "err", r.scrub(err.Error()))
		return
	}
	r.log.Debug("redis ready", "redis", r.where, "took", time.Since(start).Round(time.Millisecond))
}

// WaitReady waits for the start-up warm-up and returns its result: nil when connections are
// ready. Lookups never wait for it (one that times out before it ends is skipped, not a
// failure: Redis.connecting); writes do (Set).
func (r *Redis) WaitReady(ctx context.Context) error {
	select {
	case <-r.ready:
		return r.readyErr
	case <-ctx.Done():
		return ctx.Err()
	}
}
