package main

import (
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestComposePublishesOnLoopbackWithARedisPassword keeps the user's stack private by default:
// every published port binds 127.0.0.1, and Redis cannot start without a password.
func TestComposePublishesOnLoopbackWithARedisPassword(t *testing.T) {
	b, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Services map[string]struct {
			Ports       []string          `yaml:"ports"`
			Command     []string          `yaml:"command"`
			Environment map[string]string `yaml:"environment"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Services) == 0 {
		t.Fatal("no services parsed")
	}
	for name, svc := range f.Services {
		for _, p := range svc.Ports {
			if !strings.HasPrefix(p, "127.0.0.1:") {
				t.Errorf("%s publishes %q on every interface; write 127.0.0.1:%s", name, p, p)
			}
		}
	}
	redis, ok := f.Services["redis"]
	if !ok {
		t.Fatal("no redis service")
	}
	if !strings.Contains(strings.Join(redis.Command, " "), "--requirepass") {
		t.Errorf("redis runs without --requirepass: %v", redis.Command)
	}
	if pw := redis.Environment["REDIS_PASSWORD"]; !strings.Contains(pw, ":?") {
		t.Errorf("REDIS_PASSWORD = %q: compose must refuse to start without it (${REDIS_PASSWORD:?…})", pw)
	}
}
