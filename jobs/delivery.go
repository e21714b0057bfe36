package jobs

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// Handler runs one delivered job; its return decides the job's fate:
//
//   - nil: the message is acknowledged, and the record marked succeeded
//     unless the handler set another final status (superseded, failed);
//   - an error wrapping [ErrInvalidJob]: the message is terminated, never
//     redelivered, and the record marked failed;
//   - any other error: the job is retried after the backoff, and marked
//     dead (kept, replayable) when it was the last allowed delivery.
//
// ctx is cancelled when the consumer stops and hands the job back, or when
// the connection closes: the handler should then return promptly, the job
// being no longer its to finish.
type Handler func(ctx context.Context, d *Delivery) error

// Delivery is one delivery of a job to a handler.
type Delivery struct {
	// Job is the job's record, marked running. The handler may change it and
	// save it with [Queue.Update]; the consumer writes the final status
	// into it once the handler returns.
	Job *Job
	// Attempt counts deliveries of this job, 1 for the first.
	Attempt int

	id       string // Job.ID, for use while the handler changes Job
	msg      jetstream.Msg
	ackWait  time.Duration
	log      *zap.Logger
	cancel   context.CancelFunc // cancels the handler's ctx
	mu       sync.Mutex
	settled  bool
	finished chan struct{} // closed once settled
}

// InProgress tells JetStream the job is still being worked on, so it is not
// redelivered for another ack wait.
func (d *Delivery) InProgress() error {
	if err := d.msg.InProgress(); err != nil {
		return fmt.Errorf("job %s in progress: %w", d.id, err)
	}
	return nil
}

// KeepAlive calls InProgress every third of the ack wait until stop is
// called, ctx ends or the delivery is settled: wrap a long clone or deploy
// in it. A worker that dies stops calling it and the job is redelivered.
func (d *Delivery) KeepAlive(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(d.ackWait / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-d.finished:
				return
			case <-t.C:
				if err := d.InProgress(); err != nil {
					d.log.Warn("could not extend the job's ack deadline", zap.Error(err))
				}
			}
		}
	})
	return func() {
		cancel()
		wg.Wait()
	}
}

// settle runs fn unless the delivery was settled already, and reports
// whether it did: the handler's return and a hand-back race for it.
func (d *Delivery) settle(fn func()) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.settled {
		return false
	}
	d.settled = true
	fn()
	close(d.finished)
	return true
}
