package jobs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestHandlerOutcomes: the handler's return decides the record's status and
// whether the job is retried (max deliver 3, 50 ms backoff).
func TestHandlerOutcomes(t *testing.T) {
	errFlaky := errors.New("confluent: 503")
	tests := []struct {
		name         string
		handler      func(d *Delivery) error
		wantStatus   Status
		wantAttempts int
		wantError    string // substring of the record's Error; "" for none
		// wantOutcomes: what WithOutcome hears, delivery by delivery.
		wantOutcomes []Status
	}{
		{
			name:         "succeeds",
			handler:      func(*Delivery) error { return nil },
			wantStatus:   StatusSucceeded,
			wantAttempts: 1,
			wantOutcomes: []Status{StatusSucceeded},
		},
		{
			name: "fails twice then succeeds",
			handler: func(d *Delivery) error {
				if d.Attempt < 3 {
					return errFlaky
				}
				return nil
			},
			wantStatus:   StatusSucceeded,
			wantAttempts: 3,
			wantOutcomes: []Status{StatusQueued, StatusQueued, StatusSucceeded},
		},
		{
			name:         "fails on every delivery",
			handler:      func(*Delivery) error { return fmt.Errorf("deploy: %w", errFlaky) },
			wantStatus:   StatusDead,
			wantAttempts: 3,
			wantOutcomes: []Status{StatusQueued, StatusQueued, StatusDead},
			wantError:    "deploy: confluent: 503",
		},
		{
			name:         "invalid job",
			handler:      func(*Delivery) error { return fmt.Errorf("parse dml.orders.sql: %w", ErrInvalidJob) },
			wantStatus:   StatusFailed,
			wantAttempts: 1,
			wantOutcomes: []Status{StatusFailed},
			wantError:    "parse dml.orders.sql",
		},
		{
			name: "panics once",
			handler: func(d *Delivery) error {
				if d.Attempt == 1 {
					panic("nil map")
				}
				return nil
			},
			wantStatus:   StatusSucceeded,
			wantAttempts: 2,
			wantOutcomes: []Status{StatusQueued, StatusSucceeded},
		},
		{
			name: "superseded",
			handler: func(d *Delivery) error {
				d.Job.Status, d.Job.Summary = StatusSuperseded, "a newer push is queued"
				return nil
			},
			wantStatus:   StatusSuperseded,
			wantAttempts: 1,
			wantOutcomes: []Status{StatusSuperseded},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var outcomes []Status
			q, _ := newTestQueue(t, WithOutcome(func(j Job) {
				mu.Lock()
				defer mu.Unlock()
				outcomes = append(outcomes, j.Status)
			}))
			job := publish(t, q, testJob("d-1"))
			var calls atomic.Int32
			consume(t, q, func(_ context.Context, d *Delivery) error {
				calls.Add(1)
				return tt.handler(d)
			}, 2)
			got := waitStatus(t, q, job.ID, tt.wantStatus)
			waitPending(t, q, 0) // gone from the stream: it cannot come back
			if got.Attempts != tt.wantAttempts || int(calls.Load()) != tt.wantAttempts {
				t.Errorf("attempts %d, handler calls %d; want %d", got.Attempts, calls.Load(), tt.wantAttempts)
			}
			if (tt.wantError == "") != (got.Error == "") || !strings.Contains(got.Error, tt.wantError) {
				t.Errorf("record error %q; want %q", got.Error, tt.wantError)
			}
			if got.FinishedAt == nil {
				t.Error("record has no finish time")
			}
			eventually(t, 5*time.Second, func() (bool, string) {
				mu.Lock()
				defer mu.Unlock()
				return slices.Equal(outcomes, tt.wantOutcomes), fmt.Sprintf("outcomes %v; want %v", outcomes, tt.wantOutcomes)
			})
		})
	}
}

// TestStop: Stop waits for running handlers up to its deadline, then cancels
// them and hands their jobs back, which another worker takes at once (the
// ack wait is a minute: only the hand-back can explain a quick redelivery).
func TestStop(t *testing.T) {
	tests := []struct {
		name         string
		grace        time.Duration
		wantAttempts int // of the job's final, successful run
	}{
		{"handler finishes within the grace period", 10 * time.Second, 1},
		{"handler outlives the grace period", 200 * time.Millisecond, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t)
			first := newQueue(t, connectTo(t, srv), append(fast(t), WithAckWait(time.Minute))...)
			other := newQueue(t, connectTo(t, srv), append(fast(t), WithAckWait(time.Minute))...)
			job := publish(t, first, testJob("d-1"))

			started, release, cancelled := newSignal(), newSignal(), newSignal()
			staleUpdate := make(chan error, 1)
			c := consume(t, first, func(ctx context.Context, d *Delivery) error {
				started.fire()
				select {
				case <-ctx.Done():
					cancelled.fire()
				case <-time.After(time.Second):
				}
				<-release.ch // a handler slow to notice its cancellation
				staleUpdate <- first.Update(context.Background(), d.Job)
				return nil
			}, 1)
			t.Cleanup(release.fire) // before the consumer's Stop
			started.wait(t, "first delivery")
			consume(t, other, func(context.Context, *Delivery) error { return nil }, 1)

			stopped := make(chan struct{})
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), tt.grace)
				defer cancel()
				c.Stop(ctx)
				close(stopped)
			}()
			if tt.wantAttempts == 1 {
				release.fire()
				if err := <-staleUpdate; err != nil {
					t.Errorf("handler's Update = %v", err)
				}
			} else {
				cancelled.wait(t, "cancellation of the handler's ctx")
			}
			<-stopped
			got := waitStatus(t, other, job.ID, StatusSucceeded)
			if got.Attempts != tt.wantAttempts {
				t.Errorf("succeeded on attempt %d; want %d", got.Attempts, tt.wantAttempts)
			}
			if tt.wantAttempts == 2 {
				release.fire()
				if err := <-staleUpdate; !errors.Is(err, ErrConflict) {
					t.Errorf("Update from the handed-back handler = %v; want ErrConflict", err)
				}
				if again, _ := other.Get(testCtx(t), job.ID); again.Status != StatusSucceeded || again.Attempts != 2 {
					t.Errorf("the late handler changed the record to %s, attempt %d", again.Status, again.Attempts)
				}
			}
		})
	}
}

// TestRedeliveredAfterAckWait: a worker that dies (its connection closes
// with the job unacknowledged) loses the job to another worker after the
// ack wait, unless it keeps marking the job in progress.
func TestRedeliveredAfterAckWait(t *testing.T) {
	tests := []struct {
		name string
		// run is the first worker's handler; it returns when the first
		// worker's part is over.
		run          func(ctx context.Context, d *Delivery, closeConn func())
		wantAttempts int
		wantOther    bool // the other worker ran the job
	}{
		{
			name: "worker killed mid-job",
			run: func(ctx context.Context, _ *Delivery, closeConn func()) {
				closeConn()
				<-ctx.Done()
			},
			wantAttempts: 2,
			wantOther:    true,
		},
		{
			name: "long job without keep-alive",
			run: func(context.Context, *Delivery, func()) {
				time.Sleep(3500 * time.Millisecond) // the job's own work
			},
			wantAttempts: 2,
			wantOther:    true,
		},
		{
			name: "long job with keep-alive",
			run: func(ctx context.Context, d *Delivery, _ func()) {
				defer d.KeepAlive(ctx)()
				time.Sleep(3500 * time.Millisecond) // the job's own work, 3.5 ack waits
			},
			wantAttempts: 1,
			wantOther:    false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t)
			firstConn := connectTo(t, srv)
			first := newQueue(t, firstConn, fast(t)...) // ack wait 1 s
			other := newQueue(t, connectTo(t, srv), fast(t)...)
			job := publish(t, first, testJob("d-1"))

			started := newSignal()
			consume(t, first, func(ctx context.Context, d *Delivery) error {
				started.fire()
				tt.run(ctx, d, firstConn.Close)
				return nil
			}, 1)
			started.wait(t, "first delivery")
			var otherCalls atomic.Int32
			consume(t, other, func(context.Context, *Delivery) error {
				otherCalls.Add(1)
				return nil
			}, 1)

			got := waitStatus(t, other, job.ID, StatusSucceeded)
			if tt.wantOther {
				// The first worker may still be finishing: the record must
				// stay the other worker's.
				eventually(t, 10*time.Second, func() (bool, string) {
					return otherCalls.Load() == 1, fmt.Sprintf("other worker ran the job %d times", otherCalls.Load())
				})
			}
			waitPending(t, other, 0)
			if got.Attempts != tt.wantAttempts {
				t.Errorf("succeeded on attempt %d; want %d", got.Attempts, tt.wantAttempts)
			}
			if ran := otherCalls.Load() > 0; ran != tt.wantOther {
				t.Errorf("other worker ran the job: %v; want %v", ran, tt.wantOther)
			}
		})
	}
}

// TestDeadWhenWorkersDieOnEveryDelivery: a job whose worker dies on each of
// its max deliveries is marked dead by the extra delivery, not left in the
// stream.
func TestDeadWhenWorkersDieOnEveryDelivery(t *testing.T) {
	srv := startServer(t)
	q := newQueue(t, connectTo(t, srv), append(fast(t), WithMaxDeliver(2))...)
	job := publish(t, q, testJob("d-1"))
	for i := range 2 { // each worker takes the job and dies
		conn := connectTo(t, srv)
		worker := newQueue(t, conn, append(fast(t), WithMaxDeliver(2))...)
		started := newSignal()
		consume(t, worker, func(ctx context.Context, _ *Delivery) error {
			started.fire()
			conn.Close()
			<-ctx.Done()
			return nil
		}, 1)
		started.wait(t, fmt.Sprintf("delivery %d", i+1))
	}
	var calls atomic.Int32
	consume(t, q, func(context.Context, *Delivery) error { calls.Add(1); return nil }, 1)
	got := waitStatus(t, q, job.ID, StatusDead)
	waitPending(t, q, 0)
	if calls.Load() != 0 || !strings.Contains(got.Error, "after 2 runs") {
		t.Errorf("handler calls %d, record error %q; want no call, a dead job explained", calls.Load(), got.Error)
	}
}

func TestConsumeArguments(t *testing.T) {
	q, _ := newTestQueue(t)
	tests := []struct {
		name        string
		handler     Handler
		concurrency int
	}{
		{"nil handler", nil, 1},
		{"no concurrency", func(context.Context, *Delivery) error { return nil }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := q.Consume(testCtx(t), tt.handler, tt.concurrency); !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("Consume = %v; want ErrInvalidArgument", err)
			}
		})
	}
}

// TestConsumeRunsConcurrently: concurrency bounds the handlers running at
// once, and every job of a burst runs once.
func TestConsumeRunsConcurrently(t *testing.T) {
	q, _ := newTestQueue(t, WithAckWait(time.Minute))
	const jobs, concurrency = 12, 3
	for i := range jobs {
		publish(t, q, testJob(fmt.Sprintf("d-%d", i)))
	}
	var running, peak, done atomic.Int32
	consume(t, q, func(context.Context, *Delivery) error {
		n := running.Add(1)
		defer running.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(100 * time.Millisecond) // the job's own work
		done.Add(1)
		return nil
	}, concurrency)
	waitPending(t, q, 0)
	list, err := q.List(testCtx(t), Filter{Status: StatusSucceeded})
	if err != nil || len(list) != jobs || done.Load() != jobs {
		t.Errorf("%d succeeded records (%v), %d handler runs; want %d", len(list), err, done.Load(), jobs)
	}
	if p := peak.Load(); p > concurrency || p < 2 {
		t.Errorf("peak concurrency %d; want 2..%d", p, concurrency)
	}
}

// TestProcessesShareTheConsumer: two processes, each running one job at a
// time, run two jobs at once: neither caps the shared consumer at its own
// concurrency.
func TestProcessesShareTheConsumer(t *testing.T) {
	srv := startServer(t)
	opts := append(fast(t), WithAckWait(time.Minute)) // no redelivery meanwhile
	first := newQueue(t, connectTo(t, srv), opts...)
	second := newQueue(t, connectTo(t, srv), opts...)
	both := make(chan struct{})
	var mu sync.Mutex
	running := map[string]bool{}
	handler := func(ctx context.Context, d *Delivery) error {
		mu.Lock()
		running[d.Job.DeliveryID] = true
		if len(running) == 2 {
			close(both)
		}
		mu.Unlock()
		select {
		case <-both:
			return nil
		case <-time.After(5 * time.Second):
			return errors.New("the other process never ran the other job meanwhile")
		}
	}
	consume(t, first, handler, 1)
	consume(t, second, handler, 1)
	publish(t, first, testJob("d-a"))
	publish(t, first, testJob("d-b"))
	waitPending(t, first, 0)
	list, err := first.List(testCtx(t), Filter{Status: StatusSucceeded})
	if err != nil || len(list) != 2 {
		t.Errorf("%d jobs succeeded (%v), want both, run at the same time", len(list), err)
	}
}
