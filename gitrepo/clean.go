package gitrepo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5"
	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/internal/credurl"
)

// initPrefix starts the name of a mirror being made, renamed into place
// once complete.
const initPrefix = ".init-"

// clean removes the credentials that earlier versions left in the cache
// directory, which kept a clone URL as given: the half-made mirrors of a
// crash, and the credentials in a mirror's remote URL.
func (c *Cache) clean() error {
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return fmt.Errorf("read cache directory: %w", err)
	}
	for _, e := range entries {
		dir := filepath.Join(c.dir, e.Name())
		switch {
		case !e.IsDir():
		case strings.HasPrefix(e.Name(), initPrefix):
			// Only a crash leaves one (see open), and no Cache shares the
			// directory: nothing is making it now.
			if err := os.RemoveAll(dir); err != nil {
				return fmt.Errorf("remove half-made mirror: %w", err)
			}
		case strings.HasSuffix(e.Name(), ".git"):
			if err := c.cleanMirror(dir); err != nil {
				return fmt.Errorf("clean mirror %s: %w", e.Name(), err)
			}
		}
	}
	return nil
}

// cleanMirror takes the credentials out of the remote URLs of the mirror
// in dir, then moves it to the directory of its clean URL, which later
// Fetches use; when a mirror of the clean URL exists already, this one
// goes. The config is rewritten first: a crash in between leaves a clean
// mirror under a name nothing uses, never a secret.
func (c *Cache) cleanMirror(dir string) error {
	g, err := git.PlainOpen(dir)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil // not a mirror: nothing this cache wrote
	}
	if err != nil {
		return err
	}
	cfg, err := g.Config()
	if err != nil {
		return err
	}
	remote, ok := cfg.Remotes[git.DefaultRemoteName]
	if !ok || len(remote.URLs) == 0 {
		return nil
	}
	dirty := false
	for i, u := range remote.URLs {
		clean, creds, err := credurl.Split(u)
		if err != nil {
			return err
		}
		if creds != nil {
			remote.URLs[i], dirty = clean, true
		}
	}
	if !dirty {
		return nil
	}
	if err := g.SetConfig(cfg); err != nil {
		return err
	}
	log := c.log.With(zap.String("repo", remote.URLs[0]))
	target := filepath.Join(c.dir, mirrorName(remote.URLs[0]))
	switch _, err := os.Stat(target); {
	case target == dir:
	case err == nil:
		log.Info("git mirror with credentials in its config removed: its clean URL has a mirror")
		return os.RemoveAll(dir)
	case errors.Is(err, os.ErrNotExist):
		if err := os.Rename(dir, target); err != nil {
			return err
		}
	default:
		return err
	}
	log.Info("git mirror cleaned: credentials removed from its config", zap.String("dir", target))
	return nil
}
