package jobs

import (
	"context"
	"errors"
	"testing"
)

// TestRestartKeepsJobsAndKV: the embedded server restarted on the same
// directory still has the queued job, the records, the delivery index and
// the deployed commits.
func TestRestartKeepsJobsAndKV(t *testing.T) {
	dir := t.TempDir()
	srv := startServerIn(t, dir)
	nc := connectTo(t, srv)
	q := newQueue(t, nc, fast(t)...)
	ctx := testCtx(t)

	done := publish(t, q, testJob("d-done"))
	c := consume(t, q, func(context.Context, *Delivery) error { return nil }, 1)
	waitStatus(t, q, done.ID, StatusSucceeded)
	c.Stop(ctx)
	queued := publish(t, q, testJob("d-queued"))
	if err := q.SetDeployedCommit(ctx, "acme/shop", "main", "abc123"); err != nil {
		t.Fatal(err)
	}
	nc.Close()
	srv.Shutdown()

	srv = startServerIn(t, dir)
	q = newQueue(t, connectTo(t, srv), fast(t)...) // creating again finds them as they were
	for id, want := range map[string]Status{done.ID: StatusSucceeded, queued.ID: StatusQueued} {
		if got, err := q.Get(ctx, id); err != nil || got.Status != want {
			t.Errorf("after restart, Get(%s) = %v, %v; want %s", id, got, err, want)
		}
	}
	if n, err := q.Pending(ctx); n != 1 || err != nil {
		t.Errorf("after restart, Pending = %d, %v; want 1", n, err)
	}
	if sha, ok, err := q.DeployedCommit(ctx, "acme/shop", "main"); sha != "abc123" || !ok || err != nil {
		t.Errorf("after restart, DeployedCommit = %q, %v, %v", sha, ok, err)
	}
	if err := q.Publish(ctx, testJob("d-done")); !errors.Is(err, ErrDuplicate) {
		t.Errorf("after restart, a redelivery of d-done: Publish = %v; want ErrDuplicate", err)
	}
	consume(t, q, func(context.Context, *Delivery) error { return nil }, 1)
	waitStatus(t, q, queued.ID, StatusSucceeded)
	waitPending(t, q, 0)
}
