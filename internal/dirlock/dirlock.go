// Package dirlock gives a directory to one process at a time: a lock file
// in it, locked by the operating system for as long as the process holds
// it open. The system drops the lock when the process ends, however it
// ends (kill -9 included), so a crash leaves nothing to clean up.
package dirlock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrLocked: another process holds the directory.
var ErrLocked = errors.New("locked by another process")

// FileName is the lock file in a locked directory; it holds the holder's
// description, for the next process to name it.
const FileName = "shiftleft.lock"

// Lock is a held directory.
type Lock struct{ f *os.File }

// Acquire locks dir (creating it, for its owner only, when missing) for
// this process, described by holder (e.g. "pid 4242, shiftleft serve"), or
// fails at once with an error wrapping [ErrLocked] that names the holder.
func Acquire(dir, holder string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, FileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := lock(f); err != nil {
		f.Close()
		if !errors.Is(err, errHeld) {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		return nil, fmt.Errorf("%s is %w: %s", dir, ErrLocked, heldBy(path))
	}
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(holder+"\n"), 0)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &Lock{f: f}, nil
}

// heldBy reads the holder's description; a holder still writing it is
// "another process".
func heldBy(path string) string {
	data, err := os.ReadFile(path)
	if s := strings.TrimSpace(string(data)); err == nil && s != "" {
		return s
	}
	return "another process"
}

// Release frees the directory. The file stays: removing it could let two
// processes each lock a file of that name.
func (l *Lock) Release() error { return l.f.Close() }
