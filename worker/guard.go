package worker

import (
	"context"
	"fmt"
	"io/fs"

	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/inventory"
	"github.com/shiftleft/shiftleft/jobs"
)

// A job reads every SQL file of two commits, files anyone could push. The
// walker's limits keep any of them from overflowing a stack, and
// inventory.Build turns a panic while reading one into an error naming it,
// so broken SQL fails the job and the service stays up. Two things remain,
// guarded here: a panic elsewhere while parsing or planning fails the job
// (recovered, a bug that would recur on every retry); and a file that
// still kills the process (out of memory; Go recovers neither that nor a
// stack overflow) must not make the job die unnamed after its retries. So
// the job record says what is being read: the pipelines of a commit, in
// two writes per commit; after a delivery stopped while reading them, the
// next reads the files one at a time and records each before reading it,
// so that the dead job names the last file its worker was reading.

// deliveryKey carries a *reading in a job handler's ctx, down to the
// inventory builds (snapshotAt).
type deliveryKey struct{}

// reading is a delivery's inventory stage.
type reading struct {
	d *jobs.Delivery
	// oneByOne is set when the job record still says what the last
	// delivery was reading: it stopped there. It holds for every commit this
	// delivery reads, the file being in any of them.
	oneByOne bool
}

func withDelivery(ctx context.Context, d *jobs.Delivery) context.Context {
	return context.WithValue(ctx, deliveryKey{}, &reading{d: d, oneByOne: d.Job.Reading != ""})
}

// build is inventory.Build of a commit's tree, with what it reads recorded
// in the job record of ctx's delivery, if any. The record only helps to
// name a file that kills its workers: a failure to write it is logged and
// ends the recording, not the build.
func (w *Worker) build(ctx context.Context, tree fs.FS, root, sha string) (*inventory.Inventory, []inventory.Warning, error) {
	// The cache holds only what was read whole before, by this process or
	// one whose store it shares: a file that kills its reader is never in
	// it, and read one at a time it is still named.
	opts := inventory.Options{Root: root, Cache: w.cfg.Inventories}
	r, _ := ctx.Value(deliveryKey{}).(*reading)
	if r == nil {
		return inventory.Build(tree, opts)
	}
	j, failed := r.d.Job, false
	record := func(reading string) {
		j.Reading = reading
		if failed {
			return
		}
		if err := w.q.Update(ctx, j); err != nil {
			failed = true
			w.log.Warn("cannot record what the job reads", zap.String("job_id", j.ID), zap.Error(err))
		}
	}
	if r.oneByOne {
		w.log.Warn("the last delivery stopped while reading the pipelines; reading one file at a time",
			zap.String("job_id", j.ID), zap.String("sha", sha), zap.String("reading", j.Reading))
		opts.Workers, opts.BeforeRead = 1, record
	} else {
		record("the pipelines at " + short(sha))
	}
	inv, warnings, err := inventory.Build(tree, opts)
	record("")
	return inv, warnings, err
}

// recoverPlan, deferred, turns a panic while a job parses and plans into an
// error that fails the job.
func (w *Worker) recoverPlan(err *error) {
	if r := recover(); r != nil {
		w.log.Error("parsing or planning panicked", zap.Any("panic", r), zap.Stack("stack"))
		*err = permanent(fmt.Errorf("internal error while parsing or planning (a bug in shiftleft; please report it): %v", r))
	}
}
