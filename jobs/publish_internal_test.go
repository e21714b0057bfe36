package jobs

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestPublishThenConsumeAcks(t *testing.T) {
	q, _ := newTestQueue(t)
	job := publish(t, q, testJob("d-1"))
	if len(job.ID) != 26 || job.Status != StatusQueued || job.Version != Version || job.CreatedAt.IsZero() {
		t.Fatalf("Publish filled id %q, status %s, version %d, created %v", job.ID, job.Status, job.Version, job.CreatedAt)
	}
	stored, err := q.Get(testCtx(t), job.ID)
	if err != nil || stored.Status != StatusQueued {
		t.Fatalf("Get after Publish = %+v, %v; want a queued record", stored, err)
	}
	waitPending(t, q, 1)

	got := make(chan *Job, 1)
	consume(t, q, func(_ context.Context, d *Delivery) error {
		seen := *d.Job // the consumer writes the outcome into d.Job
		got <- &seen
		return nil
	}, 1)
	seen := <-got
	if seen.ID != job.ID || seen.Status != StatusRunning || seen.Attempts != 1 || seen.StartedAt == nil {
		t.Errorf("handler saw %s %s attempts %d started %v; want %s running, attempt 1, started", seen.ID, seen.Status, seen.Attempts, seen.StartedAt, job.ID)
	}
	done := waitStatus(t, q, job.ID, StatusSucceeded)
	if done.FinishedAt == nil || done.Attempts != 1 || done.Error != "" {
		t.Errorf("record = finished %v, attempts %d, error %q; want finished, 1, no error", done.FinishedAt, done.Attempts, done.Error)
	}
	waitPending(t, q, 0) // a work queue drops an acknowledged job
}

func TestPublishDeduplicatesDeliveries(t *testing.T) {
	tests := []struct {
		name string
		// before sets the queue up and returns the id the duplicate must
		// name; an empty id means the second publish must succeed.
		before      func(t *testing.T, q *Queue) (firstID string)
		wantDup     bool
		wantPending int
	}{
		{
			name:        "while the first is queued",
			before:      func(t *testing.T, q *Queue) string { return publish(t, q, testJob("d-1")).ID },
			wantDup:     true,
			wantPending: 1,
		},
		{
			name: "after the first finished",
			before: func(t *testing.T, q *Queue) string {
				id := publish(t, q, testJob("d-1")).ID
				c := consume(t, q, func(context.Context, *Delivery) error { return nil }, 1)
				waitStatus(t, q, id, StatusSucceeded)
				c.Stop(testCtx(t))
				return id
			},
			wantDup:     true,
			wantPending: 0,
		},
		{
			name: "after a first publish that stored nothing",
			before: func(t *testing.T, q *Queue) string {
				// The index was written, then NATS went away.
				if _, err := q.records.Create(testCtx(t), deliveryKey("d-1"), []byte("01JFIRSTATTEMPT0000000000")); err != nil {
					t.Fatal(err)
				}
				return "01JFIRSTATTEMPT0000000000"
			},
			wantDup:     false,
			wantPending: 1,
		},
		{
			name: "after a first publish that stored the message, not the record",
			before: func(t *testing.T, q *Queue) string {
				// The message was stored, then the publisher died (or lost
				// the answer) before writing the record: the retry finds
				// the delivery claimed and no record, and publishes again.
				// Only the stream's message id keeps a second copy out.
				id := publish(t, q, testJob("d-1")).ID
				if err := q.records.Delete(testCtx(t), jobKey(id)); err != nil {
					t.Fatal(err)
				}
				return id
			},
			wantDup:     true,
			wantPending: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, _ := newTestQueue(t)
			firstID := tt.before(t, q)
			again := testJob("d-1")
			err := q.Publish(testCtx(t), again)
			var dup *DuplicateError
			if gotDup := errors.As(err, &dup); gotDup != tt.wantDup || (!gotDup && err != nil) {
				t.Fatalf("second Publish = %v; want duplicate %v", err, tt.wantDup)
			}
			if tt.wantDup && (!errors.Is(err, ErrDuplicate) || dup.JobID != firstID || dup.DeliveryID != "d-1") {
				t.Errorf("duplicate error = %#v; want job %s, delivery d-1, matching ErrDuplicate", dup, firstID)
			}
			if again.ID != firstID {
				t.Errorf("second Publish left job id %s; want the first one's, %s", again.ID, firstID)
			}
			waitPending(t, q, tt.wantPending)
			list, err := q.List(testCtx(t), Filter{})
			if err != nil || len(list) != 1 || list[0].ID != firstID {
				t.Errorf("List = %d jobs, %v; want only %s", len(list), err, firstID)
			}
		})
	}
}

func TestPublishConcurrentDuplicates(t *testing.T) {
	q, _ := newTestQueue(t)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	ids := make([]string, n)
	for i := range n {
		wg.Go(func() {
			job := testJob("d-race")
			errs[i] = q.Publish(testCtx(t), job)
			ids[i] = job.ID
		})
	}
	wg.Wait()
	queued := 0
	for i, err := range errs {
		switch {
		case err == nil:
			queued++
		case !errors.Is(err, ErrDuplicate):
			t.Errorf("publish %d: %v", i, err)
		}
		if ids[i] != ids[0] {
			t.Errorf("publish %d has job id %s, publish 0 has %s", i, ids[i], ids[0])
		}
	}
	if queued != 1 {
		t.Errorf("%d publishes queued the job; want 1", queued)
	}
	waitPending(t, q, 1)
}

func TestPublishRefusesInvalidJobs(t *testing.T) {
	q, _ := newTestQueue(t)
	tests := []struct {
		name   string
		change func(*Job)
	}{
		{"no delivery id", func(j *Job) { j.DeliveryID = "" }},
		{"unknown kind", func(j *Job) { j.Kind = "destroy" }},
		{"repo without owner", func(j *Job) { j.Repo = "shop" }},
		{"plan without pull request", func(j *Job) { j.Kind = KindPlan }},
		{"newer version", func(j *Job) { j.Version = Version + 1 }},
		{"id with a dot", func(j *Job) { j.ID = "a.b" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job := testJob("d-" + tt.name)
			tt.change(job)
			if err := q.Publish(testCtx(t), job); !errors.Is(err, ErrInvalidJob) {
				t.Errorf("Publish = %v; want ErrInvalidJob", err)
			}
		})
	}
	waitPending(t, q, 0)
}

func TestPublishWithNATSDownFailsWithinContext(t *testing.T) {
	q, srv := newTestQueue(t)
	srv.Shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := q.Publish(ctx, testJob("d-down"))
	if err == nil || errors.Is(err, ErrDuplicate) {
		t.Fatalf("Publish with NATS down = %v; want an error", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("Publish took %s to fail; want about the context's 500ms", elapsed)
	}
}
