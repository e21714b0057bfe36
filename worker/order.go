package worker

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/gitrepo"
	"github.com/shiftleft/shiftleft/internal/backoff"
	"github.com/shiftleft/shiftleft/jobs"
)

// Deploys of one repository to one environment are ordered by two rules:
//
//  1. One at a time: a deploy holds the repository's lock while it runs and
//     stops when it loses it (keepLock).
//  2. Only the branch's tip: once it holds the lock, a deploy job asks the
//     repository where its branch is now, and deploys its commit only if
//     the branch is still there (supersededByTip). Otherwise the branch has
//     moved on (a newer push, which GitHub reports as a push of its own, is
//     on its way or deployed) or was force-pushed elsewhere; either way the
//     job is superseded.
//
// Together they make the deployed commits a sequence of the branch's tips
// in the order the deploys ran, whatever the order the jobs arrive in, and
// whatever the record of the deployed commit says: a deploy whose record
// was lost (an election of the bucket's leader as it was written) is
// retried, and a job for an older commit that comes back after an outage
// finds the branch moved on. A deliberate rollback, the branch
// force-pushed to an older commit, deploys: that commit is the tip then. A
// replay (`jobs replay`) runs only for the branch's tip for the same
// reason.

// supersededByTip reports whether job j, a push of branch, is superseded:
// its commit is no longer the branch's tip. It then sets the job's status
// and summary.
func (w *Worker) supersededByTip(ctx context.Context, j *jobs.Job, branch string, log *zap.Logger) (bool, error) {
	tip, err := w.git.Tip(ctx, j.CloneURL, branch)
	if errors.Is(err, gitrepo.ErrBranchNotFound) {
		j.Status, j.Summary = jobs.StatusSuperseded, "superseded: branch "+branch+" no longer exists"
		log.Info("job superseded: the branch is gone")
		return true, nil
	}
	if err != nil {
		return false, err
	}
	if tip == j.After {
		return false, nil
	}
	j.Status, j.Summary = jobs.StatusSuperseded, "superseded: "+branch+" is at "+short(tip)+" now"
	log.Info("job superseded: the branch moved", zap.String("tip", tip))
	return true, nil
}

// A failed lock refresh is retried after a wait growing from lockRetryMin
// to a tenth of the lock's TTL.
const lockRetryMin = 100 * time.Millisecond

// keepLock refreshes the lock every third of its TTL while the job runs.
// Losing the lock (another worker may hold it now) cancels the job at once.
// A refresh that fails otherwise (JetStream timing out while the locks
// bucket elects a leader) is retried, as long as the TTL has not run out
// since the last refresh that worked, less a tenth of it: after that the
// lock may have expired, and the job is cancelled too.
func (w *Worker) keepLock(ctx context.Context, lock *jobs.Lock, log *zap.Logger) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	ttl := w.cfg.LockTTL
	go func() {
		held := time.Now().Add(ttl - ttl/10) // until when the lock is surely ours
		wait, failures := ttl/3, 0
		for {
			select {
			case <-done:
				return
			case <-time.After(wait):
			}
			sent := time.Now()
			// One attempt (a publish buffered while the connection is
			// re-established waits its whole timeout) leaves time for others.
			rctx, rcancel := context.WithTimeout(ctx, min(time.Until(held), ttl/10))
			err := lock.Refresh(rctx)
			rcancel()
			switch {
			case ctx.Err() != nil:
				return
			case err == nil:
				if failures > 0 {
					log.Info("lock refreshed again", zap.String("lock", lock.Key()), zap.Int("failed_refreshes", failures))
				}
				held, wait, failures = sent.Add(ttl-ttl/10), ttl/3, 0
			case errors.Is(err, jobs.ErrLockLost):
				log.Error("lock lost; stopping", zap.String("lock", lock.Key()), zap.Error(err))
				cancel()
				return
			case !time.Now().Before(held):
				log.Error("lock not refreshed within its TTL; stopping, as another worker may take it",
					zap.String("lock", lock.Key()), zap.Int("failed_refreshes", failures+1), zap.Error(err))
				cancel()
				return
			default:
				if failures == 0 {
					log.Warn("lock refresh failed; retrying within its TTL", zap.String("lock", lock.Key()), zap.Error(err))
				}
				failures++
				wait = min(backoff.Jitter(lockRetryMin, ttl/10, failures), time.Until(held))
			}
		}
	}()
	return ctx, func() { close(done); cancel() }
}
