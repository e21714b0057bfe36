package worker

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/githubstatus"
	"github.com/shiftleft/shiftleft/gitrepo"
	"github.com/shiftleft/shiftleft/jobs"
	"github.com/shiftleft/shiftleft/planner"
)

// plan runs a pull request job: what merging it would redeploy, against
// what runs now, in the pull request's one comment. Nothing is deployed.
func (w *Worker) plan(ctx context.Context, j *jobs.Job, log *zap.Logger) error {
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
		// The pull request breaks the pipelines: say so on it.
		report.Warnings = append(report.Warnings, err.Error())
		j.Summary = "the pipelines do not build: " + err.Error()
		if _, cerr := w.gh.UpsertComment(ctx, githubstatus.Comment{Repo: j.Repo, PullRequest: j.PullRequest, Body: githubstatus.RenderPlanComment(report)}); cerr != nil {
			return cerr
		}
		return err
	case err != nil:
		return err
	}
	j.Plan = planned(c)
	var impacted []string
	for _, a := range c.plan.Actions {
		if a.Kind == planner.Skip {
			continue
		}
		if a.Kind != planner.Drop {
			// Dropped tables are no longer in the graph.
			impacted = append(impacted, a.Table)
		}
		report.Rows = append(report.Rows, githubstatus.PlanRow{Table: a.Table, Action: a.Kind, Reason: a.Reason, Product: a.Product})
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
	if _, err := w.gh.UpsertComment(ctx, githubstatus.Comment{Repo: j.Repo, PullRequest: j.PullRequest,
		Body: githubstatus.RenderPlanComment(report)}); err != nil {
		return err
	}
	j.Summary = fmt.Sprintf("plan: %d tables would change", len(report.Rows))
	log.Info("plan posted", zap.Int("tables", len(report.Rows)))
	return nil
}
