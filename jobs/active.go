package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// A push's deploy job is deduplicated by its commit as well as by its
// delivery: the webhook and the reconciler may both see a commit (the
// reconciler reads the branch's tip while the push's delivery is on its
// way), and whichever publishes first makes the one job. The key
// commit.<repo>.<branch>.<sha> holds the id of the commit's latest job;
// once that job is finished, a new one may take the key (the branch
// force-pushed back to the commit: a rollback). A self-heal job likewise
// holds heal.<repo>.<branch>: one at a time per branch.

const (
	commitKeyPrefix = "commit."
	healKeyPrefix   = "heal."
)

func commitKey(repo, branch, sha string) string {
	return commitKeyPrefix + escapeKey(repo) + "." + escapeKey(branch) + "." + escapeKey(sha)
}

func healKey(repo, branch string) string {
	return healKeyPrefix + escapeKey(repo) + "." + escapeKey(branch)
}

// Branch is the branch of the job's ref.
func (j *Job) Branch() string { return strings.TrimPrefix(j.Ref, "refs/heads/") }

// activeKey is the key that keeps a second job of the same work from being
// queued while the first is active, "" for jobs that may run beside
// others: plans, replays and deploys with options (an operator's asks).
func (j *Job) activeKey() string {
	switch {
	case j.Kind != KindDeploy || j.ReplayOf != "":
		return ""
	case len(j.Options.Heal) > 0:
		return healKey(j.Repo, j.Branch())
	case j.Options.Force || j.Options.DMLOnly:
		return ""
	}
	return commitKey(j.Repo, j.Branch(), j.After)
}

// claimActive takes key for job. It returns the job that holds it when
// that one is not finished; then job must not be queued. A key claimed by
// a job not recorded yet (its publish under way, or failed before the
// record was written) makes job that job: publishing it again under its
// id is what the stream's duplicate window and the record's create-only
// write settle.
func (q *Queue) claimActive(ctx context.Context, key string, job *Job) (*Job, error) {
	for {
		_, err := q.records.Create(ctx, key, []byte(job.ID))
		if err == nil {
			return nil, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return nil, fmt.Errorf("index %s: %w", key, err)
		}
		e, err := q.records.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // expired with its job's retention meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", key, err)
		}
		id := string(e.Value())
		if id == job.ID {
			return nil, nil
		}
		holder, err := q.Get(ctx, id)
		switch {
		case errors.Is(err, ErrNotFound):
			job.ID = id
			return nil, nil
		case err != nil:
			return nil, err
		case !holder.Status.Finished():
			return holder, nil
		}
		_, err = q.records.Update(ctx, key, []byte(job.ID), e.Revision())
		if err == nil {
			return nil, nil
		}
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return nil, fmt.Errorf("index %s: %w", key, err)
		}
		// Another publish took it first: look again.
	}
}

// CommitJob returns the latest push deploy job of sha on repo's branch
// (webhook's or reconciler's), or an error wrapping [ErrNotFound] when
// none was queued.
func (q *Queue) CommitJob(ctx context.Context, repo, branch, sha string) (*Job, error) {
	return q.indexed(ctx, commitKey(repo, branch, sha))
}

// HealJob returns the latest self-heal job of repo's branch, or an error
// wrapping [ErrNotFound].
func (q *Queue) HealJob(ctx context.Context, repo, branch string) (*Job, error) {
	return q.indexed(ctx, healKey(repo, branch))
}

func (q *Queue) indexed(ctx context.Context, key string) (*Job, error) {
	e, err := q.records.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	return q.Get(ctx, string(e.Value()))
}
