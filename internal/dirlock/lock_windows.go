//go:build windows

package dirlock

import (
	"os"

	"golang.org/x/sys/windows"
)

var errHeld = windows.ERROR_LOCK_VIOLATION

// lock takes an exclusive lock without waiting on one byte far beyond the
// holder's description, which other processes must still read: Windows
// forbids reading a locked range.
func lock(f *os.File) error {
	ol := &windows.Overlapped{Offset: 0, OffsetHigh: 0x7fffffff}
	return windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
}
