package invcache_test

import (
	"crypto/sha256"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/internal/invcache"
	"github.com/shiftleft/shiftleft/inventory"
)

func open(t *testing.T, dir string) *invcache.Dir {
	t.Helper()
	d, err := invcache.Open(dir, testVersion)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// entries lists the entry files under dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), "sql1-") {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDamagedEntriesAreRebuilt: entries truncated, with a byte flipped,
// emptied, or holding another key's valid entry read as missing, are
// deleted, and the build that meets them parses the files again and
// equals the full build; the entries are then written anew.
func TestDamagedEntriesAreRebuilt(t *testing.T) {
	h := newHistory(t, 30, 1)
	sha := h.shas[1]
	full := buildAt(t, h, sha, inventory.Options{})
	disk := t.TempDir()
	d := open(t, disk)
	if got := buildAt(t, h, sha, inventory.Options{Cache: inventory.NewCache(64<<20, d)}); got != full {
		t.Fatalf("first build differs at %s", firstDiff(full, got))
	}
	d.Close()
	files := entries(t, disk)
	if len(files) < 40 {
		t.Fatalf("%d entries stored for 30 tables", len(files))
	}
	other, err := os.ReadFile(files[len(files)-1])
	if err != nil {
		t.Fatal(err)
	}
	damage := []func(key string, data []byte) []byte{
		func(_ string, data []byte) []byte { return data[:len(data)/2] },
		func(_ string, data []byte) []byte { return data[:len(data)-1] },
		func(_ string, data []byte) []byte { data[len(data)-3] ^= 0x20; return data },
		func(_ string, data []byte) []byte { data[0] = 'X'; return data },
		func(string, []byte) []byte { return nil },
		func(string, []byte) []byte { return other },
		// A whole entry whose value is not facts the inventory wrote.
		func(key string, _ []byte) []byte { return entry(key, []byte(`{"Reads":[["x"]]}`)) },
	}
	checksummed := 0
	damaged := map[string]bool{}
	for i, f := range files[:len(files)-1] {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if i%len(damage) == len(damage)-1 {
			checksummed++
		}
		if err := os.WriteFile(f, damage[i%len(damage)](filepath.Base(f), data), 0o600); err != nil {
			t.Fatal(err)
		}
		damaged[f] = true
	}

	d = open(t, disk)
	c := inventory.NewCache(64<<20, d)
	if got := buildAt(t, h, sha, inventory.Options{Cache: c}); got != full {
		t.Fatalf("the build over damaged entries differs at %s", firstDiff(full, got))
	}
	if s := c.Stats(); s.StoreHits != 1 {
		t.Errorf("%d entries read from the store, want the one left whole", s.StoreHits)
	}
	if _, rebuilt := d.Counts(); rebuilt != int64(len(damaged)-checksummed) {
		t.Errorf("%d entries found damaged, want %d", rebuilt, len(damaged)-checksummed)
	}
	d.Close()
	d = open(t, disk)
	c = inventory.NewCache(64<<20, d)
	if got := buildAt(t, h, sha, inventory.Options{Cache: c}); got != full {
		t.Fatalf("the build over rebuilt entries differs at %s", firstDiff(full, got))
	}
	if s := c.Stats(); s.StoreHits != int64(len(files)) {
		t.Errorf("%d entries read from the store after the rebuild, want all %d", s.StoreHits, len(files))
	}
}

// entry is an entry file in the store's format, with a valid checksum.
func entry(key string, value []byte) []byte {
	sum := sha256.Sum256(append(append([]byte(key), 0), value...))
	out := binary.BigEndian.AppendUint64([]byte("SLIC1\n"), uint64(len(value)))
	return append(append(out, sum[:]...), value...)
}

// TestStore: a value stored is read back after a restart; a key that is
// not a file name is refused; another version's entries are deleted on
// open, and a version that is not 16 hex characters is an error.
func TestStore(t *testing.T) {
	dir := t.TempDir()
	d := open(t, dir)
	d.Put("sql1-abc", []byte("value"))
	d.Put("../escape", []byte("value"))
	d.Close()
	d.Put("sql1-late", []byte("after close: dropped"))
	d = open(t, dir)
	if v, ok := d.Get("sql1-abc"); !ok || string(v) != "value" {
		t.Errorf("Get after a restart: %q %v", v, ok)
	}
	for _, k := range []string{"../escape", "sql1-late", "sql1-none"} {
		if v, ok := d.Get(k); ok {
			t.Errorf("Get(%q) = %q, want none", k, v)
		}
	}
	d.Close()
	if _, err := invcache.Open(dir, "fedcba9876543210"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, testVersion)); !os.IsNotExist(err) {
		t.Errorf("the entries of the other version are still there: %v", err)
	}
	if _, err := invcache.Open(dir, "v1"); err == nil {
		t.Error("version v1 accepted")
	}
	if v, err := invcache.ExecutableVersion(); err != nil || len(v) != 16 {
		t.Errorf("ExecutableVersion: %q, %v", v, err)
	}
}
