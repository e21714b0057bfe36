package jobs

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// The lines a consumer logs when its fetches start failing and when they
// work again.
const (
	outageStarted = "jobs unavailable: fetching less often until JetStream answers"
	outageEnded   = "jobs available again"
)

// TestConsumerOutage: while its consumer is gone (every pull answered at
// once by "no responders", as when the consumer's leader is lost) a worker
// backs off and logs the outage once, then once when it ends, and takes
// jobs again.
func TestConsumerOutage(t *testing.T) {
	srv := startServer(t)
	log, logs := observedLogger(t)
	q := newQueue(t, connectTo(t, srv), append(fast(t), WithLogger(log))...)
	ran := make(chan string, 1)
	consume(t, q, func(_ context.Context, d *Delivery) error {
		ran <- d.Job.DeliveryID
		return nil
	}, 2)

	ctx := testCtx(t)
	if err := q.js.DeleteConsumer(ctx, q.opts.stream, q.opts.consumer); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func() (bool, string) {
		n := logs.FilterMessage(outageStarted).Len()
		return n > 0, fmt.Sprintf("%d outage lines", n)
	})
	// The outage lasts: a worker fetching without a pause would log
	// thousands of lines meanwhile.
	const lasting = 2 * time.Second
	time.Sleep(lasting)
	// The consumer comes back (Consume creates it), as after an election.
	again, err := q.Consume(ctx, func(context.Context, *Delivery) error { return nil }, 1)
	if err != nil {
		t.Fatal(err)
	}
	again.Stop(ctx)
	eventually(t, 10*time.Second, func() (bool, string) {
		n := logs.FilterMessage(outageEnded).Len()
		return n > 0, fmt.Sprintf("%d end-of-outage lines", n)
	})

	if n := logs.FilterMessage(outageStarted).Len(); n != 1 {
		t.Errorf("the outage was logged %d times, want once", n)
	}
	ended := logs.FilterMessage(outageEnded).All()
	if len(ended) != 1 {
		t.Fatalf("the end of the outage was logged %d times, want once", len(ended))
	}
	failed, outage := ended[0].ContextMap()["failed_fetches"], ended[0].ContextMap()["outage"]
	// Waits doubling from 100 ms (full jitter) make about 6 fetches in 2 s.
	if n, ok := failed.(int64); !ok || n < 2 || n > 30 {
		t.Errorf("%v fetches failed during an outage of %v: want a few, backing off", failed, outage)
	}
	if n := warnings(logs); n > 2 {
		t.Errorf("%d warnings logged during the outage", n)
	}

	publish(t, q, testJob("after-outage"))
	select {
	case got := <-ran:
		if got != "after-outage" {
			t.Errorf("ran %s", got)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no job ran after the outage")
	}
}

func warnings(logs *observer.ObservedLogs) int {
	n := 0
	for _, e := range logs.All() {
		if e.Level >= zapcore.WarnLevel {
			n++
		}
	}
	return n
}
