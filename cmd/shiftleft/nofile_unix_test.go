//go:build unix

package main

import "syscall"

// raiseOpenFileLimit raises this process's soft open-file limit to its hard
// limit and returns what it is then.
func raiseOpenFileLimit() uint64 {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) != nil {
		return 0
	}
	if lim.Cur < lim.Max {
		raised := lim
		raised.Cur = lim.Max
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) == nil {
			lim = raised
		}
	}
	return uint64(lim.Cur)
}

// limitOpenFiles lowers this process's open-file limit, soft and hard, to
// n: the machine of a test that needs a process short of descriptors.
func limitOpenFiles(n uint64) error {
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: n, Max: n})
}
