package confluent

import (
	"time"

	"github.com/shiftleft/shiftleft/internal/backoff"
)

// delay is the wait after n failed attempts: the answer's Retry-After
// (integer seconds, as the fcpm spec declares it) when it has one, else a
// random time up to BaseDelay·2ⁿ⁻¹ (full jitter); never more than MaxDelay.
func (p RetryPolicy) delay(n int, retryAfter string) time.Duration {
	if d := retryAfterOf(retryAfter); d > 0 {
		return min(d, p.MaxDelay)
	}
	return backoff.Jitter(p.BaseDelay, p.MaxDelay, n)
}
