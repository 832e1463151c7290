package main

import (
	"fmt"
	"os"
	"path/filepath"
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

// TestComposeMonitoringStack: Prometheus runs the project's config with the targets directory
// mounted; Grafana gets its admin password from the environment (never a default), its
// provisioning and the dashboard; every mounted file exists; Ollama comes in a cpu and a gpu
// profile, both reachable as "ollama".
func TestComposeMonitoringStack(t *testing.T) {
	b, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Services map[string]struct {
			Profiles    []string          `yaml:"profiles"`
			Volumes     []any             `yaml:"volumes"`
			Environment map[string]string `yaml:"environment"`
			Networks    map[string]struct {
				Aliases []string `yaml:"aliases"`
			} `yaml:"networks"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	mounts := func(svc string) string {
		var out []string
		for _, v := range f.Services[svc].Volumes {
			out = append(out, fmt.Sprint(v))
		}
		return strings.Join(out, "\n")
	}
	if m := mounts("prometheus"); !strings.Contains(m, "./monitoring/prometheus.docker.yml:/etc/prometheus/prometheus.yml") ||
		!strings.Contains(m, "target:/etc/prometheus/mimi-targets") || !strings.Contains(m, "create_host_path:false") {
		t.Errorf("prometheus volumes (the targets directory must not be created by docker, as root):\n%s", m)
	}
	docker, err := os.ReadFile("../../monitoring/prometheus.docker.yml")
	if err != nil || !strings.Contains(string(docker), "replacement: \"host.docker.internal:$1\"") {
		t.Errorf("prometheus.docker.yml must rewrite loopback targets to host.docker.internal: %v", err)
	}
	g := f.Services["grafana"]
	if pw := g.Environment["GF_SECURITY_ADMIN_PASSWORD"]; !strings.HasPrefix(pw, "${GRAFANA_ADMIN_PASSWORD:?") {
		t.Errorf("grafana admin password %q: must come from the environment, required", pw)
	}
	for _, v := range g.Volumes {
		if src, _, ok := strings.Cut(fmt.Sprint(v), ":"); ok && strings.HasPrefix(src, "./") {
			if _, err := os.Stat(filepath.Join("../..", src)); err != nil {
				t.Errorf("grafana mounts %s, which does not exist", src)
			}
		}
	}
	if !strings.Contains(mounts("grafana"), "./monitoring/grafana/dashboards:/var/lib/grafana/dashboards") {
		t.Errorf("grafana volumes:\n%s", mounts("grafana"))
	}
	if p := f.Services["ollama"].Profiles; len(p) != 1 || p[0] != "cpu" {
		t.Errorf("ollama profiles %v", p)
	}
	if a := f.Services["ollama-gpu"].Networks["default"].Aliases; len(a) != 1 || a[0] != "ollama" {
		t.Errorf("ollama-gpu is not reachable as ollama: %v", a)
	}
	// Every static target of the compose Prometheus is a compose service (redis_exporter, dcgm).
	var prom struct {
		ScrapeConfigs []struct {
			Job    string `yaml:"job_name"`
			Static []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(docker, &prom); err != nil {
		t.Fatal(err)
	}
	jobs := map[string]bool{}
	for _, sc := range prom.ScrapeConfigs {
		jobs[sc.Job] = true
		for _, st := range sc.Static {
			for _, tg := range st.Targets {
				if host, _, _ := strings.Cut(tg, ":"); host != "localhost" {
					if _, ok := f.Services[host]; !ok {
						t.Errorf("job %s scrapes %s: no such compose service", sc.Job, tg)
					}
				}
			}
		}
	}
	if !jobs["redis"] || !jobs["dcgm"] || !jobs["mimi-lsp"] {
		t.Errorf("compose Prometheus jobs %v: want mimi-lsp, redis (redis_exporter) and dcgm", jobs)
	}
	env, err := os.ReadFile("../../.env.example")
	if err != nil || !strings.Contains(string(env), "GRAFANA_ADMIN_PASSWORD=\n") || !strings.Contains(string(env), "COMPOSE_PROFILES=cpu") {
		t.Errorf(".env.example: %v\n%s", err, env)
	}
}
