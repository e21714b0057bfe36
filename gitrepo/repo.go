package gitrepo

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Repo is a mirror as [Cache.Fetch] returned it. Its methods, and the trees
// it returns, may be used from any number of goroutines. Take a new one
// from Fetch for each job.
type Repo struct {
	url string // credentials removed

	// mu serialises every use of git, whose storage reads packfiles
	// through shared state and is not safe for concurrent use.
	mu  sync.Mutex
	git *git.Repository
	// trees caches decoded folders by tree hash, shared by every commit's
	// FS and every Repo of the Cache: a folder unchanged between two
	// commits, or two jobs, is read once.
	trees *trees
}

// check returns an error for each commit of want not in the mirror.
func (r *Repo) check(want []plumbing.Hash) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	for _, h := range want {
		if _, err := r.commit(h); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// commit reads a commit; caller holds r.mu. go-git answers ErrObjectNotFound
// for a hash that is missing or not a commit.
func (r *Repo) commit(h plumbing.Hash) (*object.Commit, error) {
	c, err := r.git.CommitObject(h)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, &CommitNotFoundError{URL: r.url, SHA: h.String()}
	}
	if err != nil {
		return nil, fmt.Errorf("read commit %s in %s: %w", h, r.url, err)
	}
	return c, nil
}

// ChangedPaths returns the paths, sorted, of the files that differ between
// commits from and to: added, deleted or modified, a mode change included
// (a rename is a deletion and an addition). from may be the all-zero SHA,
// the "before" of a new branch: every file of to is then changed.
func (r *Repo) ChangedPaths(from, to string) ([]string, error) {
	fromHash, err := parseSHA(from)
	if err != nil {
		return nil, err
	}
	toHash, err := parseSHA(to)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	toTree, err := r.tree(toHash)
	if err != nil {
		return nil, err
	}
	var fromTree *object.Tree // nil is the empty tree
	if !fromHash.IsZero() {
		if fromTree, err = r.tree(fromHash); err != nil {
			return nil, err
		}
	}
	changes, err := object.DiffTree(fromTree, toTree)
	if err != nil {
		return nil, fmt.Errorf("diff %s..%s in %s: %w", from, to, r.url, err)
	}
	var paths []string
	for _, ch := range changes {
		// An addition has only a To, a deletion only a From.
		for _, p := range []string{ch.From.Name, ch.To.Name} {
			if p != "" {
				paths = append(paths, p)
			}
		}
	}
	slices.Sort(paths)
	return slices.Compact(paths), nil
}

// IsAncestor reports whether commit a is an ancestor of commit b; a commit
// is its own ancestor, as for git merge-base --is-ancestor.
func (r *Repo) IsAncestor(a, b string) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ac, bc, err := r.commitPair(a, b)
	if err != nil {
		return false, err
	}
	ok, err := ac.IsAncestor(bc)
	if err != nil {
		return false, fmt.Errorf("history of %s in %s: %w", b, r.url, err)
	}
	return ok, nil
}

// MergeBase returns the best common ancestor of commits a and b, as git
// merge-base does (the first when there are several), and false when their
// histories never meet.
func (r *Repo) MergeBase(a, b string) (string, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ac, bc, err := r.commitPair(a, b)
	if err != nil {
		return "", false, err
	}
	bases, err := ac.MergeBase(bc)
	if err != nil {
		return "", false, fmt.Errorf("merge base of %s and %s in %s: %w", a, b, r.url, err)
	}
	if len(bases) == 0 {
		return "", false, nil
	}
	return bases[0].Hash.String(), true, nil
}

// commitPair reads two commits given by SHA; caller holds r.mu.
func (r *Repo) commitPair(a, b string) (*object.Commit, *object.Commit, error) {
	aHash, err := parseSHA(a)
	if err != nil {
		return nil, nil, err
	}
	bHash, err := parseSHA(b)
	if err != nil {
		return nil, nil, err
	}
	ac, err := r.commit(aHash)
	if err != nil {
		return nil, nil, err
	}
	bc, err := r.commit(bHash)
	if err != nil {
		return nil, nil, err
	}
	return ac, bc, nil
}

// tree reads a commit's tree; caller holds r.mu.
func (r *Repo) tree(h plumbing.Hash) (*object.Tree, error) {
	c, err := r.commit(h)
	if err != nil {
		return nil, err
	}
	t, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("read tree of %s in %s: %w", h, r.url, err)
	}
	return t, nil
}
