// Package redistest runs real redis-server processes (Debian's package) on free loopback
// ports in temp dirs for tests: a single server that can be killed, restarted and paused, the
// same over TLS (StartTLS, in tls.go), and a 3-node Redis Cluster.
package redistest

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Server is one redis-server.
type Server struct {
	Port int
	Dir  string
	// CAFile is the PEM CA that signed a TLS server's certificate ("" for plain servers):
	// point SSL_CERT_FILE at it.
	CAFile string
	tls    bool
	args   []string
	cmd    *exec.Cmd
	done   chan struct{}
}

// Addr is host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// URL is the redis:// URL, or rediss://localhost:PORT for a TLS server (the certificate
// names localhost, 127.0.0.1 and ::1).
func (s *Server) URL() string {
	if s.tls {
		return "rediss://localhost:" + strconv.Itoa(s.Port)
	}
	return "redis://" + s.Addr()
}

func binary(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("MIMI_REQUIRE_ALL") == "1" {
			t.Fatalf("%s required (MIMI_REQUIRE_ALL=1): apt-get install -y redis-server", name)
		}
		t.Skipf("SKIPPING real-Redis test: %s not installed (apt-get install -y redis-server)", name)
	}
	return p
}

// Start runs a redis-server for the test; it is stopped at cleanup.
func Start(t testing.TB, extra ...string) *Server {
	t.Helper()
	binary(t, "redis-server")
	s := &Server{Port: freePort(t), Dir: t.TempDir()}
	s.args = append([]string{"--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", s.Dir, "--protected-mode", "no"}, extra...)
	s.start(t)
	t.Cleanup(s.Kill)
	return s
}

func (s *Server) start(t testing.TB) {
	t.Helper()
	s.cmd = exec.Command("redis-server", s.args...)
	log, _ := os.Create(filepath.Join(s.Dir, "redis.log"))
	s.cmd.Stdout, s.cmd.Stderr = log, log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.done = make(chan struct{})
	go func() { _ = s.cmd.Wait(); log.Close(); close(s.done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		// NOAUTH: a server started with --requirepass is up too.
		if out, err := s.Cli("PING"); err == nil && (strings.TrimSpace(out) == "PONG" || strings.Contains(out, "NOAUTH")) {
			return
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(s.Dir, "redis.log"))
			t.Fatalf("redis-server on %d not ready: %s", s.Port, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill stops the server at once (SIGKILL), as a crash would.
func (s *Server) Kill() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// Restart starts the server again on the same port.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Kill()
	s.start(t)
}

// Cli runs redis-cli against the server.
func (s *Server) Cli(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	base := []string{"-p", strconv.Itoa(s.Port)}
	if s.tls {
		base = append(base, "--tls", "--cacert", s.CAFile)
	}
	out, err := exec.CommandContext(ctx, "redis-cli", append(base, args...)...).CombinedOutput()
	return string(out), err
}

// Pause makes the server stop answering clients for d (CLIENT PAUSE): a slow Redis.
func (s *Server) Pause(t testing.TB, d time.Duration) {
	t.Helper()
	if out, err := s.Cli("CLIENT", "PAUSE", strconv.Itoa(int(d.Milliseconds())), "ALL"); err != nil {
		t.Fatalf("CLIENT PAUSE: %v %s", err, out)
	}
}

// Cluster is a 3-master Redis Cluster on loopback.
type Cluster struct {
	Nodes []*Server
}

// URL lists the seed nodes.
func (c *Cluster) URL() string {
	addrs := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		addrs[i] = n.Addr()
	}
	return "redis://" + strings.Join(addrs, ",")
}

// StartCluster runs 3 cluster-enabled servers and joins them (redis-cli --cluster create).
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	binary(t, "redis-cli")
	c := &Cluster{}
	var addrs []string
	for range 3 {
		n := Start(t, "--cluster-enabled", "yes", "--cluster-node-timeout", "2000")
		c.Nodes = append(c.Nodes, n)
		addrs = append(addrs, n.Addr())
	}
	out, err := c.Nodes[0].Cli(append(append([]string{"--cluster", "create"}, addrs...), "--cluster-replicas", "0", "--cluster-yes")...)
	if err != nil {
		t.Fatalf("cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok := true
		for _, n := range c.Nodes {
			info, _ := n.Cli("CLUSTER", "INFO")
			ok = ok && strings.Contains(info, "cluster_state:ok")
		}
		if ok {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatal("cluster not ok after 20s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		l.Close()
		// Cluster bus uses port+10000: keep it in range.
		if p+10000 < 65535 {
			return p
		}
	}
	t.Fatal("no free port")
	return 0
}
