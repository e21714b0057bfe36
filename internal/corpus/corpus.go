// Package corpus finds the shared reference material (../shared beside the
// repository) for tests, and skips a test with a clear message when it is
// absent. Tests read it in place or copy it to a temp dir; it is never copied
// into the repository.
package corpus

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/shiftleft/shiftleft/internal/files"
)

// Dir returns the absolute path of a folder under the shared directory,
// skipping the test when it cannot be found. $SHIFTLEFT_SHARED overrides the
// default ../shared next to the module root.
func Dir(t testing.TB, elem ...string) string {
	t.Helper()
	shared := os.Getenv("SHIFTLEFT_SHARED")
	if shared == "" {
		root, err := moduleRoot()
		if err != nil {
			t.Skipf("shared corpus: %v", err)
		}
		shared = filepath.Join(root, "..", "shared")
	}
	dir := filepath.Join(append([]string{shared}, elem...)...)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared corpus not found at %s (set SHIFTLEFT_SHARED or put ../shared beside the repo): %v", dir, err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// moduleRoot walks up from the working directory to the folder with go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}

// CopyTree copies the directory src to dst (created), making every file
// writable, so a test can change a copy of read-only reference data.
func CopyTree(t testing.TB, src, dst string) {
	t.Helper()
	if err := files.CopyDir(src, dst); err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
}
