package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// The consumer keeps the record in step with the message: it writes the
// record first and settles the message after, so a record that cannot be
// written leaves the job to run again rather than be lost. Record calls use
// context.Background(): jetstream bounds a call without deadline by its
// default timeout (5 s), and the handler's ctx may be cancelled by then.

// start reads the message's job and marks its record running, or settles
// the message itself and returns nil when no handler should run.
func (c *Consumer) start(msg jetstream.Msg, cancel context.CancelFunc) *Delivery {
	ctx := context.Background()
	meta, err := msg.Metadata()
	if err != nil {
		c.log.Error("job message without JetStream metadata", zap.Error(err))
		c.settleMsg(msg.TermWithReason(err.Error()))
		return nil
	}
	delivered := int(meta.NumDelivered)
	msgJob, err := decodeJob(msg.Data())
	if err != nil {
		// Its record, if any, is no more readable than the message.
		c.log.Error("job message cannot run; terminated", zap.Uint64("stream_seq", meta.Sequence.Stream), zap.Error(err))
		c.settleMsg(msg.TermWithReason(err.Error()))
		return nil
	}
	log := c.log.With(zap.String("job_id", msgJob.ID), zap.String("delivery_id", msgJob.DeliveryID),
		zap.String("repo", msgJob.Repo), zap.String("after", msgJob.After), zap.Int("delivery", delivered))
	job, err := c.q.Get(ctx, msgJob.ID)
	if errors.Is(err, ErrNotFound) { // the publisher has not written it yet, or died first
		job = msgJob
		job.revision, err = c.q.records.Create(ctx, jobKey(job.ID), msg.Data())
		if errors.Is(err, jetstream.ErrKeyExists) {
			// The publisher wrote it meanwhile, or the read came from a
			// replica behind its leader (a replicated bucket answers reads
			// from any).
			job, err = c.q.Get(ctx, msgJob.ID)
		}
	}
	switch {
	case errors.Is(err, ErrInvalidJob):
		log.Error("job record cannot run; terminated", zap.Error(err))
		c.settleMsg(msg.TermWithReason(err.Error()))
		return nil
	case err != nil:
		// JetStream cannot answer (a leader election, an outage): the job
		// did not run, and this delivery does not count as one of its runs.
		log.Warn("cannot read the job record; trying again soon", zap.Error(err))
		c.settleMsg(msg.NakWithDelay(recordRetry))
		return nil
	}
	if job.Status.Finished() {
		// A second message for a finished job: a lost ack, or a publish
		// retried after the duplicate window.
		log.Info("job already finished; message dropped", zap.String("status", string(job.Status)))
		c.settleMsg(msg.Ack())
		return nil
	}
	if job.Attempts >= c.q.opts.maxDeliver {
		err := fmt.Errorf("no outcome after %d runs: its worker stopped each time", c.q.opts.maxDeliver)
		if job.Reading != "" {
			err = fmt.Errorf("%w, the last time while reading %s", err, job.Reading)
		}
		now := time.Now().UTC()
		job.Status, job.Error, job.FinishedAt = StatusDead, err.Error(), &now
		if uerr := c.q.Update(ctx, job); uerr != nil {
			// Terminated all the same: the server delivers it no more.
			log.Error("cannot mark the job dead", zap.Error(uerr))
		}
		log.Error("job dead", zap.Error(err))
		c.settleMsg(msg.TermWithReason(err.Error()))
		c.q.opts.outcome(*job)
		return nil
	}
	now := time.Now().UTC()
	job.Status, job.Attempts = StatusRunning, job.Attempts+1
	if job.StartedAt == nil {
		job.StartedAt = &now
	}
	if err := c.q.Update(ctx, job); err != nil {
		log.Warn("cannot mark the job running; trying again soon", zap.Error(err))
		c.settleMsg(msg.NakWithDelay(recordRetry))
		return nil
	}
	log.Info("job started", zap.Int("run", job.Attempts))
	return &Delivery{Job: job, Attempt: job.Attempts, id: job.ID, msg: msg, ackWait: c.q.opts.ackWait,
		log: log, cancel: cancel, finished: make(chan struct{})}
}

// finish records the handler's outcome and settles the message (see
// [Handler]).
func (c *Consumer) finish(d *Delivery, err error) {
	job, now := d.Job, time.Now().UTC()
	var settle func() error
	switch {
	case err == nil:
		if !job.Status.Finished() {
			job.Status, job.Error = StatusSucceeded, ""
		}
		settle = d.msg.Ack
	case errors.Is(err, ErrInvalidJob):
		job.Status, job.Error = StatusFailed, err.Error()
		settle = func() error { return d.msg.TermWithReason(err.Error()) }
	case d.Attempt >= c.q.opts.maxDeliver:
		job.Status, job.Error = StatusDead, err.Error()
		settle = func() error { return d.msg.TermWithReason("dead: " + err.Error()) }
	default:
		delay := c.q.retryDelay(d.Attempt)
		job.Status, job.Error = StatusQueued, err.Error()
		settle = func() error { return d.msg.NakWithDelay(delay) }
		d.log.Warn("job failed; retrying", zap.Duration("in", delay), zap.Error(err))
	}
	if job.Status.Finished() {
		job.FinishedAt = &now
	}
	if uerr := c.q.Update(context.Background(), job); uerr != nil {
		if errors.Is(uerr, ErrConflict) {
			// Another delivery owns the job now (this one outlived its ack
			// wait): its message is not ours to settle.
			d.log.Warn("job taken over by another worker; outcome dropped", zap.Error(err))
			return
		}
		d.log.Error("cannot record the job's outcome; it will run again", zap.Error(uerr))
		c.settleMsg(d.msg.NakWithDelay(c.q.retryDelay(d.Attempt)))
		return
	}
	d.log.Info("job "+string(job.Status), zap.Error(err))
	c.settleMsg(settle())
	c.q.opts.outcome(*job)
}

// handBack returns a running job to the queue at once, for another worker.
// The handler may still be writing d.Job, so a fresh copy of the record is
// marked queued; the handler's own later writes then fail with ErrConflict.
func (c *Consumer) handBack(d *Delivery) {
	d.cancel()
	ctx := context.Background()
	if job, err := c.q.Get(ctx, d.id); err != nil {
		d.log.Warn("hand back: cannot read the job record", zap.Error(err))
	} else if !job.Status.Finished() {
		job.Status, job.Error = StatusQueued, "handed back: its worker stopped"
		if err := c.q.Update(ctx, job); err != nil {
			d.log.Warn("hand back: cannot mark the job queued", zap.Error(err))
		}
	}
	d.log.Info("job handed back")
	c.settleMsg(d.msg.Nak())
}

func (c *Consumer) settleMsg(err error) {
	if err != nil {
		c.log.Warn("settle job message", zap.Error(err))
	}
}

// recordRetry is the wait before a job whose record JetStream could not
// read or write is delivered again: not a run of the job, so not its
// backoff.
const recordRetry = 2 * time.Second

// retryDelay is the wait before the retry that follows run attempt.
func (q *Queue) retryDelay(attempt int) time.Duration {
	return q.opts.backoff[min(attempt, len(q.opts.backoff))-1]
}
