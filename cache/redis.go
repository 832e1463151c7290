package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrUnavailable is returned while the breaker keeps Redis out of the path.
var ErrUnavailable = errors.New("redis unavailable (circuit open)")

// errCallerGaveUp marks an operation that ended because its caller's context was cancelled or
// its deadline passed (a keystroke superseded the completion): not a verdict on Redis.
var errCallerGaveUp = errors.New("redis operation abandoned by its caller")

// errTierTimeout is the cause of the tier's own per-operation deadline.
var errTierTimeout = errors.New("redis operation exceeded the tier timeout")

// errConnecting marks an operation that ran out of time for want of a connection (the start-up
// warm-up, or a dial in progress): a miss counted as skipped, not a verdict on Redis (connecting).
var errConnecting = errors.New("redis operation timed out waiting for a connection being made")

// RedisConfig configures the shared tier.
type RedisConfig struct {
	URL            string
	Timeout        time.Duration // per operation on the completion path (tens of ms)
	ConnectTimeout time.Duration // per dial, TLS handshake included (default 1s), never the op's budget
	Namespace      string        // key prefix, default "mimi"; keys are <ns>:v1:<kind>:<sha256>
	// Secret (cacheSecret) signs values written and makes unsigned or badly signed values
	// misses; "" = no signing (signed values are still read, unchecked: see decodeValue).
	Secret string
	TTL    TTLs
	Log    *slog.Logger
}

// KeyVersion is the key schema version in every Redis key. The value format may only grow in
// ways old readers see as misses (codec.go); an incompatible change needs a new version.
const KeyVersion = "v1"

// Redis is the shared tier on go-redis's UniversalClient (single server, Sentinel, Cluster).
type Redis struct {
	client    redis.UniversalClient
	prefix    string
	namespace string
	timeout   time.Duration
	connect   time.Duration
	secret    []byte
	password  string // scrubbed from every message we build
	where     string // the redacted URL, for messages
	ttl       TTLs
	br        *breaker
	log       *slog.Logger

	life     context.Context // cancelled by Close: ends the warm-up and in-flight dials
	stop     context.CancelFunc
	ready    chan struct{}         // closed when the warm-up has ended
	readyErr error                 // the warm-up's result, set before ready is closed
	dialErr  atomic.Pointer[error] // the last dial's error; nil once a dial succeeds
	dialing  atomic.Int32          // dials in progress
	problem  atomic.Pointer[Problem]

	mu         sync.Mutex
	kinds      map[Kind]KindStats
	errors     uint64
	skipped    uint64
	corrupt    uint64
	unverified uint64
	warned     map[error]bool // rejection reasons already logged at warn
}

// NewRedis returns at once (no round trip here): connections are dialed and checked in the
// background (dial.go), and a Redis that is down at start is just a tier whose breaker opens.
func NewRedis(cfg RedisConfig) (*Redis, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Millisecond
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.Namespace == "" {
		cfg.Namespace = "mimi"
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	opts, err := ParseRedisURL(cfg.URL, cfg.Timeout)
	if err != nil {
		return nil, err
	}
	r := &Redis{
		prefix:    cfg.Namespace + ":" + KeyVersion + ":",
		namespace: cfg.Namespace,
		timeout:   cfg.Timeout,
		connect:   cfg.ConnectTimeout,
		password:  opts.Password,
		where:     redactURL(cfg.URL),
		ttl:       cfg.TTL,
		br:        newBreaker(3, 500*time.Millisecond, 15*time.Second),
		log:       cfg.Log,
		ready:     make(chan struct{}),
		kinds:     map[Kind]KindStats{},
		warned:    map[error]bool{},
	}
	if cfg.Secret != "" {
		r.secret = []byte(cfg.Secret)
	}
	r.life, r.stop = context.WithCancel(context.Background())
	opts.DialTimeout = cfg.ConnectTimeout
	opts.Dialer = r.dialer(opts.TLSConfig)
	r.client = redis.NewUniversalClient(opts)
	go r.warm()
	return r, nil
}

// Close stops the warm-up and in-flight dials, then closes the connections.
func (r *Redis) Close() error {
	r.stop()
	<-r.ready
	return r.client.Close()
}

// Key returns the Redis key for kind and hash.
func (r *Redis) Key(kind Kind, hash string) string { return r.prefix + string(kind) + ":" + hash }

func (r *Redis) count(kind Kind, hit bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.kinds[kind]
	switch {
	case errors.Is(err, ErrUnavailable), errors.Is(err, errConnecting):
		r.skipped++
		st.Misses++
	case errors.Is(err, errCallerGaveUp): // a miss, but not Redis's failure
		st.Misses++
	case err != nil:
		r.errors++
		st.Misses++
	case hit:
		st.Hits++
	default:
		st.Misses++
	}
	r.kinds[kind] = st
}

// reject counts a stored value that cannot be used as a miss, and logs each reason at warn
// once per tier (a planted value would otherwise log on every keystroke).
//
// The key is not deleted: the caller asks the model on a miss and Set replaces the value (SET
// overwrites any type), so deleting buys nothing but a second write path; and with signing, a
// process with a mistyped cacheSecret would delete every teammate's answers.
func (r *Redis) reject(kind Kind, key string, err error) {
	r.mu.Lock()
	st := r.kinds[kind]
	st.Misses++
	r.kinds[kind] = st
	reason := ErrCorruptValue
	for _, e := range []error{ErrValueTooLarge, ErrUnsignedValue, ErrBadSignature} {
		if errors.Is(err, e) {
			reason = e
		}
	}
	if reason == ErrUnsignedValue || reason == ErrBadSignature {
		r.unverified++
	} else {
		r.corrupt++
	}
	first := !r.warned[reason]
	r.warned[reason] = true
	r.mu.Unlock()
	msg := "ignoring a value in Redis (a miss; the next answer overwrites it)"
	if reason == ErrUnsignedValue || reason == ErrBadSignature {
		msg = "ignoring a value in Redis not signed with this cacheSecret (a miss): check that every teammate sharing this Redis and namespace uses the same cacheSecret"
	}
	if first {
		r.log.Warn(msg+"; further ones are only counted in cache stats", "key", key, "err", err)
	} else {
		r.log.Debug(msg, "key", key, "err", err)
	}
}

// do runs op under the breaker with the tier's timeout. Only Redis's own failures count
// against the breaker: an error, or the tier's own deadline. A caller that gave up (cancelled,
// or its own earlier deadline passed) says nothing about Redis: typing fast cancels
// completions while their GET is in flight, and that must not switch a healthy Redis off.
// Nor does an operation that ran out of time waiting for a connection being made (connecting).
func (r *Redis) do(ctx context.Context, op func(ctx context.Context) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", errCallerGaveUp, err) // not even tried: keep the probe slot
	}
	ok, probe := r.br.allow()
	if !ok {
		return ErrUnavailable
	}
	start := time.Now()
	octx, cancel := context.WithTimeoutCause(ctx, r.timeout, errTierTimeout)
	defer cancel()
	err := op(octx)
	switch {
	case err == nil || errors.Is(err, redis.Nil) || isWrongType(err):
		// Redis answered (WRONGTYPE is about the data at a key, not the server).
		if r.br.success() {
			r.problem.Store(nil)
			r.log.Info("redis is back", "redis", r.where)
		}
		return err
	case callerGaveUp(ctx, octx, start.Add(r.timeout), err):
		r.br.abandon(probe)
		return fmt.Errorf("%w: %w", errCallerGaveUp, err)
	case r.connecting(octx, err):
		r.br.abandon(probe)
		return fmt.Errorf("%w: %w", errConnecting, err)
	}
	if r.br.failure(probe) {
		p := r.newProblem(err)
		r.problem.Store(p)
		r.log.Warn(p.Error())
	}
	return err
}

// callerGaveUp reports whether op's failure is the caller's doing rather than Redis's.
func callerGaveUp(parent, octx context.Context, tierDeadline time.Time, err error) bool {
	if context.Cause(octx) == errTierTimeout {
		return false // the tier's own deadline fired first: Redis was too slow
	}
	if octx.Err() != nil {
		return true // the parent was cancelled or its deadline passed, before the tier's
	}
	// go-redis turns the context deadline into a socket deadline, which can fire a moment
	// before the context does: blame the deadline that has passed, if it was the parent's.
	if d, ok := parent.Deadline(); ok && d.Before(tierDeadline) && !time.Now().Before(d) && isTimeout(err) {
		return true
	}
	return false
}

// connecting reports whether op timed out for want of a connection rather than because Redis
// was slow to answer: during the start-up warm-up (no connection made and checked yet: with a
// remote or TLS Redis the first dial takes longer than a lookup's budget, and every lookup made
// meanwhile would count as a failure, trip the breaker and warn at every editor start), or
// after it while a dial is in progress and the command never got a connection (go-redis then
// returns the context's error; a command that waited on a connection for Redis's answer gets a
// socket timeout, which counts). Neither is a verdict: the dial gives one. Unless a dial has
// failed since the last one that succeeded: Redis's failure is then known and the timeout
// counts, so a wrong address, a TLS error or a firewall that drops packets still trips the
// breaker and is reported with the dial's error.
func (r *Redis) connecting(octx context.Context, err error) bool {
	if !isTimeout(err) && context.Cause(octx) != errTierTimeout {
		return false
	}
	if r.dialErr.Load() != nil {
		return false
	}
	select {
	case <-r.ready:
		return r.dialing.Load() > 0 && errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, os.ErrDeadlineExceeded)
	default:
		return true // still warming up
	}
}

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &te) && te.Timeout())
}

func isWrongType(err error) bool {
	var re redis.Error
	return errors.As(err, &re) && strings.HasPrefix(re.Error(), "WRONGTYPE")
}

// Get reads one value. What Redis holds is untrusted: a value that does not decode, is too
// large or (with a secret) is not signed for this key is a miss, counted in Stats. Get does not
// wait for the warm-up: on a local Redis the connection is there within the budget; on a slow
// link the lookup misses (counted as skipped, not as a failure: connecting).
func (r *Redis) Get(ctx context.Context, kind Kind, key string) ([]byte, bool, error) {
	rkey := r.Key(kind, key)
	var raw []byte
	err := r.do(ctx, func(ctx context.Context) error {
		var err error
		// GETRANGE, not GET: it reads at most one byte past the largest valid value, so a
		// huge value planted at a key costs each reader a bounded read, not its size.
		raw, err = r.client.GetRange(ctx, rkey, 0, int64(maxStored(kind))).Bytes()
		return err
	})
	switch {
	case isWrongType(err):
		r.reject(kind, rkey, fmt.Errorf("%w: %w", ErrCorruptValue, err))
		return nil, false, nil
	case err != nil:
		r.count(kind, false, err)
		return nil, false, err
	case len(raw) == 0: // GETRANGE of a missing key; no stored value is empty
		r.count(kind, false, nil)
		return nil, false, nil
	case len(raw) > maxStored(kind):
		r.reject(kind, rkey, fmt.Errorf("%w: more than %d stored bytes", ErrValueTooLarge, maxStored(kind)))
		return nil, false, nil
	}
	v, err := decodeValue(raw, rkey, r.secret, ValueLimit(kind))
	if err == nil && kind != KindEmbedding {
		err = checkSharedText(v)
	}
	if err != nil {
		r.reject(kind, rkey, err)
		return nil, false, nil
	}
	r.count(kind, true, nil)
	return v, true, nil
}

// Origin names what this tier's values come from (server, database, namespace, signing secret):
// Tiered keeps values it promoted from here apart from those of another origin in the shared
// memory tier. It holds no secret in clear.
func (r *Redis) Origin() string {
	return Key("origin", r.where+"|"+r.prefix+"|"+string(r.secret))
}

// Set writes one value with its kind's TTL (replacing whatever the key held, so a rejected
// value is overwritten by the next answer). It waits for the start-up warm-up (bounded by the
// connect timeout and ctx) so that the first answers of a process are not lost to a dial in
// progress: Set runs off the keystroke path (Tiered writes in the background).
func (r *Redis) Set(ctx context.Context, kind Kind, key string, val []byte) error {
	if len(val) > ValueLimit(kind) {
		return fmt.Errorf("redis set %s: %w: %d bytes > %d", kind, ErrValueTooLarge, len(val), ValueLimit(kind))
	}
	select {
	case <-r.ready:
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", errCallerGaveUp, ctx.Err())
	}
	rkey := r.Key(kind, key)
	return r.do(ctx, func(ctx context.Context) error {
		return r.client.Set(ctx, rkey, encodeValue(val, rkey, r.secret), r.ttl[kind]).Err()
	})
}

// Stats returns lookup counters and the breaker state (keys and bytes need a scan: Usage).
func (r *Redis) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Stats{Kinds: copyKinds(r.kinds), Errors: r.errors, Skipped: r.skipped, Corrupt: r.corrupt,
		Unverified: r.unverified, Breaker: r.br.state()}
}

// Ping checks the server (ignores the breaker; for doctor and the CLI).
func (r *Redis) Ping(ctx context.Context) error {
	return r.client.Ping(ctx).Err()
}
