package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// startProfile writes a CPU profile to $MIMI_CPU_PROFILE.PID while the process runs (for
// profiling the server under a benchmark such as mimi-bench hit); stop ends it.
func startProfile() (stop func()) {
	base := os.Getenv("MIMI_CPU_PROFILE")
	if base == "" {
		return func() {}
	}
	f, err := os.Create(fmt.Sprintf("%s.%d", base, os.Getpid()))
	if err != nil {
		fmt.Fprintln(os.Stderr, "mimi-lsp: MIMI_CPU_PROFILE:", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		fmt.Fprintln(os.Stderr, "mimi-lsp: MIMI_CPU_PROFILE:", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
