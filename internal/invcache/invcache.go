// Package invcache is the on-disk layer of the inventory cache
// ([inventory.Store]): the facts of each SQL file parsed, by the hash of its
// content, kept under the service's data directory so that a restarted
// process does not parse again what it parsed before.
//
// Every entry is a file holding a checksum of its key and value: an entry
// that is corrupt, truncated, or written for another key reads as missing,
// is deleted, and the caller rebuilds it; it is never trusted. Entries live
// in a folder named by the program's version (see [ExecutableVersion]), so
// that facts found by another build of the parser are never read; Open
// deletes the folders of other versions. Writes go through one goroutine,
// off the build's path; when it falls behind, entries are dropped (the
// cache only saves work).
package invcache

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
)

// magic starts every entry, with the format's version.
var magic = []byte("SLIC1\n")

// header is magic, the value's length (8 bytes) and sha256(key, 0, value).
const header = 6 + 8 + sha256.Size

// queued bounds the writes waiting: past it, Put drops.
const queued = 1 << 16

// Dir is a store of entries under a folder. Its methods may be called
// from any number of goroutines.
type Dir struct {
	dir    string
	writes chan write
	done   chan struct{}
	// mu orders Put and Close: a Put after Close is dropped.
	mu      sync.RWMutex
	closed  bool
	dropped atomic.Int64
	rebuilt atomic.Int64
}

type write struct{ key, value []byte }

var versionName = regexp.MustCompile(`^[0-9a-f]{16}$`)

// validKey: keys are file names.
var validKey = regexp.MustCompile(`^[0-9a-z-]{3,100}$`)

// Open opens the store of version (16 hex characters) in dir, created if
// needed, and deletes the entries of other versions there.
func Open(dir, version string) (*Dir, error) {
	if !versionName.MatchString(version) {
		return nil, fmt.Errorf("invcache: version %q: want 16 hex characters", version)
	}
	if err := os.MkdirAll(filepath.Join(dir, version), 0o700); err != nil {
		return nil, fmt.Errorf("invcache: %w", err)
	}
	olds, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("invcache: %w", err)
	}
	for _, e := range olds {
		if e.IsDir() && e.Name() != version && versionName.MatchString(e.Name()) {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return nil, fmt.Errorf("invcache: remove the entries of version %s: %w", e.Name(), err)
			}
		}
	}
	d := &Dir{dir: filepath.Join(dir, version), writes: make(chan write, queued), done: make(chan struct{})}
	go d.writer()
	return d, nil
}

// ExecutableVersion names the running program's build: the first 16 hex
// characters of its executable's SHA-256. Any rebuild, of the parser or of
// anything else, changes it.
func ExecutableVersion() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	f, err := os.Open(exe)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)[:8]), nil
}

func (d *Dir) path(key string) string {
	// Two characters of the key's end (a hash's) spread the files over
	// 256 folders or so.
	return filepath.Join(d.dir, key[len(key)-2:], key)
}

// Get returns the value stored for key; false when there is none or the
// entry does not check out, which is then deleted.
func (d *Dir) Get(key string) ([]byte, bool) {
	if !validKey.MatchString(key) {
		return nil, false
	}
	data, err := os.ReadFile(d.path(key))
	if err != nil {
		return nil, false
	}
	value, ok := decode(key, data)
	if !ok {
		d.rebuilt.Add(1)
		// A later Put writes it anew; until then it is missing.
		_ = os.Remove(d.path(key))
		return nil, false
	}
	return value, true
}

// Put stores value for key, later, unless too many writes wait.
func (d *Dir) Put(key string, value []byte) {
	if !validKey.MatchString(key) {
		return
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return
	}
	select {
	case d.writes <- write{key: []byte(key), value: bytes.Clone(value)}:
	default:
		d.dropped.Add(1)
	}
}

// Close writes what waits and stops the writer; a later Put is dropped.
func (d *Dir) Close() error {
	d.mu.Lock()
	if !d.closed {
		d.closed = true
		close(d.writes)
	}
	d.mu.Unlock()
	<-d.done
	return nil
}

// Counts are a store's counters: entries dropped because the writer fell
// behind, and entries found damaged (deleted, to be rebuilt).
func (d *Dir) Counts() (dropped, rebuilt int64) { return d.dropped.Load(), d.rebuilt.Load() }

func (d *Dir) writer() {
	defer close(d.done)
	for w := range d.writes {
		// A failed write leaves the entry missing: it is parsed again.
		_ = d.write(string(w.key), w.value)
	}
}

// write writes an entry whole, through a temporary file renamed into
// place: a reader sees the old entry, none, or the new one.
func (d *Dir) write(key string, value []byte) error {
	file := d.path(key)
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".tmp-")
	if err != nil {
		return err
	}
	_, err = tmp.Write(encode(key, value))
	err = errors.Join(err, tmp.Close())
	if err == nil {
		err = os.Rename(tmp.Name(), file)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
	}
	return err
}

func sum(key string, value []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(key))
	h.Write([]byte{0})
	h.Write(value)
	var s [sha256.Size]byte
	h.Sum(s[:0])
	return s
}

func encode(key string, value []byte) []byte {
	out := make([]byte, 0, header+len(value))
	out = append(out, magic...)
	out = binary.BigEndian.AppendUint64(out, uint64(len(value)))
	s := sum(key, value)
	out = append(out, s[:]...)
	return append(out, value...)
}

// decode checks an entry: its magic, that it holds as many bytes as it
// says, and their checksum with the key.
func decode(key string, data []byte) ([]byte, bool) {
	if len(data) < header || !bytes.Equal(data[:len(magic)], magic) {
		return nil, false
	}
	n := binary.BigEndian.Uint64(data[len(magic):])
	value := data[header:]
	if n != uint64(len(value)) {
		return nil, false
	}
	s := sum(key, value)
	if !bytes.Equal(data[len(magic)+8:header], s[:]) {
		return nil, false
	}
	return value, true
}
