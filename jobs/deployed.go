package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// DeployedCommit returns the last commit deployed from repo's branch; ok is
// false when none was recorded.
func (q *Queue) DeployedCommit(ctx context.Context, repo, branch string) (sha string, ok bool, err error) {
	if repo == "" || branch == "" {
		return "", false, invalidArgument("repo %q, branch %q: both needed", repo, branch)
	}
	e, err := q.deployed.Get(ctx, deployedKey(repo, branch))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("deployed commit of %s %s: %w", repo, branch, err)
	}
	return string(e.Value()), true, nil
}

// SetDeployedCommit records sha as the last commit deployed from repo's
// branch. The caller holds the repo's lock, so the last writer is the
// newest deploy.
func (q *Queue) SetDeployedCommit(ctx context.Context, repo, branch, sha string) error {
	if repo == "" || branch == "" || sha == "" {
		return invalidArgument("repo %q, branch %q, sha %q: all needed", repo, branch, sha)
	}
	if _, err := q.deployed.PutString(ctx, deployedKey(repo, branch), sha); err != nil {
		return fmt.Errorf("record deployed commit of %s %s: %w", repo, branch, err)
	}
	return nil
}
