package gitrepo

import (
	"errors"
	"fmt"
	"io/fs"
)

var (
	// ErrInvalidOption: an [Option] given to [NewCache] has a bad value, or
	// the cache directory is "".
	ErrInvalidOption = errors.New("gitrepo: invalid option")
	// ErrInvalidSHA: a commit SHA is not 40 hexadecimal digits; nothing was
	// fetched or read.
	ErrInvalidSHA = errors.New("gitrepo: invalid commit SHA")
	// ErrCommitNotFound: a commit is not in the mirror ([Cache.Fetch]: even
	// after fetching the branches and pull request heads), or the SHA names
	// another kind of object. The error is a [*CommitNotFoundError] naming
	// the repository and the SHA.
	ErrCommitNotFound = errors.New("gitrepo: commit not found")
	// ErrInvalidURL: a repository URL has a scheme but does not parse, so
	// its credentials, if any, cannot be taken out; nothing was fetched.
	ErrInvalidURL = errors.New("gitrepo: repository URL does not parse")
	// ErrBranchNotFound: [Cache.Tip] found no such branch in the repository
	// (deleted, or never pushed).
	ErrBranchNotFound = errors.New("gitrepo: branch not found")
	// ErrSymlink: a path of a [Repo.Tree] is, or goes through, a symbolic
	// link, which is not followed (its target may be outside the tree).
	ErrSymlink = errors.New("gitrepo: symbolic link not followed")
)

// errIsDir: a file operation on a folder of a tree.
var errIsDir = errors.New("is a directory")

// errNotDir: a path that should be a folder is a file. It matches
// fs.ErrNotExist, as in fstest.MapFS: no such folder exists.
var errNotDir error = notDirError{}

type notDirError struct{}

func (notDirError) Error() string        { return "not a directory" }
func (notDirError) Is(target error) bool { return target == fs.ErrNotExist }

// CommitNotFoundError is [ErrCommitNotFound] for one commit of one
// repository.
type CommitNotFoundError struct {
	URL string // credentials removed
	SHA string
}

func (e *CommitNotFoundError) Error() string {
	return fmt.Sprintf("commit %s not found in %s", e.SHA, e.URL)
}

// Is makes errors.Is(err, ErrCommitNotFound) true.
func (e *CommitNotFoundError) Is(target error) bool { return target == ErrCommitNotFound }
