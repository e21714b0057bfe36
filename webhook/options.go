package webhook

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Option configures a [Handler]; a bad value makes [New] fail with an error
// wrapping [ErrInvalidOption].
type Option func(*options) error

type options struct {
	ready func(context.Context) error
}

// WithReadiness sets the check behind /readyz (e.g. "NATS is connected"):
// ready while it returns nil, 503 with its error otherwise. Without it the
// handler is ready as soon as it serves.
func WithReadiness(check func(context.Context) error) Option {
	return func(o *options) error {
		if check == nil {
			return fmt.Errorf("%w: nil readiness check", ErrInvalidOption)
		}
		o.ready = check
		return nil
	}
}

// Cached runs check at most once every interval and gives every caller
// meanwhile its last result, so a probe asked often (by each load balancer
// and orchestrator) costs one check per interval. Callers arriving during a
// check wait for its result. The check runs without the caller's
// cancellation: a prober that gave up must not leave a failure behind for
// the next one.
func Cached(interval time.Duration, check func(context.Context) error) func(context.Context) error {
	var (
		mu   sync.Mutex
		at   time.Time
		last error
	)
	return func(ctx context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		if !at.IsZero() && time.Since(at) < interval {
			return last
		}
		last = check(context.WithoutCancel(ctx))
		at = time.Now()
		return last
	}
}
