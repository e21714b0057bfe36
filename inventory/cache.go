package inventory

import (
	"container/list"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"sync"

	"github.com/shiftleft/shiftleft/flinksql"
)

// Hashed is implemented by a tree addressed by content, as a git tree is:
// by the fs.FS, for its root folder, and by each fs.DirEntry its ReadDir
// returns. ContentHash is the object's hash (git's tree or blob hash): two
// entries with the same hash have the same content, whatever their path or
// time.
type Hashed interface {
	ContentHash() [20]byte
}

// Store keeps byte strings by key across restarts, for a [Cache]. Get
// answers false for a key it does not have and for an entry it cannot vouch
// for (corrupt, truncated): such an entry is rebuilt, never trusted. Put may
// drop what it cannot write. Both are called from several goroutines.
type Store interface {
	Get(key string) ([]byte, bool)
	Put(key string, value []byte)
}

// Cache keeps what builds of trees addressed by content ([Hashed]) found,
// so that a build reads and parses only what an earlier one did not:
//
//   - the facts of each SQL file (fingerprint, tables created, read and
//     written, why it is stateful), by the hash of its content, and the
//     settings of each .properties file, by its hash: a file whose content
//     was parsed before, at any path, is not read;
//   - each table folder's result, by its path and tree hash: an unchanged
//     folder is not even listed (its path is in the key because the
//     inventory names it);
//   - each whole tree's inventory, by the root's tree hash, the pipelines
//     folder name and the options that change the result: building a tree
//     already built is a lookup.
//
// A build through the cache returns what a build without it returns, byte
// for byte, warnings and errors included: a broken file stays an error
// wherever it lies. Results that depend on more than the content (a failed
// read, a panic) are not kept.
//
// Memory is bounded: each entry is charged an estimate of the bytes it
// holds, everything it points to included (so shared data is counted in
// every entry that holds it, and the charge bounds what the cache keeps
// alive), and the least recently used entries go once the total passes the
// bound. With a [Store], the facts of SQL files are also kept there and
// read back on a miss, so that a restarted process does not parse again.
//
// A Cache is safe for concurrent use; one may serve any number of
// repositories.
type Cache struct {
	maxBytes int64
	store    Store

	mu      sync.Mutex
	lru     list.List // of *cacheEntry, most recent first
	entries map[cacheKey]*list.Element
	stats   CacheStats
}

// CacheStats are a cache's counters.
type CacheStats struct {
	Entries int
	// Bytes is the charge of the entries held, PeakBytes its highest value,
	// MaxBytes the bound.
	Bytes, PeakBytes, MaxBytes int64
	// Hits and Misses count lookups of every kind; StoreHits count the
	// SQL facts read back from the store.
	Hits, Misses, StoreHits int64
}

// NewCache returns a cache bounded to about maxBytes (at least 1 MiB),
// backed by store when it is not nil.
func NewCache(maxBytes int64, store Store) *Cache {
	c := &Cache{maxBytes: max(maxBytes, 1<<20), store: store, entries: map[cacheKey]*list.Element{}}
	c.stats.MaxBytes = c.maxBytes
	return c
}

// Stats returns the cache's counters.
func (c *Cache) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Entries = len(c.entries)
	return s
}

type entryKind uint8

const (
	kindSQL entryKind = iota + 1
	kindProps
	kindFolder
	kindTree
)

type cacheKey struct {
	kind entryKind
	hash [20]byte
	// path is a table folder's path, or for a tree the pipelines folder
	// name and the options that change its inventory.
	path string
}

type cacheEntry struct {
	key   cacheKey
	value any
	size  int64
}

// folderKey names a table folder of a tree: its path there, after the
// pipelines folder name that prefixes it in the inventory, and its hash.
type folderKey struct {
	path string
	hash [20]byte
}

// tableFolder is what a table folder holds: its sql-scripts folders (its
// own, and any in folders below it) and external tables manifests.
type tableFolder struct {
	folders   []*folder
	manifests []string
}

// built is a whole tree's inventory.
type built struct {
	inv      *Inventory
	warnings []Warning
}

func (c *Cache) get(k cacheKey) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[k]
	if !ok {
		c.stats.Misses++
		return nil, false
	}
	c.stats.Hits++
	c.lru.MoveToFront(el)
	return el.Value.(*cacheEntry).value, true
}

func (c *Cache) put(k cacheKey, v any, size int64) {
	if size > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[k]; ok {
		// Another build found the same: the content is the same.
		c.lru.MoveToFront(el)
		return
	}
	c.entries[k] = c.lru.PushFront(&cacheEntry{key: k, value: v, size: size})
	c.stats.Bytes += size
	for c.stats.Bytes > c.maxBytes {
		last := c.lru.Back()
		e := last.Value.(*cacheEntry)
		c.lru.Remove(last)
		delete(c.entries, e.key)
		c.stats.Bytes -= e.size
	}
	c.stats.PeakBytes = max(c.stats.PeakBytes, c.stats.Bytes)
}

// treeKey is the key of fsys's inventory with opts, and whether the tree is
// addressed by content and opts has a cache.
func treeKey(fsys fs.FS, opts Options) (cacheKey, bool) {
	h, ok := fsys.(Hashed)
	if !ok || opts.Cache == nil {
		return cacheKey{}, false
	}
	drop := "keep"
	if opts.DropUnknownRefs {
		drop = "drop"
	}
	return cacheKey{kind: kindTree, hash: h.ContentHash(), path: opts.Root + "\x00" + drop}, true
}

func (c *Cache) tree(k cacheKey) (*built, bool) {
	v, ok := c.get(k)
	if !ok {
		return nil, false
	}
	return v.(*built), true
}

func (c *Cache) putTree(k cacheKey, b *built) {
	size := int64(64 + len(b.inv.Tables)*48)
	for _, t := range b.inv.Tables {
		size += tableSize(t)
	}
	for _, w := range b.warnings {
		size += warningSize(w)
	}
	c.put(k, b, size)
}

func (c *Cache) folder(k folderKey) (*tableFolder, bool) {
	v, ok := c.get(cacheKey{kind: kindFolder, hash: k.hash, path: k.path})
	if !ok {
		return nil, false
	}
	return v.(*tableFolder), true
}

func (c *Cache) putFolder(k folderKey, tf *tableFolder) {
	size := int64(64 + len(k.path) + 8*len(tf.folders))
	for _, f := range tf.folders {
		size += folderSize(f)
	}
	for _, m := range tf.manifests {
		size += int64(16 + len(m))
	}
	c.put(cacheKey{kind: kindFolder, hash: k.hash, path: k.path}, tf, size)
}

// contentKey is the key of entry e's content, false when e has no hash,
// is not a regular file (a symbolic link's hash is its target's name), or
// there is no cache.
func (c *Cache) contentKey(kind entryKind, e fs.DirEntry) (cacheKey, bool) {
	h, ok := e.(Hashed)
	if c == nil || !ok || !e.Type().IsRegular() {
		return cacheKey{}, false
	}
	return cacheKey{kind: kind, hash: h.ContentHash()}, true
}

// sql returns the facts of file e's content, from memory or the store.
func (c *Cache) sql(e fs.DirEntry) (*sqlFacts, bool) {
	k, ok := c.contentKey(kindSQL, e)
	if !ok {
		return nil, false
	}
	if v, ok := c.get(k); ok {
		return v.(*sqlFacts), true
	}
	if c.store == nil {
		return nil, false
	}
	data, ok := c.store.Get(storeKey(k.hash))
	if !ok {
		return nil, false
	}
	var f sqlFacts
	if json.Unmarshal(data, &f) != nil || f.Fingerprint == "" {
		return nil, false // not what this version wrote: parse again
	}
	c.mu.Lock()
	c.stats.StoreHits++
	c.mu.Unlock()
	c.put(k, &f, factsSize(&f))
	return &f, true
}

// putSQL keeps the facts of file e's content; those of content that does
// not parse stay in memory only (they are rare and cheap to find again).
func (c *Cache) putSQL(e fs.DirEntry, f *sqlFacts) {
	k, ok := c.contentKey(kindSQL, e)
	if !ok {
		return
	}
	c.put(k, f, factsSize(f))
	if c.store != nil && f.err == nil {
		if data, err := json.Marshal(f); err == nil {
			c.store.Put(storeKey(k.hash), data)
		}
	}
}

// storeKey names SQL facts in the store; the prefix changes with their
// encoding.
func storeKey(h [20]byte) string { return "sql1-" + hex.EncodeToString(h[:]) }

func (c *Cache) props(e fs.DirEntry) (map[string]string, bool) {
	k, ok := c.contentKey(kindProps, e)
	if !ok {
		return nil, false
	}
	v, ok := c.get(k)
	if !ok {
		return nil, false
	}
	return v.(map[string]string), true
}

func (c *Cache) putProps(e fs.DirEntry, props map[string]string) {
	if k, ok := c.contentKey(kindProps, e); ok {
		c.put(k, props, propsSize(props))
	}
}

// The sizes below estimate the Go memory a value holds: 16 bytes a string
// header, 24 a slice header, 48 a small map plus its entries, and the
// bytes of every string.

func namesSize(ns []flinksql.Name) int64 {
	size := int64(24 + 24*len(ns))
	for _, n := range ns {
		for _, p := range n {
			size += int64(16 + len(p))
		}
	}
	return size
}

func stringsSize(ss ...string) int64 {
	size := int64(0)
	for _, s := range ss {
		size += int64(16 + len(s))
	}
	return size
}

func factsSize(f *sqlFacts) int64 {
	size := int64(160) + stringsSize(f.Fingerprint, f.Changelog) + stringsSize(f.Stateful...) +
		namesSize(f.Writes) + namesSize(f.Reads) + namesSize([]flinksql.Name{f.Created})
	if f.err != nil {
		size += int64(64 + len(f.err.Error()))
	}
	return size
}

func propsSize(props map[string]string) int64 {
	size := int64(48)
	for k, v := range props {
		size += 16 + stringsSize(k, v)
	}
	return size
}

func tableSize(t *Table) int64 {
	return 360 + stringsSize(t.Name, t.Product, t.Type, t.DMLRef, t.DDLRef, t.Folder, t.KafkaTopic, t.WrittenBy,
		t.DDLFingerprint, t.DMLFingerprint, t.Fingerprint) +
		stringsSize(t.Parents...) + stringsSize(t.AlsoWrites...) + stringsSize(t.StatefulReasons...) +
		propsSize(t.DDLProperties) + propsSize(t.DMLProperties)
}

func warningSize(w Warning) int64 { return stringsSize(w.File, w.Table, w.Message) }

func folderSize(f *folder) int64 {
	size := int64(128+len(f.dir)) + namesSize(f.reads) + namesSize(f.writes)
	if f.table != nil {
		size += tableSize(f.table)
	}
	if f.err != nil {
		size += int64(64 + len(f.err.Error()))
	}
	for _, w := range f.warnings {
		size += warningSize(w)
	}
	return size
}
