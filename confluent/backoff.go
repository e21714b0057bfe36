package confluent

import (
	"strconv"
	"strings"
	"time"

	"github.com/shiftleft/shiftleft/internal/backoff"
)

// delay is the wait after n failed attempts: the answer's Retry-After
// (integer seconds, as the fcpm spec declares it) when it has one, else a
// random time up to BaseDelay·2ⁿ⁻¹ (full jitter); never more than MaxDelay.
func (p RetryPolicy) delay(n int, retryAfter string) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(retryAfter)); err == nil && s > 0 {
		if s >= int(p.MaxDelay/time.Second) {
			return p.MaxDelay
		}
		return time.Duration(s) * time.Second
	}
	return backoff.Jitter(p.BaseDelay, p.MaxDelay, n)
}
