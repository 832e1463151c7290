package metrics

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Prometheus file_sd: each running mimi-lsp writes its sidecar's address into a targets
// directory (mimi-lsp-PID.json), so one Prometheus scrapes every editor process whatever port
// it got; the file goes when the process exits, and files of processes that are gone are
// pruned by the next one that starts.

// targetGroup is one file_sd entry.
type targetGroup struct {
	Targets []string          `json:"targets"`
	Labels  map[string]string `json:"labels"`
}

// Target is one running server as its target file describes it.
type Target struct {
	Addr      string
	PID       int
	Workspace string // the workspace folder's name, "" until the editor said (or over TCP)
}

// WriteTarget writes this process's target file for the sidecar at addr into dir, labelled
// with the pid and (when known) the workspace folder's name, and returns the function that
// removes it. Files of processes that no longer run are removed first.
func WriteTarget(dir, addr, workspace string) (remove func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	PruneTargets(dir)
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1" // bound to every interface: this machine's Prometheus reaches it on loopback
	}
	pid := os.Getpid()
	labels := map[string]string{"pid": strconv.Itoa(pid)}
	if workspace != "" {
		labels["workspace"] = workspace
	}
	b, _ := json.MarshalIndent([]targetGroup{{Targets: []string{net.JoinHostPort(host, port)}, Labels: labels}}, "", "  ")
	file := filepath.Join(dir, fmt.Sprintf("mimi-lsp-%d.json", pid))
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, file); err != nil { // Prometheus never reads half a file
		return nil, err
	}
	return func() { _ = os.Remove(file) }, nil
}

// Targets lists the servers with a target file in dir (running or not).
func Targets(dir string) []Target {
	files, _ := filepath.Glob(filepath.Join(dir, "mimi-lsp-*.json"))
	var out []Target
	for _, f := range files {
		pid, ok := targetPID(f)
		if !ok {
			continue
		}
		b, err := os.ReadFile(f)
		var groups []targetGroup
		if err != nil || json.Unmarshal(b, &groups) != nil || len(groups) == 0 || len(groups[0].Targets) == 0 {
			continue
		}
		out = append(out, Target{Addr: groups[0].Targets[0], PID: pid, Workspace: groups[0].Labels["workspace"]})
	}
	return out
}

// PruneTargets removes the target files of processes that no longer run.
func PruneTargets(dir string) {
	files, _ := filepath.Glob(filepath.Join(dir, "mimi-lsp-*.json"))
	for _, f := range files {
		if pid, ok := targetPID(f); ok && !alive(pid) {
			_ = os.Remove(f)
		}
	}
}

func targetPID(file string) (int, bool) {
	s := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(file), "mimi-lsp-"), ".json")
	pid, err := strconv.Atoi(s)
	return pid, err == nil && pid > 0
}
