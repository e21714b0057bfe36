//go:build unix

package dirlock

import (
	"errors"
	"os"
	"syscall"
)

var errHeld = syscall.EWOULDBLOCK

// lock takes an exclusive flock on f without waiting.
func lock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
