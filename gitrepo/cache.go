package gitrepo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"github.com/go-git/go-git/v5/storage/memory"
	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/internal/credurl"
)

// refSpecs are what a mirror fetches: every branch, and GitHub's pull
// request heads so that a pull request from a fork is reachable (a server
// without refs/pull simply matches nothing). Tags are not needed.
var refSpecs = []config.RefSpec{
	"+refs/heads/*:refs/heads/*",
	"+refs/pull/*/head:refs/pull/*/head",
}

// Cache is a directory of bare mirrors, one per repository URL. Its methods
// may be called from any number of goroutines; see the package comment for
// sharing a directory.
type Cache struct {
	dir  string
	opts options
	log  *zap.Logger

	mu sync.Mutex
	// locks holds one lock per mirror directory, a channel so that waiting
	// for it honours ctx.
	locks map[string]chan struct{}
	// trees are the folders decoded by any Repo, by hash.
	trees *trees
}

// NewCache returns a cache of mirrors in dir, created if needed. A bad
// option, or an empty dir, is an error wrapping [ErrInvalidOption].
//
// Mirrors made by earlier versions, which kept a URL's credentials in the
// mirror's config, are cleaned first: the URL loses them, and the mirror
// moves to the directory of the clean URL (or goes, when that one exists),
// so no secret stays under dir.
func NewCache(dir string, opts ...Option) (*Cache, error) {
	if dir == "" {
		return nil, invalid("empty cache directory")
	}
	o := options{logger: zap.NewNop(), timeout: defaultTimeout}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	// 0o700: the mirrors hold the code of private repositories.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create cache directory: %w", err)
	}
	c := &Cache{dir: dir, opts: o, log: o.logger.Named("gitrepo"), locks: map[string]chan struct{}{}, trees: newTrees(defaultTreeEntries)}
	if err := c.clean(); err != nil {
		return nil, err
	}
	return c, nil
}

// Fetch returns the mirror of repoURL (a local path, or a file://, http,
// https or ssh URL), cloned on first use, holding every commit of shas. It fetches the
// branches and pull request heads only when one of them is missing, and
// every time when no SHA is given. The all-zero SHA (the "before" of a new
// branch) names no commit and is skipped.
//
// Credentials written in repoURL are dropped, never used nor stored: the
// mirror is the clean URL's, and fetches authenticate with what
// [WithCredentials] or [WithToken] gave for it.
//
// A commit still missing after the fetch is a [*CommitNotFoundError]
// (matching [ErrCommitNotFound]); a malformed SHA is [ErrInvalidSHA], a
// URL that does not parse [ErrInvalidURL]. When ctx ends, or the cache's
// timeout, its error is returned as is.
func (c *Cache) Fetch(ctx context.Context, repoURL string, shas ...string) (*Repo, error) {
	repoURL, _, err := credurl.Split(repoURL)
	if err != nil {
		return nil, ErrInvalidURL
	}
	want := make([]plumbing.Hash, 0, len(shas))
	for _, sha := range shas {
		h, err := parseSHA(sha)
		if err != nil {
			return nil, err
		}
		if !h.IsZero() {
			want = append(want, h)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.timeout)
	defer cancel()
	dir := filepath.Join(c.dir, mirrorName(repoURL))
	unlock, err := c.lock(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer unlock()

	log := c.log.With(zap.String("repo", repoURL))
	g, err := c.open(dir, repoURL, log)
	if err != nil {
		return nil, fmt.Errorf("open mirror of %s: %w", repoURL, err)
	}
	r := &Repo{url: repoURL, git: g, trees: c.trees}
	if len(want) > 0 && r.check(want) == nil {
		log.Debug("git fetch skipped: commits present", zap.Strings("shas", shas))
		return r, nil
	}
	start := time.Now()
	if err := c.fetch(ctx, g, repoURL); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("fetch %s: %w", repoURL, err)
	}
	log.Info("git fetch", zap.Strings("shas", shas), zap.Duration("took", time.Since(start)))
	if err := r.check(want); err != nil {
		return nil, err
	}
	return r, nil
}

// Tip returns the commit branch points to in the repository at repoURL now,
// asking the repository itself (git ls-remote: no object is fetched, and no
// mirror is needed), or an error wrapping [ErrBranchNotFound] when it has
// no such branch. A mirror's copy of the branch may be behind; a worker
// ordering deploys by the branch's history needs the tip as it is.
//
// As with [Cache.Fetch], credentials written in repoURL are dropped: the
// ones configured for the clean URL are used.
func (c *Cache) Tip(ctx context.Context, repoURL, branch string) (string, error) {
	repoURL, _, err := credurl.Split(repoURL)
	if err != nil {
		return "", ErrInvalidURL
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.timeout)
	defer cancel()
	name := repoURL
	remote := git.NewRemote(memory.NewStorage(), &config.RemoteConfig{Name: git.DefaultRemoteName, URLs: []string{repoURL}})
	refs, err := remote.ListContext(ctx, &git.ListOptions{Auth: c.auth(repoURL)})
	switch {
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		return "", fmt.Errorf("%w: %s in %s (an empty repository)", ErrBranchNotFound, branch, name)
	case err != nil && ctx.Err() != nil:
		return "", ctx.Err()
	case err != nil:
		return "", fmt.Errorf("list the branches of %s: %w", name, err)
	}
	want := plumbing.NewBranchReferenceName(branch)
	for _, ref := range refs {
		if ref.Name() == want && ref.Type() == plumbing.HashReference {
			return ref.Hash().String(), nil
		}
	}
	return "", fmt.Errorf("%w: %s in %s", ErrBranchNotFound, branch, name)
}

func (c *Cache) lock(ctx context.Context, key string) (unlock func(), err error) {
	c.mu.Lock()
	l, ok := c.locks[key]
	if !ok {
		l = make(chan struct{}, 1)
		c.locks[key] = l
	}
	c.mu.Unlock()
	select {
	case l <- struct{}{}:
		return func() { <-l }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// open opens the mirror in dir, creating it on first use. A new mirror is
// initialised in a temporary directory and renamed into place, so that a
// crash never leaves a half-made one that would fail every later Fetch.
func (c *Cache) open(dir, repoURL string, log *zap.Logger) (*git.Repository, error) {
	g, err := git.PlainOpen(dir)
	if !errors.Is(err, git.ErrRepositoryNotExists) {
		return g, err
	}
	tmp, err := os.MkdirTemp(c.dir, initPrefix)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp) // nothing left to remove once renamed
	if err := initMirror(tmp, repoURL); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return nil, err
	}
	log.Info("git mirror created", zap.String("dir", dir))
	return git.PlainOpen(dir)
}

// initMirror makes an empty bare repository whose origin is repoURL, with
// the refspecs Fetch uses, so that git fetch run by hand does the same.
func initMirror(dir, repoURL string) error {
	g, err := git.PlainInit(dir, true)
	if err != nil {
		return err
	}
	_, err = g.CreateRemote(&config.RemoteConfig{Name: git.DefaultRemoteName, URLs: []string{repoURL}, Fetch: refSpecs})
	return err
}

// fetch updates the mirror; a mirror already up to date, or a repository
// without any commit yet, is not an error.
func (c *Cache) fetch(ctx context.Context, g *git.Repository, repoURL string) error {
	err := g.FetchContext(ctx, &git.FetchOptions{
		RefSpecs: refSpecs,
		Tags:     git.NoTags,
		Auth:     c.auth(repoURL),
	})
	if errors.Is(err, git.NoErrAlreadyUpToDate) || errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return nil
	}
	return err
}

// auth is what fetches of repoURL (credentials removed) present: the
// credentials configured for that URL, else the token as GitHub takes it,
// over https only — the token goes to whatever URL a job names, and another
// scheme would send it in clear text, or to something that is not GitHub.
func (c *Cache) auth(repoURL string) transport.AuthMethod {
	scheme, _, _ := strings.Cut(strings.ToLower(repoURL), "://")
	if creds, ok := c.opts.credentials[repoURL]; ok {
		password, _ := creds.Password()
		switch {
		case scheme == "http" || scheme == "https":
			return &githttp.BasicAuth{Username: creds.Username(), Password: password}
		case credurl.SSH(scheme):
			return &gitssh.Password{User: creds.Username(), Password: password}
		}
		return nil // a local path or file:// takes none
	}
	if c.opts.token == "" || scheme != "https" {
		return nil
	}
	return &githttp.BasicAuth{Username: "x-access-token", Password: c.opts.token}
}

// mirrorName is the directory of repoURL's mirror: a hash, so that any URL
// (a path, a port, characters a file name cannot hold) maps to a distinct,
// valid name.
func mirrorName(repoURL string) string {
	sum := sha256.Sum256([]byte(repoURL))
	return hex.EncodeToString(sum[:16]) + ".git"
}

// parseSHA checks that sha is a full commit SHA, before any I/O.
func parseSHA(sha string) (plumbing.Hash, error) {
	if !plumbing.IsHash(sha) {
		return plumbing.ZeroHash, fmt.Errorf("%w: %q", ErrInvalidSHA, sha)
	}
	return plumbing.NewHash(sha), nil
}
