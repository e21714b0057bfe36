package jobs

import (
	"errors"
	"fmt"
	"sync"
	"testing"
)

// TestOneJobPerCommit: a push's deploy job is one job per commit while it
// is queued or running, whichever of the webhook and the reconciler
// publishes first, even when they publish at once; once it finished, the
// commit may be deployed again (a rollback to it).
func TestOneJobPerCommit(t *testing.T) {
	q, _ := newTestQueue(t)
	ctx := testCtx(t)
	const racers = 8
	ids := make([]string, racers)
	errs := make([]error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			j := testJob("race-0")
			j.DeliveryID = fmt.Sprintf("delivery-%d", i)
			j.Source = []Source{SourceWebhook, SourceReconciler}[i%2]
			errs[i] = q.Publish(ctx, j)
			ids[i] = j.ID
		})
	}
	wg.Wait()
	fresh := 0
	for i, err := range errs {
		switch {
		case err == nil:
			fresh++
		case !errors.Is(err, ErrDuplicate):
			t.Fatalf("publish %d: %v", i, err)
		}
		if ids[i] != ids[0] {
			t.Errorf("publish %d made job %s, publish 0 job %s: want one job", i, ids[i], ids[0])
		}
	}
	if fresh != 1 {
		t.Errorf("%d publishes reported a new job, want 1", fresh)
	}
	waitPending(t, q, 1)
	list, err := q.List(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("%d jobs, want 1", len(list))
	}
	// A redelivery of a losing webhook finds the one job too.
	again := testJob("race-0")
	again.DeliveryID = "delivery-3"
	if err := q.Publish(ctx, again); !errors.Is(err, ErrDuplicate) || again.ID != ids[0] {
		t.Errorf("redelivery: %v, job %s, want a duplicate of %s", err, again.ID, ids[0])
	}
	got, err := q.CommitJob(ctx, "acme/shop", "main", list[0].After)
	if err != nil || got.ID != ids[0] {
		t.Fatalf("CommitJob: %v %v, want %s", got, err, ids[0])
	}

	// Finished: the same commit pushed again is a new job.
	got.Status = StatusSucceeded
	if err := q.Update(ctx, got); err != nil {
		t.Fatal(err)
	}
	rollback := testJob("race-0")
	rollback.DeliveryID = "rollback"
	if err := q.Publish(ctx, rollback); err != nil || rollback.ID == ids[0] {
		t.Fatalf("the commit pushed again after its job finished: %v (job %s)", err, rollback.ID)
	}
	if got, err := q.CommitJob(ctx, "acme/shop", "main", rollback.After); err != nil || got.ID != rollback.ID {
		t.Errorf("CommitJob after the rollback: %v %v, want %s", got, err, rollback.ID)
	}
	if _, err := q.CommitJob(ctx, "acme/shop", "main", testJob("other").After); !errors.Is(err, ErrNotFound) {
		t.Errorf("CommitJob of a commit without a job: %v, want ErrNotFound", err)
	}
}

// TestOneSelfHealJobAtATime: a self-heal job of a branch is refused while
// another is active; replays and forced deploys are never held back by the
// commit's job.
func TestOneSelfHealJobAtATime(t *testing.T) {
	q, _ := newTestQueue(t)
	ctx := testCtx(t)
	heal := func(delivery string) *Job {
		j := testJob("deployed")
		j.DeliveryID, j.Source = delivery, SourceSelfHeal
		j.Options.Heal = []Drifted{{Table: "orders", State: "failed"}}
		return j
	}
	first := publish(t, q, heal("heal-1"))
	second := heal("heal-2")
	if err := q.Publish(ctx, second); !errors.Is(err, ErrDuplicate) || second.ID != first.ID {
		t.Errorf("a second heal while the first is queued: %v (job %s), want a duplicate of %s", err, second.ID, first.ID)
	}
	if got, err := q.HealJob(ctx, "acme/shop", "main"); err != nil || got.ID != first.ID {
		t.Errorf("HealJob: %v %v", got, err)
	}
	// The commit's own push job is another key.
	publish(t, q, testJob("deployed"))
	forced := testJob("deployed")
	forced.DeliveryID, forced.Options.Force = "forced", true
	publish(t, q, forced)

	bad := heal("heal-3")
	bad.Options.Heal = nil
	if err := q.Publish(ctx, bad); !errors.Is(err, ErrInvalidJob) {
		t.Errorf("a self-heal job without tables: %v, want ErrInvalidJob", err)
	}
}
