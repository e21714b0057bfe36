package worker

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/githubstatus"
	"github.com/shiftleft/shiftleft/gitrepo"
	"github.com/shiftleft/shiftleft/inventory"
	"github.com/shiftleft/shiftleft/jobs"
	"github.com/shiftleft/shiftleft/planner"
)

// plan runs a pull request job: what merging it would redeploy, against
// what runs now, in the pull request's one comment. Nothing is deployed.
//
// The plan jobs of one pull request run one at a time (a lock per repository
// and pull request): two at once could both find no comment and create one
// each. Under the lock, a job posts only if its head is still the pull
// request's head, as GitHub answers it: the jobs of two pushes may run in
// any order, and the older one finishing last must not overwrite the newer
// plan. GitHub is asked rather than the comment read back because only it
// knows the head after a force push, and a replay of an old plan job is
// stale too; when it cannot say (no token), the job posts.
func (w *Worker) plan(ctx context.Context, j *jobs.Job, log *zap.Logger) error {
	ctx, release, err := w.hold(ctx, "plan:"+j.Repo+"#"+strconv.Itoa(j.PullRequest), log)
	if err != nil {
		return err
	}
	defer release()

	repo, err := w.git.Fetch(ctx, j.CloneURL, nonZero(j.Before, j.After)...)
	if errors.Is(err, gitrepo.ErrCommitNotFound) {
		return permanent(err)
	}
	if err != nil {
		return err
	}
	// The pull request's own changes, as GitHub shows them: from where it
	// left its base branch, not from where that branch is now.
	base := j.Before
	if mb, ok, err := repo.MergeBase(j.Before, j.After); err != nil {
		log.Warn("no merge base; diffing with the base branch's head", zap.Error(err))
	} else if ok {
		base = mb
	}
	report := githubstatus.PlanReport{Repo: j.Repo, PullRequest: j.PullRequest, BaseSHA: base, HeadSHA: j.After, JobID: j.ID}
	c, err := w.planChange(ctx, repo, base, j.After, j.Options)
	switch {
	case errors.Is(err, jobs.ErrInvalidJob):
		// The pull request breaks the pipelines: say so on it, file by
		// file, and fail its check.
		report.Errors = buildErrors(err)
		if stale, perr := w.postPlan(ctx, j, report, log); perr != nil || stale {
			return perr
		}
		j.Summary = fmt.Sprintf("the pipelines do not build: %d %s, first %s", len(report.Errors),
			plural(len(report.Errors), "error", "errors"), report.Errors[0])
		_ = w.planStatus(ctx, j, githubstatus.StateFailure)
		return err
	case err != nil:
		return err
	}
	j.Plan = planned(c)
	var impacted []string
	for _, a := range c.plan.Actions {
		// Skipped tables are rows too: the comment folds them under
		// "Unchanged tables" and counts them in its summary.
		report.Rows = append(report.Rows, githubstatus.PlanRow{Table: a.Table, Action: a.Kind, Reason: a.Reason, Product: a.Product,
			Consequence: a.Consequence})
		if a.Kind != planner.Skip && a.Kind != planner.Drop {
			// Dropped tables are no longer in the graph.
			impacted = append(impacted, a.Table)
		}
	}
	if len(impacted) > 0 {
		if r, err := c.graph.Impact("change", impacted); err == nil {
			report.Graph = r.Mermaid()
		}
	}
	for _, n := range c.kept() {
		report.Warnings = append(report.Warnings, fmt.Sprintf("table %s is deleted: %s", n, c.keptReason(n)))
	}
	for _, wn := range c.head.warnings {
		report.Warnings = append(report.Warnings, wn.String())
	}
	if c.refused != nil {
		report.Refused = c.refused.Error()
	}
	v, err := w.validate(ctx, c)
	if err != nil {
		return err
	}
	validationReport(&report, v)
	j.Plan = append(j.Plan, unknownTables(v)...)
	if stale, err := w.postPlan(ctx, j, report, log); err != nil || stale {
		return err
	}
	if c.refused != nil {
		j.Summary = "merging would not deploy: " + c.refused.Error()
		return w.planStatus(ctx, j, githubstatus.StateFailure)
	}
	work := c.plan.Work()
	j.Summary = fmt.Sprintf("plan: %d tables would change", work)
	if v != nil && v.Invalid() > 0 {
		// Flink rejects the pull request's SQL: its check fails, as for a
		// tree that does not build.
		j.Summary += "; " + invalidSummary(v)
		log.Info("plan posted; statements invalid", zap.Int("tables", work), zap.Int("invalid", v.Invalid()))
		_ = w.planStatus(ctx, j, githubstatus.StateFailure)
		return permanent(errors.New(j.Summary))
	}
	log.Info("plan posted", zap.Int("tables", work))
	return w.planStatus(ctx, j, githubstatus.StateSuccess)
}

// PlanContext is the commit status context of plan jobs, beside the
// deploy's: a pull request whose pipelines do not build fails this check.
const PlanContext = "shiftleft/plan"

// planStatus posts the plan job's summary as its head's plan status.
func (w *Worker) planStatus(ctx context.Context, j *jobs.Job, state githubstatus.State) error {
	return w.post(ctx, j, state, PlanContext)
}

// buildErrors splits why a tree does not build into one line per broken
// file, each naming the file, its table and the line where it is known; an
// error about no file in particular (a cycle) is one line.
func buildErrors(err error) []string {
	var out []string
	var walk func(error)
	walk = func(err error) {
		if fe, ok := err.(*inventory.FileError); ok {
			out = append(out, fe.Error())
			return
		}
		switch e := err.(type) {
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	if len(out) == 0 {
		out = []string{strings.TrimPrefix(err.Error(), jobs.ErrInvalidJob.Error()+": ")}
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// postPlan puts the report in the pull request's comment, unless the pull
// request has moved on to another head: then the job is marked superseded
// and stale is true. The caller holds the pull request's plan lock.
func (w *Worker) postPlan(ctx context.Context, j *jobs.Job, report githubstatus.PlanReport, log *zap.Logger) (stale bool, err error) {
	head, err := w.gh.PullRequestHead(ctx, j.Repo, j.PullRequest)
	if err != nil {
		// Not knowing is no reason to withhold the plan: at worst an older
		// plan shows until the next push.
		log.Warn("pull request head unknown; posting the plan", zap.Error(err))
	} else if head != "" && head != j.After {
		j.Status, j.Summary = jobs.StatusSuperseded, "superseded: the pull request's head is now "+short(head)
		log.Info("plan superseded; comment left alone", zap.String("head", head))
		return true, nil
	}
	_, err = w.gh.UpsertComment(ctx, githubstatus.Comment{Repo: j.Repo, PullRequest: j.PullRequest,
		Body: githubstatus.RenderPlanComment(report)})
	return false, err
}
