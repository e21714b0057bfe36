package jobs

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// racingRecords is the real bucket, except that the first Get of the job's
// record finds nothing and, before it answers, the publisher writes the
// record: the worker's create then meets the publisher's.
type racingRecords struct {
	jetstream.KeyValue
	key  string
	data []byte
	once sync.Once
}

func (r *racingRecords) Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error) {
	raced := false
	if key == r.key {
		r.once.Do(func() {
			raced = true
			_, _ = r.KeyValue.Create(ctx, key, r.data)
		})
	}
	if raced {
		return nil, jetstream.ErrKeyNotFound
	}
	return r.KeyValue.Get(ctx, key)
}

// TestAJobWhoseRecordIsWrittenWhileItStartsRunsAtOnce: a worker that finds
// no record and then meets the publisher's starts the job at once, on its
// first delivery, instead of handing it back for a retry.
func TestAJobWhoseRecordIsWrittenWhileItStartsRunsAtOnce(t *testing.T) {
	q, _ := newTestQueue(t, WithBackoff(10*time.Second))
	job := &Job{Version: Version, ID: newID(time.Now()), Kind: KindDeploy, Repo: "acme/flink", CloneURL: "https://github.com/acme/flink.git",
		Ref: "refs/heads/main", Before: strings.Repeat("0", 40), After: "0123456789abcdef0123456789abcdef01234567", DeliveryID: "d-race",
		Status: StatusQueued, CreatedAt: time.Now().UTC()}
	data, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	q.records = &racingRecords{KeyValue: q.records, key: jobKey(job.ID), data: data}
	started := make(chan int, 1)
	consume(t, q, func(_ context.Context, d *Delivery) error {
		started <- d.Attempt
		return nil
	}, 1)
	// The message is stored, its record not yet: the webhook between the
	// two writes of Publish.
	if _, err := q.js.Publish(testCtx(t), q.subject(job.Kind), data, jetstream.WithMsgID(job.DeliveryID)); err != nil {
		t.Fatal(err)
	}
	select {
	case attempt := <-started:
		if attempt != 1 {
			t.Errorf("started on delivery %d, want the first", attempt)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the job did not start within 5 s: it was handed back for the retry backoff")
	}
	waitStatus(t, q, job.ID, StatusSucceeded)
}

// failingUpdates is the real bucket, but the first n updates of records fail
// as JetStream fails them while it has no leader.
type failingUpdates struct {
	jetstream.KeyValue
	mu sync.Mutex
	n  int
}

func (f *failingUpdates) Update(ctx context.Context, key string, value []byte, revision uint64) (uint64, error) {
	f.mu.Lock()
	fail := f.n > 0
	f.n--
	f.mu.Unlock()
	if fail {
		return 0, jetstream.ErrNoStreamResponse
	}
	return f.KeyValue.Update(ctx, key, value, revision)
}

// TestAnOutageDoesNotUseUpAJobsRuns: JetStream cannot write the job's
// record on more deliveries than the job may run; the job runs once it can,
// on its first run, and succeeds.
func TestAnOutageDoesNotUseUpAJobsRuns(t *testing.T) {
	q, _ := newTestQueue(t, WithMaxDeliver(2))
	job := publish(t, q, testJob("d-outage"))
	q.records = &failingUpdates{KeyValue: q.records, n: 4}
	var runs atomic.Int32
	consume(t, q, func(context.Context, *Delivery) error { runs.Add(1); return nil }, 1)
	got := waitStatus(t, q, job.ID, StatusSucceeded)
	if got.Attempts != 1 || runs.Load() != 1 {
		t.Errorf("record says %d runs, handler ran %d times; want 1 and 1", got.Attempts, runs.Load())
	}
}
