package dirlock_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/internal/dirlock"
)

func TestOneHolderAtATime(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	first, err := dirlock.Acquire(dir, "pid 1, the first")
	if err != nil {
		t.Fatal(err)
	}
	// It may hold credentials (git mirrors): its owner's only.
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("the directory created: %v %v; want mode 0700", fi.Mode(), err)
	}
	_, err = dirlock.Acquire(dir, "pid 2, the second")
	if !errors.Is(err, dirlock.ErrLocked) || !strings.Contains(err.Error(), "pid 1, the first") || !strings.Contains(err.Error(), dir) {
		t.Fatalf("second Acquire: %v; want ErrLocked naming the directory and the first holder", err)
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	second, err := dirlock.Acquire(dir, "pid 2, the second")
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	defer second.Release()
	data, err := os.ReadFile(filepath.Join(dir, dirlock.FileName))
	if err != nil || string(data) != "pid 2, the second\n" {
		t.Errorf("lock file %q, %v; want the new holder alone", data, err)
	}
}

func TestAcquireNeedsAWritableDirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := dirlock.Acquire(file, "me"); err == nil || errors.Is(err, dirlock.ErrLocked) {
		t.Errorf("Acquire on a file: %v; want an error that is not ErrLocked", err)
	}
}
