// Package atomicfile writes files so that a reader sees the old content or the
// new one, never a half-written file.
package atomicfile

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/shiftleft/shiftleft/internal/sysfile"
)

// Write writes data to a temporary file in the same directory and renames it
// over path. On error the previous file is left untouched. There is no fsync:
// the rename protects against a crashed or killed process, which is what a
// metadata build needs, and an fsync per file would cost seconds on 10,000
// tables.
//
// The temporary file is created with perm (less the umask) and renamed with
// rename(2) itself: os.CreateTemp's chmod, os.Rename's Lstat of the target
// and os.OpenFile's poller set-up (see package sysfile) would more than double
// the system calls per file, which are most of a metadata build's time.
func Write(path string, data []byte, perm os.FileMode) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := writeTemp(dir, "."+base+".tmp-", data, perm)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = syscall.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, &os.LinkError{Op: "rename", Old: tmp, New: path, Err: err})
	}
	return nil
}

// writeTemp writes data to a new file dir/prefix<random> with perm and
// returns its name; on error no file is left.
func writeTemp(dir, prefix string, data []byte, perm os.FileMode) (string, error) {
	for range 100 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		name := filepath.Join(dir, prefix+hex.EncodeToString(b[:]))
		err := sysfile.Create(name, data, perm)
		if !errors.Is(err, os.ErrExist) {
			return name, err
		}
	}
	return "", fmt.Errorf("no unused temporary name in %s", dir)
}

// WriteIfChanged writes data like Write unless path already holds exactly
// data, and reports whether it wrote. Rebuilding metadata that did not change
// then costs a read per file, keeps modification times, and spares the
// filesystem an inode per file.
func WriteIfChanged(path string, data []byte, perm os.FileMode) (bool, error) {
	if old, err := sysfile.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return false, nil
	}
	err := Write(path, data, perm)
	return err == nil, err
}
