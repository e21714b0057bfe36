package jobs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/internal/backoff"
)

// fetchWait is how long one pull request stays open. A pull cannot be
// cancelled safely (a message the server sends as it is withdrawn would wait
// a whole ack wait to be redelivered), so Stop waits for the open one to
// expire: this bounds that wait, at the cost of one idle request a second.
const fetchWait = time.Second

// Consumer runs a handler on jobs of the shared durable consumer until
// [Consumer.Stop].
type Consumer struct {
	q       *Queue
	cons    jetstream.Consumer
	handler Handler
	log     *zap.Logger

	slots    chan struct{} // one per running handler
	stopping chan struct{}
	stopOnce sync.Once
	fetched  chan struct{} // closed when the fetch loop has returned
	running  sync.WaitGroup

	mu         sync.Mutex
	inFlight   map[*Delivery]struct{}
	handedBack bool // Stop's grace period is over: hand back, do not start
}

// Consume creates or updates the durable pull consumer every worker shares
// (explicit acks, the queue's ack wait and max ack pending) and runs handler
// on up to concurrency jobs at a time until Stop. ctx bounds the consumer's
// creation only, retried while JetStream is unavailable as [NewQueue] does.
//
// A job runs at most the queue's max deliveries ([WithMaxDeliver]) times,
// counted in its record: a delivery that finds JetStream unable to read or
// write the record runs nothing and counts for nothing, so an outage does
// not use up a job's runs. The delivery after its last run marks dead a job
// whose worker died on every run, which would otherwise stay in the stream
// for ever.
func (q *Queue) Consume(ctx context.Context, handler Handler, concurrency int) (*Consumer, error) {
	if handler == nil {
		return nil, invalidArgument("nil handler")
	}
	if concurrency < 1 {
		return nil, invalidArgument("concurrency %d", concurrency)
	}
	ctx, cancel := setupContext(ctx)
	defer cancel()
	// The consumer's replicas follow the stream's (0), also when the stream
	// is scaled.
	var cons jetstream.Consumer
	err := retry(ctx, q.log, "consumer "+q.opts.consumer, func(ctx context.Context) (err error) {
		cons, err = q.js.CreateOrUpdateConsumer(ctx, q.opts.stream, jetstream.ConsumerConfig{
			Durable:     q.opts.consumer,
			Description: "shiftleft workers",
			AckPolicy:   jetstream.AckExplicitPolicy,
			AckWait:     q.opts.ackWait,
			// Unbounded: the job record counts the runs (a delivery whose
			// record JetStream could not read or write is none), and the
			// delivery after the last allowed run marks the job dead.
			MaxDeliver:    -1,
			MaxAckPending: q.opts.maxAckPending,
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create consumer %s: %w", q.opts.consumer, err)
	}
	c := &Consumer{
		q:        q,
		cons:     cons,
		handler:  handler,
		log:      q.log.With(zap.String("consumer", q.opts.consumer)),
		slots:    make(chan struct{}, concurrency),
		stopping: make(chan struct{}),
		fetched:  make(chan struct{}),
		inFlight: make(map[*Delivery]struct{}),
	}
	go c.fetchLoop()
	go c.watchConnection(q.js.Conn())
	return c, nil
}

// Stop stops taking jobs, waits for running handlers until ctx ends, then
// cancels the ctx of those still running and hands their jobs back (Nak),
// so another worker takes them at once; their outcome is then ignored. Give
// ctx the shutdown grace period. Stop also waits for the open pull request
// to expire (about a second), handing back any job it brings. It does not
// close the connection.
func (c *Consumer) Stop(ctx context.Context) {
	c.stopOnce.Do(func() { close(c.stopping) })
	<-c.fetched
	idle := make(chan struct{})
	go func() {
		c.running.Wait()
		close(idle)
	}()
	select {
	case <-idle:
		return
	case <-ctx.Done():
	}
	c.mu.Lock()
	c.handedBack = true
	running := make([]*Delivery, 0, len(c.inFlight))
	for d := range c.inFlight {
		running = append(running, d)
	}
	c.mu.Unlock()
	for _, d := range running {
		d.settle(func() { c.handBack(d) })
	}
}

func (c *Consumer) fetchLoop() {
	defer close(c.fetched)
	var down outage
	for {
		select {
		case <-c.stopping:
			return
		case c.slots <- struct{}{}:
		}
		select { // a select picks at random among ready cases
		case <-c.stopping:
			c.release(1)
			return
		default:
		}
		err := c.fetch(1 + c.takeFreeSlots())
		switch {
		case errors.Is(err, nats.ErrConnectionClosed):
			return
		case err != nil:
			select {
			case <-c.stopping:
				return
			case <-time.After(down.failed(c.log, err)):
			}
		default:
			down.over(c.log)
		}
	}
}

// fetch pulls up to n jobs, one slot taken for each, and starts their
// handlers; the slots of the jobs it did not get are released. A pull that
// expires without jobs is no error.
func (c *Consumer) fetch(n int) error {
	batch, err := c.cons.Fetch(n, jetstream.FetchMaxWait(fetchWait))
	if err != nil {
		c.release(n)
		return err
	}
	got := 0
	for msg := range batch.Messages() {
		got++
		select {
		case <-c.stopping: // came as Stop was called
			if err := msg.Nak(); err != nil {
				c.log.Warn("hand back a job fetched while stopping", zap.Error(err))
			}
			c.release(1)
		default:
			c.running.Add(1)
			go c.run(msg)
		}
	}
	c.release(n - got)
	if err := batch.Error(); !errors.Is(err, nats.ErrTimeout) {
		return err
	}
	return nil
}

// Fetches that fail (the stream or the consumer without a leader, or no
// JetStream answering) are retried after a wait growing from fetchRetryMin
// to fetchRetryMax: a pull answered at once by "no responders" would
// otherwise be sent again thousands of times a second.
const (
	fetchRetryMin = 100 * time.Millisecond
	fetchRetryMax = 5 * time.Second
)

// outage is a run of failed fetches. It is logged when it starts and when
// it ends, not at each fetch.
type outage struct {
	since    time.Time
	failures int // fetches failed so far; 0: no outage
}

// failed counts a failed fetch and returns the wait before the next one.
func (o *outage) failed(log *zap.Logger, err error) time.Duration {
	if o.failures == 0 {
		o.since = time.Now()
		log.Warn("jobs unavailable: fetching less often until JetStream answers", zap.Error(err))
	}
	o.failures++
	return backoff.Jitter(fetchRetryMin, fetchRetryMax, o.failures)
}

// over ends the outage, if there was one.
func (o *outage) over(log *zap.Logger) {
	if o.failures == 0 {
		return
	}
	log.Info("jobs available again", zap.Duration("outage", time.Since(o.since)), zap.Int("failed_fetches", o.failures))
	*o = outage{}
}

// watchConnection cancels the running handlers if the connection closes
// (the fetch loop then ends too): their jobs can be neither settled nor
// recorded any more, and JetStream redelivers them after the ack wait.
func (c *Consumer) watchConnection(nc *nats.Conn) {
	closed := nc.StatusChanged(nats.CLOSED)
	defer nc.RemoveStatusListener(closed)
	select {
	case <-c.stopping:
		return
	case <-closed:
	}
	c.log.Error("stopped taking jobs: the NATS connection is closed")
	c.mu.Lock()
	defer c.mu.Unlock()
	for d := range c.inFlight {
		d.cancel()
	}
}

// takeFreeSlots takes every free slot without waiting, so one pull asks for
// as many jobs as can start now and none waits, its ack wait running, for a
// slot.
func (c *Consumer) takeFreeSlots() int {
	for n := 0; ; n++ {
		select {
		case c.slots <- struct{}{}:
		default:
			return n
		}
	}
}

func (c *Consumer) release(n int) {
	for range n {
		<-c.slots
	}
}

func (c *Consumer) run(msg jetstream.Msg) {
	defer c.running.Done()
	defer c.release(1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := c.start(msg, cancel)
	if d == nil {
		return
	}
	c.mu.Lock()
	late := c.handedBack // started as Stop gave up waiting
	if !late {
		c.inFlight[d] = struct{}{}
	}
	c.mu.Unlock()
	if late {
		d.settle(func() { c.handBack(d) })
		return
	}
	err := c.call(ctx, d)
	c.mu.Lock()
	delete(c.inFlight, d)
	c.mu.Unlock()
	if !d.settle(func() { c.finish(d, err) }) {
		d.log.Info("handler returned after its job was handed back; outcome ignored", zap.Error(err))
	}
}

// call runs the handler, turning a panic into an error so that one bad job
// does not take the worker and its other jobs down.
func (c *Consumer) call(ctx context.Context, d *Delivery) (err error) {
	defer func() {
		if r := recover(); r != nil {
			d.log.Error("job handler panicked", zap.Any("panic", r), zap.Stack("stack"))
			err = fmt.Errorf("handler panicked: %v", r)
		}
	}()
	return c.handler(ctx, d)
}
