package gitrepo

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalidOption: an [Option] given to [NewCache] has a bad value, or
	// the cache directory is missing.
	ErrInvalidOption = errors.New("gitrepo: invalid option")
	// ErrInvalidSHA: a commit SHA is not 40 hexadecimal digits; nothing was
	// fetched or read.
	ErrInvalidSHA = errors.New("gitrepo: invalid commit SHA")
	// ErrCommitNotFound: a commit is not in the mirror, after fetching the
	// branches and pull request heads for [Cache.Fetch]. The error is a
	// [*CommitNotFoundError] naming the repository and the SHA.
	ErrCommitNotFound = errors.New("gitrepo: commit not found")
	// ErrSymlink: a path of a [Repo.Tree] is, or goes through, a symbolic
	// link, which is not followed (its target may be outside the tree).
	ErrSymlink = errors.New("gitrepo: symbolic link not followed")
)

// Path errors of a tree, as os has them.
var (
	errIsDir  = errors.New("is a directory")
	errNotDir = errors.New("not a directory")
)

// CommitNotFoundError is [ErrCommitNotFound] for one commit of one
// repository.
type CommitNotFoundError struct {
	Repo string // the URL, credentials removed
	SHA  string
}

func (e *CommitNotFoundError) Error() string {
	return fmt.Sprintf("commit %s not found in %s", e.SHA, e.Repo)
}

// Is makes errors.Is(err, ErrCommitNotFound) true.
func (e *CommitNotFoundError) Is(target error) bool { return target == ErrCommitNotFound }
