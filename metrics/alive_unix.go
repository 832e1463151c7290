//go:build !windows

package metrics

import (
	"errors"
	"os"
	"syscall"
)

// alive reports whether a process with pid runs (signal 0: exists, or exists but not ours).
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}
