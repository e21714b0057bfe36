package webhook

import (
	"context"
	"fmt"
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
