package gitrepo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	sharedfiles "github.com/shiftleft/shiftleft/internal/files"
)

// zeroSHA is the "before" of a push that creates a branch.
const zeroSHA = "0000000000000000000000000000000000000000"

// epoch is the time of a source's first commit; each next one is a minute
// later, so that commits are reproducible.
var epoch = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// source is a repository with a worktree that the tests commit to and
// fetch from, the way atlantis' initializeRepo builds one.
type source struct {
	t       *testing.T
	dir     string
	git     *git.Repository
	commits int
}

func newSource(t *testing.T) *source {
	t.Helper()
	dir := t.TempDir()
	g, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	return &source{t: t, dir: dir, git: g}
}

// commit writes files (path: content) and removes paths on the current
// branch, and returns the new commit's SHA.
func (s *source) commit(files map[string]string, remove ...string) string {
	s.t.Helper()
	if err := sharedfiles.WriteTree(s.dir, files); err != nil {
		s.t.Fatal(err)
	}
	for _, p := range remove {
		if err := os.Remove(filepath.Join(s.dir, filepath.FromSlash(p))); err != nil {
			s.t.Fatal(err)
		}
	}
	wt, err := s.git.Worktree()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		s.t.Fatal(err)
	}
	when := epoch.Add(time.Duration(s.commits) * time.Minute)
	s.commits++
	h, err := wt.Commit("commit "+when.Format(time.TimeOnly), &git.CommitOptions{
		Author: &object.Signature{Name: "Test", Email: "test@example.com", When: when},
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return h.String()
}

// pullHead commits files on top of commit base, reachable only from
// refs/pull/<n>/head as GitHub keeps a pull request from a fork, and
// returns its SHA; the branch does not move.
func (s *source) pullHead(n, base string, files map[string]string) string {
	s.t.Helper()
	head, err := s.git.Head()
	if err != nil {
		s.t.Fatal(err)
	}
	wt, err := s.git.Worktree()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := wt.Checkout(&git.CheckoutOptions{Hash: plumbing.NewHash(base), Force: true}); err != nil {
		s.t.Fatal(err)
	}
	sha := s.commit(files)
	ref := plumbing.NewHashReference(plumbing.ReferenceName("refs/pull/"+n+"/head"), plumbing.NewHash(sha))
	if err := s.git.Storer.SetReference(ref); err != nil {
		s.t.Fatal(err)
	}
	if err := wt.Checkout(&git.CheckoutOptions{Branch: head.Name(), Force: true}); err != nil {
		s.t.Fatal(err)
	}
	return sha
}

// history is a source with the commits that the tree, diff and ancestry
// tests read, fetched into a Repo.
type history struct {
	repo  *Repo
	cache *Cache
	url   string
	// c0 has a README only; c1 adds the pipelines folder; c2 modifies, adds
	// and deletes in it and adds bin/run.sh; c3 makes run.sh executable and
	// links pipelines/current to sources; pull branches off c1.
	c0, c1, c2, c3, pull string
}

const (
	srcDDL = "CREATE TABLE src (id STRING);\n"
	srcDML = "INSERT INTO src SELECT 1;\n"
)

func newHistory(t *testing.T) *history {
	t.Helper()
	src := newSource(t)
	h := &history{}
	h.c0 = src.commit(map[string]string{"README.md": "# shop\n"})
	h.c1 = src.commit(map[string]string{
		"pipelines/sources/p/src/sql-scripts/ddl.src.sql": srcDDL,
		"pipelines/sources/p/src/sql-scripts/dml.src.sql": srcDML,
		"pipelines/x-y.txt": "a file that git sorts before the folder x\n",
		"pipelines/x/z.txt": "z\n",
	})
	h.c2 = src.commit(map[string]string{
		"pipelines/sources/p/src/sql-scripts/dml.src.sql": "INSERT INTO src SELECT 2;\n",
		"pipelines/facts/p/fct/sql-scripts/ddl.fct.sql":   "CREATE TABLE fct (id STRING);\n",
		"bin/run.sh": "#!/bin/sh\n",
	}, "pipelines/x-y.txt")
	if err := os.Chmod(filepath.Join(src.dir, "bin", "run.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("sources", filepath.Join(src.dir, "pipelines", "current")); err != nil {
		t.Fatal(err)
	}
	h.c3 = src.commit(nil)
	h.pull = src.pullHead("1", h.c1, map[string]string{"pipelines/x/z.txt": "z from a fork\n"})
	h.cache, _ = newTestCache(t)
	h.url = src.dir
	h.repo = h.fetch(t)
	return h
}

// fetch returns a new Repo of the history, with nothing read yet.
func (h *history) fetch(t *testing.T) *Repo {
	t.Helper()
	r, err := h.cache.Fetch(context.Background(), h.url, h.c3, h.pull)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// newTestCache returns a cache in a temporary directory and the log it
// writes, where the tests count fetches.
func newTestCache(t *testing.T, opts ...Option) (*Cache, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zap.DebugLevel)
	c, err := NewCache(t.TempDir(), append([]Option{WithLogger(zap.New(core))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, logs
}

// count is how many times msg was logged.
func count(logs *observer.ObservedLogs, msg string) int {
	return logs.FilterMessage(msg).Len()
}

// fileURL is dir as a file:// URL.
func fileURL(dir string) string {
	return "file://" + filepath.ToSlash(dir)
}

// logged is every logged message with its fields, to look for a secret.
func logged(logs *observer.ObservedLogs) string {
	var b strings.Builder
	for _, e := range logs.All() {
		fmt.Fprintf(&b, "%s %v\n", e.Message, e.ContextMap())
	}
	return b.String()
}
