package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// Publisher queues jobs. The webhook depends on this alone.
type Publisher interface {
	// Publish queues job durably and returns once JetStream has stored it;
	// see [Queue.Publish].
	Publish(ctx context.Context, job *Job) error
}

var _ Publisher = (*Queue)(nil)

// Publish fills job's ID (a ULID), CreatedAt and Version when empty, sets
// it queued, takes the credentials out of its CloneURL, and returns once JetStream has stored the message and the
// record: only then may the webhook answer 2xx. It returns an error wrapping
// [ErrInvalidJob] for a job that cannot run, and a [*DuplicateError] when
// the delivery id was seen before, or a push's commit has a deploy job
// queued or running already: then nothing new is queued and job holds the
// existing record. Any other error means the job may not be queued; a
// retry with the same delivery id is safe.
//
// Deduplication has three layers: the KV index delivery.<id> -> job id,
// kept forever; for a push's deploy job, the index of its commit (see
// [Queue.CommitJob]), so that the webhook and the reconciler make one job
// of a commit while it is queued or running; and the stream's duplicate
// window on the Nats-Msg-Id header (the job id) for two publishes racing,
// or a retry after a publish whose outcome was lost.
// The record is written after the message is stored, so a record exists
// only for a queued job; a worker that sees the message first writes it.
func (q *Queue) Publish(ctx context.Context, job *Job) error {
	now := time.Now().UTC()
	if job.Version == 0 {
		job.Version = Version
	}
	if job.ID == "" {
		job.ID = newID(now)
	}
	if job.CreatedAt.IsZero() {
		job.CreatedAt = now
	}
	job.Status = StatusQueued
	job.stripCredentials()
	if err := job.Validate(); err != nil {
		return err
	}
	fresh, err := q.claimDelivery(ctx, job)
	if err != nil {
		return err
	}
	if !fresh {
		existing, err := q.Get(ctx, job.ID)
		if err == nil {
			*job = *existing
			return &DuplicateError{DeliveryID: job.DeliveryID, JobID: job.ID}
		}
		if !errors.Is(err, ErrNotFound) {
			return err
		}
		// Claimed but never recorded: the first publish failed, or is still
		// on its way; the message id settles which one stores the message.
	}
	if key := job.activeKey(); key != "" {
		claimed := job.ID
		holder, err := q.claimActive(ctx, key, job)
		if err != nil {
			return err
		}
		if holder != nil {
			job.ID = holder.ID
		}
		if job.ID != claimed {
			// This delivery is the other job's from now on: a redelivery
			// of it finds that job.
			if _, err := q.records.Put(ctx, deliveryKey(job.DeliveryID), []byte(job.ID)); err != nil {
				return fmt.Errorf("index delivery %s: %w", job.DeliveryID, err)
			}
		}
		if holder != nil {
			delivery := job.DeliveryID
			*job = *holder
			return &DuplicateError{DeliveryID: delivery, JobID: job.ID}
		}
	}
	data, err := json.Marshal(job)
	if err != nil {
		return fmt.Errorf("encode job %s: %w", job.ID, err)
	}
	// The job id is the message id: the delivery index and the commit
	// index settle it, so two publishes of one job (two deliveries of a
	// webhook, or the webhook and the reconciler on one commit) send one
	// message.
	ack, err := q.js.Publish(ctx, q.subject(job.Kind), data, jetstream.WithMsgID(job.ID))
	if err != nil {
		return fmt.Errorf("publish job %s: %w", job.ID, err)
	}
	rev, err := q.records.Create(ctx, jobKey(job.ID), data)
	switch {
	case err == nil:
		job.revision = rev
	case !errors.Is(err, jetstream.ErrKeyExists): // else a worker got there first
		return fmt.Errorf("store job %s: %w", job.ID, err)
	}
	if ack.Duplicate {
		return &DuplicateError{DeliveryID: job.DeliveryID, JobID: job.ID}
	}
	q.log.Info("job queued", zap.String("job_id", job.ID), zap.String("delivery_id", job.DeliveryID),
		zap.String("repo", job.Repo), zap.String("kind", string(job.Kind)), zap.String("after", job.After))
	return nil
}

// claimDelivery indexes job's delivery id to its id and reports whether it
// did so first; if not, job.ID becomes the id the index holds.
func (q *Queue) claimDelivery(ctx context.Context, job *Job) (fresh bool, err error) {
	key := deliveryKey(job.DeliveryID)
	_, err = q.records.Create(ctx, key, []byte(job.ID))
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return false, fmt.Errorf("index delivery %s: %w", job.DeliveryID, err)
	}
	e, err := q.records.Get(ctx, key)
	if err != nil {
		return false, fmt.Errorf("read delivery %s: %w", job.DeliveryID, err)
	}
	job.ID = string(e.Value())
	return false, nil
}
