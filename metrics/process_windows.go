package metrics

import (
	"errors"
	"os"
	"syscall"
)

// alive reports whether a process with pid runs: on Windows FindProcess opens the process,
// which fails once it is gone (signal 0 does not exist there).
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	_ = p.Release()
	return true
}

// addrInUse reports whether a listen failed because the port is taken (WSAEADDRINUSE).
func addrInUse(err error) bool {
	var errno syscall.Errno
	return errors.As(err, &errno) && errno == 10048
}
