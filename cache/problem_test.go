package cache_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mimi-lsp/mimi-lsp/cache"
	"github.com/mimi-lsp/mimi-lsp/internal/testenv/redistest"
)

// TestRedisURLErrorsNeverShowThePassword: every error ParseRedisURL and NewRedis return for a
// URL with a password leaves the password out, including url.Parse's errors (which quote the
// whole URL) and reasons that would quote a piece of it.
func TestRedisURLErrorsNeverShowThePassword(t *testing.T) {
	for _, tc := range []struct{ url, reason string }{
		{"redis://u:s3cret@host:xx", "invalid port"},
		{"redis://u:s3cret@host\x7f:6379", "invalid control character"},
		{"redis://u:s3\x01cret@host:6379", "user or password"},
		{"redis://u:s3c%zzret@host", "user or password"},
		{"redis://u:s3cret/x@host:6379", "user or password"},
		{"redis://u:12/s3cret@host/1", "database number"},
		{"redis://u:s3cret@host/abc", "database number"},
		{"http://u:s3cret@host", "scheme"},
		{"redis://u:s3cret@", "no host"},
		{"u:s3cret@host:6379", ""},
		{"redis://s3cret@host:xx", "invalid port"},
	} {
		_, perr := cache.ParseRedisURL(tc.url, 30*time.Millisecond)
		_, nerr := cache.NewRedis(cache.RedisConfig{URL: tc.url})
		for name, err := range map[string]error{"ParseRedisURL": perr, "NewRedis": nerr} {
			if err == nil {
				t.Errorf("%s(%q): no error", name, tc.url)
				continue
			}
			if strings.Contains(err.Error(), "s3") || strings.Contains(err.Error(), "cret") {
				t.Errorf("%s(%q) shows the password: %v", name, tc.url, err)
			}
			if !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("%s(%q) = %v, want the reason (%q)", name, tc.url, err, tc.reason)
			}
		}
	}
}

// TestTieredProblem: Problem is nil while Redis is healthy; once the breaker trips it says
// what failed and what to check (without the password), is logged at warn once per trip, and
// clears when Redis answers again.
func TestTieredProblem(t *testing.T) {
	srv := redistest.Start(t, "--requirepass", "s3cret")
	log, logs := newLog()
	url := "redis://:s3cret@" + srv.Addr()
	r := newRedisCfg(t, cache.RedisConfig{URL: url, Timeout: time.Second, Log: log})
	tier := cache.NewTiered(cache.NewMemory(1<<20, nil), r, nil)
	for range 3 {
		_, _, _ = tier.Get(bg(), cache.KindCompletion, cache.Key("x"))
	}
	if p := tier.Problem(); p != nil {
		t.Fatalf("problem while healthy: %v", p)
	}
	srv.Kill()
	for range 10 {
		_, _, _ = tier.Get(bg(), cache.KindCompletion, cache.Key("x"))
	}
	p := tier.Problem()
	if p == nil {
		t.Fatalf("no problem after Redis died: %+v", r.Stats())
	}
	msg := p.Error()
	for _, want := range []string{srv.Addr(), "connection refused", "reachable"} {
		if !strings.Contains(msg, want) {
			t.Errorf("problem %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "s3cret") {
		t.Errorf("problem shows the password: %s", msg)
	}
	if tier.Problem() != p {
		t.Error("Problem changed within one trip: the caller could not show it once")
	}
	if n := logs.count("WARN", "shared cache unavailable"); n != 1 {
		t.Errorf("%d warn lines for one trip, want 1:\n%s", n, logs.b.String())
	}
	srv.Restart(t)
	waitUntil(t, func() bool {
		_, _, _ = tier.Get(bg(), cache.KindCompletion, cache.Key("x"))
		return tier.Problem() == nil
	})
	if tier.Stats().Tiers[cache.TierRedis].Breaker != "closed" {
		t.Fatalf("problem cleared with the breaker %s", tier.Stats().Tiers[cache.TierRedis].Breaker)
	}
}

// TestProblemHints: each kind of misconfiguration the user can fix gets its own advice.
func TestProblemHints(t *testing.T) {
	plain := redistest.Start(t, "--requirepass", "pw")
	paused := redistest.Start(t)
	tls := redistest.StartTLS(t)
	acl := redistest.Start(t) // an ACL user that may not run GETRANGE (the lookup)
	if out, err := acl.Cli("ACL", "SETUSER", "mimi", "on", ">s3cret", "~*", "+@all", "-getrange"); err != nil || strings.TrimSpace(out) != "OK" {
		t.Fatalf("ACL SETUSER: %v %s", err, out)
	}
	for _, tc := range []struct {
		name, url string
		pause     bool
		want      string
	}{
		{"wrong password", "redis://:s3cret@" + plain.Addr(), false, "AUTH user and password in the URL"},
		{"no password", "redis://" + plain.Addr(), false, "AUTH user and password in the URL"},
		{"TLS to a plain server", "rediss://:s3cret@" + plain.Addr(), false, "check that the server speaks TLS"},
		{"plain to a TLS server", "redis://127.0.0.1:" + strings.TrimPrefix(tls.URL(), "rediss://localhost:"), false, "rediss://"},
		{"slow server", "redis://" + paused.Addr(), true, "raise redisTimeout"},
		{"ACL denies a command", "redis://mimi:s3cret@" + acl.Addr(), false, "+get +getrange +set +strlen +scan +unlink +ping +select +cluster|slots ~mimi:*"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.pause {
				paused.Pause(t, 5*time.Second) // the warm-up tries for 2 s, then lookups time out
			}
			r, err := cache.NewRedis(cache.RedisConfig{URL: tc.url})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			_ = r.WaitReady(bg())
			waitUntil(t, func() bool {
				_, _, _ = r.Get(bg(), cache.KindCompletion, cache.Key("x"))
				return r.Problem() != nil
			})
			msg := r.Problem().Error()
			if !strings.Contains(msg, tc.want) || strings.Contains(msg, "s3cret") {
				t.Fatalf("problem = %q, want advice %q and no password", msg, tc.want)
			}
			var p *cache.Problem
			if !errors.As(r.Problem(), &p) || p.Err == nil {
				t.Fatalf("problem %T does not carry the Redis error", r.Problem())
			}
		})
	}
}
