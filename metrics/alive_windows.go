package metrics

import "os"

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
