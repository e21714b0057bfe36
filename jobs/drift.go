package jobs

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/nats-io/nats.go/jetstream"
)

// Drift reports live in the deployed bucket, beside the deployed commits
// they compare with, as drift.<repo>.<environment>: three tokens, where a
// deployed commit's key has two, so neither is taken for the other. Any
// process reads them; the reconciler, wherever it runs, writes them.
const driftKeyPrefix = "drift."

func driftKey(repo, env string) string {
	return driftKeyPrefix + escapeKey(repo) + "." + escapeKey(env)
}

// PutDrift stores report (JSON, as the reconciler writes it) as the latest
// drift report of repo in environment env.
func (q *Queue) PutDrift(ctx context.Context, repo, env string, report []byte) error {
	if repo == "" || env == "" {
		return invalidArgument("repo %q, environment %q: both needed", repo, env)
	}
	if _, err := q.deployed.Put(ctx, driftKey(repo, env), report); err != nil {
		return fmt.Errorf("store the drift of %s in %s: %w", repo, env, err)
	}
	return nil
}

// DriftReports returns the latest drift reports of repo in every
// environment (of every repository when repo is ""), by key.
func (q *Queue) DriftReports(ctx context.Context, repo string) ([][]byte, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, listTimeout)
		defer cancel()
	}
	filter := driftKeyPrefix + "*.*"
	if repo != "" {
		filter = driftKeyPrefix + escapeKey(repo) + ".*"
	}
	lister, err := q.deployed.ListKeysFiltered(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("list drift reports: %w", err)
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	slices.Sort(keys)
	var out [][]byte
	for _, k := range keys {
		e, err := q.deployed.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read drift report %s: %w", k, err)
		}
		out = append(out, e.Value())
	}
	return out, nil
}
