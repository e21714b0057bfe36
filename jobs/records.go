package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Filter selects jobs for [Queue.List]; zero fields match everything.
type Filter struct {
	Repo   string
	Kind   Kind
	Status Status
	Source Source
	// Limit caps the number of jobs returned; 0 returns them all.
	Limit int
}

func (f Filter) match(j *Job) bool {
	return (f.Repo == "" || f.Repo == j.Repo) &&
		(f.Kind == "" || f.Kind == j.Kind) &&
		(f.Status == "" || f.Status == j.Status) &&
		(f.Source == "" || f.Source == j.Source)
}

// Get returns the record of job id, or an error wrapping [ErrNotFound].
func (q *Queue) Get(ctx context.Context, id string) (*Job, error) {
	if id == "" {
		return nil, invalidArgument("empty job id")
	}
	e, err := q.records.Get(ctx, jobKey(id))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("get job %s: %w", id, err)
	}
	job, err := decodeJob(e.Value())
	if err != nil {
		return nil, err
	}
	job.revision = e.Revision()
	return job, nil
}

// List returns the jobs matching f, newest first. Ids sort by creation time,
// so it reads records newest first and stops at f.Limit.
func (q *Queue) List(ctx context.Context, f Filter) ([]*Job, error) {
	if f.Limit < 0 {
		return nil, invalidArgument("negative limit %d", f.Limit)
	}
	ids, err := q.jobIDs(ctx)
	if err != nil {
		return nil, err
	}
	slices.Sort(ids)
	slices.Reverse(ids)
	var out []*Job
	for _, id := range ids {
		job, err := q.Get(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue // deleted since the listing
		}
		if err != nil {
			return nil, err
		}
		if f.match(job) {
			out = append(out, job)
			if len(out) == f.Limit {
				break
			}
		}
	}
	return out, nil
}

// listTimeout bounds the key listing when ctx has no deadline: unlike the
// jetstream calls, a KV watch has no default timeout and would wait forever
// for a server that is down.
const listTimeout = 30 * time.Second

func (q *Queue) jobIDs(ctx context.Context) ([]string, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, listTimeout)
		defer cancel()
	}
	lister, err := q.records.ListKeysFiltered(ctx, jobKeyPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	var ids []string
	for k := range lister.Keys() {
		ids = append(ids, strings.TrimPrefix(k, jobKeyPrefix))
	}
	// The lister closes its channel early, without an error, when ctx ends.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return ids, nil
}

// Update writes job's record if it has not changed since job was read
// (from Get, List, Publish or a Delivery): otherwise it returns an error
// wrapping [ErrConflict], so a worker that lost its job to another one
// cannot overwrite the new run's record.
func (q *Queue) Update(ctx context.Context, job *Job) error {
	if job.revision == 0 {
		return fmt.Errorf("%w: job %q was not read from the queue", ErrConflict, job.ID)
	}
	job.stripCredentials()
	if err := job.Validate(); err != nil {
		return err
	}
	data, err := json.Marshal(job)
	if err != nil {
		return fmt.Errorf("encode job %s: %w", job.ID, err)
	}
	rev, err := q.records.Update(ctx, jobKey(job.ID), data, job.revision)
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return fmt.Errorf("%w: job %s", ErrConflict, job.ID)
	}
	if err != nil {
		return fmt.Errorf("update job %s: %w", job.ID, err)
	}
	job.revision = rev
	return nil
}

// Replay queues a new job that reruns job id (which must be finished, else
// [ErrJobActive]): same repo, commits and pull request, the given options,
// ReplayOf = id, and a delivery id of its own so it is not deduplicated.
func (q *Queue) Replay(ctx context.Context, id string, opts Options) (*Job, error) {
	orig, err := q.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !orig.Status.Finished() {
		return nil, fmt.Errorf("%w: %s is %s", ErrJobActive, id, orig.Status)
	}
	replayID := newID(time.Now())
	job := &Job{
		ID:          replayID,
		Kind:        orig.Kind,
		Repo:        orig.Repo,
		CloneURL:    orig.CloneURL,
		Ref:         orig.Ref,
		Before:      orig.Before,
		After:       orig.After,
		PullRequest: orig.PullRequest,
		DeliveryID:  "replay-" + orig.ID + "-" + replayID,
		ReplayOf:    orig.ID,
		Source:      SourceReplay,
		Options:     opts,
	}
	if err := q.Publish(ctx, job); err != nil {
		return nil, err
	}
	return job, nil
}

// decodeJob reads a record or a message, refusing what cannot run. One
// an earlier version stored with credentials in its clone URL reads
// without them, and is written back so by the next Update.
func decodeJob(data []byte) (*Job, error) {
	var job Job
	if err := json.Unmarshal(data, &job); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidJob, err)
	}
	job.stripCredentials()
	if err := job.Validate(); err != nil {
		return nil, err
	}
	return &job, nil
}
