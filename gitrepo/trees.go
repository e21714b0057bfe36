package gitrepo

import (
	"container/list"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
)

// defaultTreeEntries bounds the folders a Cache keeps decoded: about
// 80 MB, the trees of a 100,000-table repository twice over.
const defaultTreeEntries = 1 << 20

// trees keeps decoded git trees (folders) by hash for every Repo of a
// Cache: a tree's hash names its content, so a folder one job read is
// not read from the packfile again by the next, whatever the repository.
// Bounded by the entries held, least recently used first out. Safe for
// concurrent use.
type trees struct {
	max int

	mu     sync.Mutex
	held   int
	lru    list.List // of *decodedTree, most recent first
	byHash map[plumbing.Hash]*list.Element
}

type decodedTree struct {
	hash    plumbing.Hash
	entries []entry
}

func newTrees(max int) *trees {
	return &trees{max: max, byHash: map[plumbing.Hash]*list.Element{}}
}

func (t *trees) get(h plumbing.Hash) ([]entry, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	el, ok := t.byHash[h]
	if !ok {
		return nil, false
	}
	t.lru.MoveToFront(el)
	return el.Value.(*decodedTree).entries, true
}

// put keeps a folder's entries, which must not change after.
func (t *trees) put(h plumbing.Hash, es []entry) {
	// An empty folder still costs its element.
	cost := max(1, len(es))
	if cost > t.max {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.byHash[h]; ok {
		return
	}
	t.byHash[h] = t.lru.PushFront(&decodedTree{hash: h, entries: es})
	t.held += cost
	for t.held > t.max {
		last := t.lru.Back()
		d := last.Value.(*decodedTree)
		t.lru.Remove(last)
		delete(t.byHash, d.hash)
		t.held -= max(1, len(d.entries))
	}
}
