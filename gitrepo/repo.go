package gitrepo

import (
	"errors"
	"fmt"
	"sync"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Repo is a mirror as [Cache.Fetch] returned it. Its methods, and the trees
// it returns, may be used from any number of goroutines. It caches the
// folders it reads: take a new one from Fetch for each job.
type Repo struct {
	url string // credentials removed

	// mu serialises every use of git, whose storage reads packfiles
	// through shared state and is not safe for concurrent use; it also
	// guards trees.
	mu  sync.Mutex
	git *git.Repository
	// trees caches decoded folders by tree hash, shared by every commit's
	// FS: a folder unchanged between two commits is read once.
	trees map[plumbing.Hash][]entry
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
		return nil, &CommitNotFoundError{Repo: r.url, SHA: h.String()}
	}
	if err != nil {
		return nil, fmt.Errorf("read commit %s in %s: %w", h, r.url, err)
	}
	return c, nil
}
