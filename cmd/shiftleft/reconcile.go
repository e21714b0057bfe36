package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/config"
	"github.com/shiftleft/shiftleft/githubstatus"
	"github.com/shiftleft/shiftleft/gitrepo"
	"github.com/shiftleft/shiftleft/reconcile"
	"github.com/shiftleft/shiftleft/worker"
)

// startReconciler runs the reconcile loop beside the workers, for the
// allowed repositories; it is off with an interval of 0 or no repository.
func (s *service) startReconciler(sc config.Service, w *worker.Worker, tips tipReader, reg prometheus.Registerer) error {
	interval := *sc.ReconcileInterval
	if interval <= 0 || len(sc.AllowRepos) == 0 {
		s.log.Info("reconciler off", zap.Duration("interval", interval), zap.Int("repositories", len(sc.AllowRepos)))
		return nil
	}
	var repos []reconcile.Repo
	for _, name := range sc.AllowRepos {
		repos = append(repos, reconcile.Repo{Name: name, CloneURL: cloneURL(sc, name), Branch: sc.DeployBranch})
	}
	// A lease that outlives a dead holder by a few intervals at most, and
	// never less than a second.
	ttl := min(reconcile.DefaultLeaseTTL, max(time.Second, (2*interval).Truncate(time.Second)))
	r, err := reconcile.New(s.queue, tips, w, repos, reconcile.WithInterval(interval), reconcile.WithLeaseTTL(ttl),
		reconcile.WithSelfHeal(sc.SelfHeal, sc.Prune), reconcile.WithHealLimit(sc.HealLimit),
		reconcile.WithLogger(s.log), reconcile.WithRegistry(reg))
	if err != nil {
		return fmt.Errorf("reconciler: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(ctx)
	}()
	s.reconciler = r
	s.stopReconciler = func() { cancel(); <-done }
	return nil
}

// cloneURL is where the reconciler reads and the worker fetches a
// repository: the configured URL, else GitHub's.
func cloneURL(sc config.Service, repo string) string {
	if u, ok := sc.CloneURLs[repo]; ok {
		return u
	}
	return "https://github.com/" + repo + ".git"
}

// tipReader reads a deploy branch's tip through GitHub's API when a token
// is configured, else from the repository itself (git ls-remote, with the
// clone URL's configured credentials, which are never logged or stored).
type tipReader struct {
	gh  githubstatus.Reporter
	git *gitrepo.Cache
}

func (t tipReader) Tip(ctx context.Context, r reconcile.Repo) (string, error) {
	if c, ok := t.gh.(*githubstatus.Client); ok {
		sha, err := c.BranchTip(ctx, r.Name, r.Branch)
		if errors.Is(err, githubstatus.ErrNotFound) {
			return "", fmt.Errorf("%w: %s of %s on GitHub", gitrepo.ErrBranchNotFound, r.Branch, r.Name)
		}
		return sha, err
	}
	return t.git.Tip(ctx, r.CloneURL, r.Branch)
}
