package cache

import (
	"crypto/tls"
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
// Timeouts are tight (timeout for dial/read/write/pool) and retries are off: a completion
// never waits on Redis longer than a keystroke.
func ParseRedisURL(raw string, timeout time.Duration) (*redis.UniversalOptions, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("redis url: %w", err)
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return nil, fmt.Errorf("redis url %q: scheme must be redis:// or rediss://", redactURL(raw))
	}
	if u.Host == "" {
		return nil, fmt.Errorf("redis url %q: no host", redactURL(raw))
	}
	o := &redis.UniversalOptions{
		DialTimeout:           timeout,
		ReadTimeout:           timeout,
		WriteTimeout:          timeout,
		PoolTimeout:           timeout,
		ContextTimeoutEnabled: true,
		MaxRetries:            -1, // go-redis: -1 disables retries (0 means 3)
		MaxRedirects:          1,
		DisableIdentity:       true,
		PoolSize:              16,
		MinIdleConns:          2,
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
			return nil, fmt.Errorf("redis url: database %q is not a number", db)
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

// redactURL hides a password in messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
