package worker

import (
	"context"
	"errors"
	"fmt"

	"github.com/shiftleft/shiftleft/deployments"
	"github.com/shiftleft/shiftleft/gitrepo"
	"github.com/shiftleft/shiftleft/planner"
)

// Desired is what the pipelines of commit sha of the repository at
// cloneURL want deployed, built as a deploy job builds it (the deployed
// commit's inventory is in the worker's cache: a lookup). The reconciler
// compares it with [Worker.Live] for drift.
func (w *Worker) Desired(ctx context.Context, cloneURL, sha string) ([]planner.Desired, error) {
	repo, err := w.git.Fetch(ctx, cloneURL, sha)
	if errors.Is(err, gitrepo.ErrCommitNotFound) {
		return nil, fmt.Errorf("deployed commit %s: %w", short(sha), err)
	}
	if err != nil {
		return nil, err
	}
	snap, err := w.snapshotAt(ctx, repo, sha)
	if err != nil {
		return nil, err
	}
	return planner.DesiredState(snap.inv, w.target.Plan.Naming), nil
}

// Live reads what runs in the worker's environment.
func (w *Worker) Live(ctx context.Context) (planner.Live, error) {
	return deployments.ReadLive(ctx, w.target.Client)
}

// Environment names the worker's environment.
func (w *Worker) Environment() string { return w.target.Environment }
