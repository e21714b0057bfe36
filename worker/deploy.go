package worker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/deployments"
	"github.com/shiftleft/shiftleft/githubstatus"
	"github.com/shiftleft/shiftleft/gitrepo"
	"github.com/shiftleft/shiftleft/jobs"
	"github.com/shiftleft/shiftleft/planner"
)

// deploy runs a push to the deploy branch: one deploy per repository and
// environment at a time. What it deploys is decided against what runs: the
// tables that changed since the last deployed commit (and what they
// impact) are compared with the environment, so a job redelivered after a
// crash deploys what is left. A branch with no deployed commit yet is
// deployed from its whole tree: the push's before may never have been
// deployed (pushes are not delivered in order) or be gone (force push), so
// it is never the base.
func (w *Worker) deploy(ctx context.Context, j *jobs.Job, log *zap.Logger) error {
	branch := strings.TrimPrefix(j.Ref, "refs/heads/")
	ctx, release, err := w.hold(ctx, j.Repo+"@"+w.target.Environment, log)
	if err != nil {
		return err
	}
	defer release()
	if superseded, err := w.supersededByTip(ctx, j, branch, log); superseded || err != nil {
		return err
	}

	deployed, hasDeployed, err := w.q.DeployedCommit(ctx, j.Repo, branch)
	if err != nil {
		return err
	}
	repo, err := w.git.Fetch(ctx, j.CloneURL, j.After)
	if errors.Is(err, gitrepo.ErrCommitNotFound) {
		return permanent(err)
	}
	if err != nil {
		return err
	}
	base := ""
	if hasDeployed {
		if repo, hasDeployed, err = w.optional(ctx, repo, j, deployed, log); err != nil {
			return err
		}
	}
	switch {
	case isHeal(j):
		var superseded bool
		if base, superseded = healBase(j, deployed, hasDeployed, log); superseded {
			return nil
		}
	case hasDeployed && deployed == j.After:
		if !rerun(j) {
			// The same push delivered again: nothing to do.
			j.Summary = "already deployed: " + short(j.After)
			return w.status(ctx, j, githubstatus.StateSuccess)
		}
		// An operator asked for this commit again (`jobs replay`, with
		// --force or --dml-only or not): plan the tables its push changed,
		// from the push's own before, against what runs. Without options
		// the planner finds them running this SQL and leaves them; with
		// --force it recreates them.
		if repo, base, err = w.replayBase(ctx, repo, j, log); err != nil {
			return err
		}
	case hasDeployed:
		// The commit is the branch's tip: one older than the deployed
		// commit is a rollback, by a force push.
		base = deployed
	}

	c, err := w.planChange(ctx, repo, base, j.After, j.Options)
	if err != nil {
		if errors.Is(err, jobs.ErrInvalidJob) {
			j.Summary = "cannot plan: " + err.Error()
			_ = w.status(ctx, j, githubstatus.StateFailure)
		}
		return err
	}
	j.Plan = planned(c)
	if c.refused != nil {
		// Refused before any request that changes anything.
		j.Summary = "not deployed: " + c.refused.Error() + ". To drop, set deploy.allow_drop in the configuration or allow_drop: true in the table's .properties"

		_ = w.status(ctx, j, githubstatus.StateFailure)
		return permanent(c.refused)
	}
	if err := w.q.Update(ctx, j); err != nil {
		return err
	}
	j.Summary = fmt.Sprintf("deploying %d tables", c.plan.Work())
	if err := w.status(ctx, j, githubstatus.StatePending); err != nil {
		return err
	}

	runner, err := deployments.NewRunner(w.target.Client, deployments.TreeLoader(c.head.tree, c.head.inv),
		append([]deployments.Option{deployments.WithCommit(deploymentID(j)), deployments.WithLogger(log),
			deployments.WithMaxParallel(w.cfg.MaxParallel)}, w.target.Runner...)...)
	if err != nil {
		return permanent(err)
	}
	result, err := runner.Run(ctx, c.plan)
	if result == nil {
		if ctx.Err() != nil {
			return err
		}
		// The plan or the options were refused before anything ran.
		return permanent(err)
	}
	j.Results = results(result)
	if err != nil {
		// Cancelled (the worker stops), or what runs could not be read back
		// after the run: hand the job back; the next delivery plans what is
		// left and checks again.
		return err
	}
	if result.Failed() {
		j.Status = jobs.StatusFailed
		j.Error = failures(result)
		j.Summary = failureSummary(result)
		log.Warn("deploy failed", zap.String("error", j.Error))
		return w.status(ctx, j, githubstatus.StateFailure)
	}
	if err := w.q.SetDeployedCommit(ctx, j.Repo, branch, j.After); err != nil {
		return err
	}
	dropped := c.dropped()
	j.Summary = fmt.Sprintf("%d tables deployed", result.Totals.Succeeded-dropped)
	if n := unchanged(c); n > 0 {
		j.Summary += fmt.Sprintf(", %d running unchanged", n)
	}
	if dropped > 0 {
		j.Summary += fmt.Sprintf(", %d deleted and dropped", dropped)
	}
	if n := len(c.kept()); n > 0 && !w.cfg.Prune {
		j.Summary += fmt.Sprintf(", %d deleted (not dropped)", n)
	}
	j.Summary += "; verified"
	if isHeal(j) {
		if err := w.healed(ctx, j, c, log); err != nil {
			return err
		}
	}
	return w.status(ctx, j, githubstatus.StateSuccess)
}

// optional fetches a commit the job can do without, and reports whether
// the mirror holds it: a commit rewritten away by a force push is no error,
// only one base less. The returned repository holds it when there is.
func (w *Worker) optional(ctx context.Context, repo *gitrepo.Repo, j *jobs.Job, sha string, log *zap.Logger) (*gitrepo.Repo, bool, error) {
	r, err := w.git.Fetch(ctx, j.CloneURL, sha)
	switch {
	case errors.Is(err, gitrepo.ErrCommitNotFound):
		log.Warn("commit gone from the repository (force push?); doing without it", zap.String("commit", sha))
		return repo, false, nil
	case err != nil:
		return nil, false, err
	}
	return r, true, nil
}

// replayBase is the base of a replay of the deployed commit: the push's
// before, whose diff says which tables --force or --dml-only redo. When it
// is gone, a plain replay compares the whole tree with what runs; the
// others cannot tell which tables the push changed, and are refused.
func (w *Worker) replayBase(ctx context.Context, repo *gitrepo.Repo, j *jobs.Job, log *zap.Logger) (*gitrepo.Repo, string, error) {
	if isZero(j.Before) {
		return repo, "", nil
	}
	r, ok, err := w.optional(ctx, repo, j, j.Before, log)
	switch {
	case err != nil:
		return nil, "", err
	case ok:
		return r, j.Before, nil
	case j.Options.Force || j.Options.DMLOnly:
		return nil, "", permanent(fmt.Errorf("the push's before commit %s is gone (force push): which tables it changed is unknown, so --force and --dml-only cannot redo them; deploy the tables by name", short(j.Before)))
	}
	return repo, "", nil
}

// hold takes the lock named key and keeps it while the job runs: the
// returned context ends if the lock is lost, and release lets it go.
func (w *Worker) hold(ctx context.Context, key string, log *zap.Logger) (context.Context, func(), error) {
	lock, err := w.lock(ctx, key)
	if err != nil {
		return nil, nil, err
	}
	ctx, stopRefresh := w.keepLock(ctx, lock, log)
	return ctx, func() {
		stopRefresh()
		_ = lock.Release(context.Background())
	}, nil
}

// lock takes a lock (a repository's deploy lock, a pull request's plan
// lock), waiting for another worker's job to finish rather than spending the
// job's deliveries on retries.
func (w *Worker) lock(ctx context.Context, key string) (*jobs.Lock, error) {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.LockWait)
	defer cancel()
	for {
		lock, err := w.q.Lock(ctx, key, w.cfg.LockTTL)
		if !errors.Is(err, jobs.ErrLocked) {
			return lock, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("lock %s: %w", key, err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// status posts the job's summary as the commit status of the deploy.
func (w *Worker) status(ctx context.Context, j *jobs.Job, state githubstatus.State) error {
	return w.post(ctx, j, state, githubstatus.DefaultContext)
}

// post sets a commit status in statusContext with the job's summary.
func (w *Worker) post(ctx context.Context, j *jobs.Job, state githubstatus.State, statusContext string) error {
	err := w.gh.SetStatus(ctx, githubstatus.Status{Repo: j.Repo, SHA: j.After, State: state, Context: statusContext, Description: j.Summary})
	if err != nil && !errors.Is(err, context.Canceled) {
		// A status GitHub did not take is no reason to run the job again.
		w.log.Warn("commit status not posted", zap.String("job_id", j.ID), zap.String("context", statusContext), zap.Error(err))
	}
	return nil
}

// deploymentID names the deployment in the statements' commit label: the
// runner takes a statement carrying it and the step's fingerprint for the
// progress of an earlier attempt of the same deployment, and resumes after
// it. A forced job redoes what runs already, maybe what the push's own job
// deployed with the same SQL: it is a deployment of its own, named after the
// job too (still stable across the job's redeliveries, which resume it).
func deploymentID(j *jobs.Job) string {
	if !j.Options.Force {
		return j.After
	}
	const shaPrefix = 12 // with the job's 26-character id, within a label's 63
	return j.After[:min(len(j.After), shaPrefix)] + "." + j.ID
}

// rerun reports whether an operator asked for the job: a replay, or a job
// with deploy options. Unlike a duplicate push, it runs even when its commit
// is the deployed one.
func rerun(j *jobs.Job) bool {
	return j.ReplayOf != "" || j.Options.Force || j.Options.DMLOnly
}

func nonZero(shas ...string) []string {
	var out []string
	for _, s := range shas {
		if !isZero(s) {
			out = append(out, s)
		}
	}
	return out
}

// dropped counts the deleted tables the plan drops.
func (c *change) dropped() int {
	n := 0
	for _, a := range c.plan.Actions {
		if a.Kind == planner.Drop {
			n++
		}
	}
	return n
}

// unchanged counts the plan's tables left alone because they run, external
// topics aside.
func unchanged(c *change) int {
	n := 0
	for _, a := range c.plan.Actions {
		if t := c.head.inv.Tables[a.Table]; a.Kind == planner.Skip && t != nil && !t.External() {
			n++
		}
	}
	return n
}

func results(r *deployments.Result) []jobs.TableResult {
	var out []jobs.TableResult
	for _, a := range r.Actions {
		if a.Status == deployments.StatusSkipped {
			continue
		}
		out = append(out, jobs.TableResult{Table: a.Table, Action: string(a.Action), Status: string(a.Status),
			Phase: string(a.FinalPhase), Duration: a.Duration.String(), Error: a.Error})
	}
	return out
}

// failures names every table that failed or is not in sync after the run,
// with why.
func failures(r *deployments.Result) string {
	var out []string
	for _, a := range r.Actions {
		if a.Status == deployments.StatusFailed {
			out = append(out, a.Table+": "+a.Error)
		}
	}
	for _, s := range r.OutOfSync {
		if !slices.ContainsFunc(r.Actions, func(a deployments.ActionResult) bool {
			return a.Table == s.Table && a.Status == deployments.StatusFailed
		}) {
			out = append(out, s.String())
		}
	}
	return strings.Join(out, "; ")
}

// failureSummary is the one line of a failed deploy's commit status: the
// counts, then the first tables not in sync.
func failureSummary(r *deployments.Result) string {
	s := fmt.Sprintf("%d failed, %d blocked, %d deployed", r.Totals.Failed, r.Totals.Blocked, r.Totals.Succeeded)
	if n := len(r.OutOfSync); n > 0 {
		var names []string
		for _, t := range r.OutOfSync[:min(n, 3)] {
			names = append(names, t.Table+" "+string(t.State))
		}
		s += fmt.Sprintf("; %d not in sync: %s", n, strings.Join(names, ", "))
		if n > 3 {
			s += ", …"
		}
	}
	return s
}
