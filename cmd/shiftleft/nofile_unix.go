//go:build unix

package main

import "syscall"

// openFileLimit is the process's open-file limit (RLIMIT_NOFILE), 0 when
// the system does not say or sets none. Go has raised the soft limit to
// the hard one at start.
func openFileLimit() uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur > 1<<40 { // beyond: unlimited
		return 0
	}
	return uint64(lim.Cur)
}
