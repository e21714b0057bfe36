package confluent

import (
	"context"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// delay is the wait after n failed attempts: the answer's Retry-After
// (integer seconds, as the fcpm spec declares it) when it has one, else a
// random time up to BaseDelay·2ⁿ⁻¹ (full jitter, so that clients throttled
// together do not come back together); never more than MaxDelay.
func (p RetryPolicy) delay(n int, retryAfter string) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(retryAfter)); err == nil && s > 0 {
		if s >= int(p.MaxDelay/time.Second) {
			return p.MaxDelay
		}
		return time.Duration(s) * time.Second
	}
	ceiling := p.BaseDelay
	for i := 1; i < n && ceiling < p.MaxDelay; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, p.MaxDelay)
	return time.Duration(rand.Int64N(int64(ceiling))) + 1
}

// sleep waits d, or returns ctx.Err() when ctx ends first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
