package jobs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestListGetUpdate(t *testing.T) {
	q, _ := newTestQueue(t)
	ctx := testCtx(t)
	var ids []string // in publish order
	for i, spec := range []struct {
		repo string
		kind Kind
	}{
		{"acme/shop", KindDeploy}, {"acme/shop", KindPlan}, {"acme/billing", KindDeploy},
		{"acme/shop", KindDeploy}, {"acme/billing", KindPlan},
	} {
		job := testJob(fmt.Sprintf("d-%d", i))
		job.Repo, job.Kind = spec.repo, spec.kind
		if spec.kind == KindPlan {
			job.PullRequest = 10 + i
		}
		ids = append(ids, publish(t, q, job).ID)
		time.Sleep(2 * time.Millisecond) // ids sort by millisecond
	}
	// A worker's update: status, plan, results.
	job, err := q.Get(ctx, ids[3])
	if err != nil {
		t.Fatal(err)
	}
	job.Status, job.Summary = StatusFailed, "1 of 2 tables failed"
	job.Plan = []PlannedAction{{Table: "orders", Action: "create", Reason: "new table"}}
	job.Results = []TableResult{{Table: "orders", Action: "create", Status: "failed", Error: "boom"}}
	if err := q.Update(ctx, job); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if got, _ := q.Get(ctx, ids[3]); got.Summary != job.Summary || len(got.Plan) != 1 || got.Results[0].Error != "boom" {
		t.Errorf("Get after Update = %+v", got)
	}

	tests := []struct {
		name   string
		filter Filter
		want   []int // indexes into ids, newest first
	}{
		{"all, newest first", Filter{}, []int{4, 3, 2, 1, 0}},
		{"repo", Filter{Repo: "acme/billing"}, []int{4, 2}},
		{"kind", Filter{Kind: KindPlan}, []int{4, 1}},
		{"status", Filter{Status: StatusFailed}, []int{3}},
		{"repo, kind and status", Filter{Repo: "acme/shop", Kind: KindDeploy, Status: StatusQueued}, []int{0}},
		{"limit", Filter{Limit: 2}, []int{4, 3}},
		{"limit after filtering", Filter{Repo: "acme/shop", Limit: 2}, []int{3, 1}},
		{"no match", Filter{Repo: "acme/none"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := q.List(ctx, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			var got, want []string
			for _, j := range list {
				got = append(got, j.ID)
			}
			for _, i := range tt.want {
				want = append(want, ids[i])
			}
			if !slices.Equal(got, want) {
				t.Errorf("List(%+v) = %v; want %v", tt.filter, got, want)
			}
		})
	}

	errTests := []struct {
		name    string
		call    func() error
		wantErr error
	}{
		{"get unknown id", func() error { _, err := q.Get(ctx, "01JNOPE"); return err }, ErrNotFound},
		{"get empty id", func() error { _, err := q.Get(ctx, ""); return err }, ErrInvalidArgument},
		{"list negative limit", func() error { _, err := q.List(ctx, Filter{Limit: -1}); return err }, ErrInvalidArgument},
		{"update a stale copy", func() error {
			stale, _ := q.Get(ctx, ids[0])
			fresh, _ := q.Get(ctx, ids[0])
			fresh.Summary = "first"
			if err := q.Update(ctx, fresh); err != nil {
				return err
			}
			stale.Summary = "second"
			return q.Update(ctx, stale)
		}, ErrConflict},
		{"update a job not read from the queue", func() error {
			job := testJob("d-0")
			job.ID, job.Version = ids[0], Version
			return q.Update(ctx, job)
		}, ErrConflict},
		{"update into an invalid record", func() error {
			job, _ := q.Get(ctx, ids[1])
			job.Repo = ""
			return q.Update(ctx, job)
		}, ErrInvalidJob},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v; want %v", err, tt.wantErr)
			}
		})
	}
}

func TestReplay(t *testing.T) {
	q, _ := newTestQueue(t)
	ctx := testCtx(t)
	orig := testJob("d-1")
	orig.Kind, orig.PullRequest = KindPlan, 42
	publish(t, q, orig)

	if _, err := q.Replay(ctx, orig.ID, Options{}); !errors.Is(err, ErrJobActive) {
		t.Errorf("Replay of a queued job = %v; want ErrJobActive", err)
	}
	if _, err := q.Replay(ctx, "01JNOPE", Options{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Replay of an unknown job = %v; want ErrNotFound", err)
	}

	fail := func(context.Context, *Delivery) error { return fmt.Errorf("bad sql: %w", ErrInvalidJob) }
	c := consume(t, q, fail, 1)
	waitStatus(t, q, orig.ID, StatusFailed)
	c.Stop(ctx)

	var replays []*Job
	for range 2 {
		r, err := q.Replay(ctx, orig.ID, Options{Force: true})
		if err != nil {
			t.Fatalf("Replay: %v", err)
		}
		replays = append(replays, r)
	}
	for _, r := range replays {
		if r.ID == orig.ID || r.ReplayOf != orig.ID || !strings.HasPrefix(r.DeliveryID, "replay-"+orig.ID+"-") ||
			r.Status != StatusQueued || !r.Options.Force || r.Attempts != 0 {
			t.Errorf("replay = %+v", r)
		}
		if r.Kind != orig.Kind || r.Repo != orig.Repo || r.CloneURL != orig.CloneURL || r.Ref != orig.Ref ||
			r.Before != orig.Before || r.After != orig.After || r.PullRequest != orig.PullRequest {
			t.Errorf("replay %+v does not rerun %+v", r, orig)
		}
	}
	if replays[0].DeliveryID == replays[1].DeliveryID {
		t.Errorf("two replays share delivery id %s", replays[0].DeliveryID)
	}
	waitPending(t, q, 2)
	consume(t, q, func(context.Context, *Delivery) error { return nil }, 1)
	for _, r := range replays {
		waitStatus(t, q, r.ID, StatusSucceeded)
	}
}

// TestRetention: job records go once the retention has passed since their
// last change; the last deployed commit stays.
func TestRetention(t *testing.T) {
	q, _ := newTestQueue(t, WithRetention(time.Second))
	ctx := testCtx(t)
	job := publish(t, q, testJob("d-retained"))
	if err := q.SetDeployedCommit(ctx, "acme/shop", "main", strings.Repeat("ab", 20)); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Get(ctx, job.ID); err != nil {
		t.Fatalf("Get right after publish: %v", err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err := q.Get(ctx, job.ID)
		if errors.Is(err, ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("record still there after its retention: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if sha, ok, err := q.DeployedCommit(ctx, "acme/shop", "main"); err != nil || !ok || sha != strings.Repeat("ab", 20) {
		t.Errorf("deployed commit after the retention: %q %t %v", sha, ok, err)
	}
}

// TestOpenQueue: a tool opening the service's queue reads its jobs and
// leaves its configuration alone; with no service there, it fails.
func TestOpenQueue(t *testing.T) {
	srv := startServer(t)
	nc := connectTo(t, srv)
	ctx := testCtx(t)
	if _, err := OpenQueue(ctx, nc); err == nil {
		t.Fatal("OpenQueue with no queue created: no error")
	}
	q := newQueue(t, nc, WithRetention(time.Hour))
	job := publish(t, q, testJob("d-open"))
	tool, err := OpenQueue(ctx, nc)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := tool.Get(ctx, job.ID); err != nil || got.DeliveryID != "d-open" {
		t.Errorf("Get through the opened queue: %+v %v", got, err)
	}
	st, err := tool.records.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.TTL() != time.Hour {
		t.Errorf("retention after a tool opened the queue: %s, want the service's 1h", st.TTL())
	}
}
