package gitrepo

import (
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// TestTreesBound: the decoded folders held stay within the bound, the least
// recently used going first, and one larger than the bound is not kept.
func TestTreesBound(t *testing.T) {
	tr := newTrees(4)
	h := func(i byte) plumbing.Hash { return plumbing.Hash{i} }
	two := []entry{{name: "a"}, {name: "b"}}
	tr.put(h(1), two)
	tr.put(h(2), two)
	if _, ok := tr.get(h(1)); !ok { // 1 is now the most recent
		t.Fatal("folder 1 missing")
	}
	tr.put(h(3), nil) // an empty folder counts one
	for i, want := range map[byte]bool{1: true, 2: false, 3: true} {
		if _, ok := tr.get(h(i)); ok != want {
			t.Errorf("folder %d held %v, want %v", i, ok, want)
		}
	}
	tr.put(h(4), make([]entry, 5))
	if _, ok := tr.get(h(4)); ok || tr.held > tr.max {
		t.Errorf("a folder over the bound was kept, or %d entries held of %d", tr.held, tr.max)
	}
}
