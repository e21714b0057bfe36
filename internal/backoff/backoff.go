// Package backoff holds the waits the API clients share: exponential delays
// with full jitter, and a sleep that ends with its context.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Jitter is the wait after attempt failed attempts (1 for the first): a
// random time up to base·2^(attempt-1), never more than max. Full jitter, so
// that clients throttled together do not come back together.
func Jitter(base, max time.Duration, attempt int) time.Duration {
	ceiling := base
	for i := 1; i < attempt && ceiling < max; i++ {
		ceiling *= 2
	}
	return rand.N(min(ceiling, max)) + 1
}

// Sleep waits d, or returns ctx.Err() when ctx ends first.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
