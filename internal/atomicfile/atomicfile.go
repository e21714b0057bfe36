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
)

// Write writes data to a temporary file in the same directory and renames it
// over path. On error the previous file is left untouched. There is no fsync:
// the rename protects against a crashed or killed process, which is what a
// metadata build needs, and an fsync per file would cost seconds on 10,000
// tables.
//
// The temporary file is created with perm (less the umask) and renamed with
// rename(2) itself: os.CreateTemp's chmod and os.Rename's Lstat of the
// target would add two system calls per file, a fifth of a metadata build's
// on 10,000 tables.
func Write(path string, data []byte, perm os.FileMode) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := createTemp(dir, "."+base+".tmp-", perm)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = syscall.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, &os.LinkError{Op: "rename", Old: tmp.Name(), New: path, Err: err})
	}
	return nil
}

// createTemp creates a new file dir/prefix<random> with perm.
func createTemp(dir, prefix string, perm os.FileMode) (*os.File, error) {
	for range 100 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		f, err := os.OpenFile(filepath.Join(dir, prefix+hex.EncodeToString(b[:])), os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if !errors.Is(err, os.ErrExist) {
			return f, err
		}
	}
	return nil, fmt.Errorf("no unused temporary name in %s", dir)
}

// WriteIfChanged writes data like Write unless path already holds exactly
// data, and reports whether it wrote. Rebuilding metadata that did not change
// then costs a read per file, keeps modification times, and spares the
// filesystem an inode per file.
func WriteIfChanged(path string, data []byte, perm os.FileMode) (bool, error) {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return false, nil
	}
	err := Write(path, data, perm)
	return err == nil, err
}
