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

// addrInUse reports whether a listen failed because the port is taken.
func addrInUse(err error) bool { return errors.Is(err, syscall.EADDRINUSE) }
