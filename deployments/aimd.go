package deployments

import (
	"sync"
	"time"

	"github.com/shiftleft/shiftleft/confluent"
)

// cutInterval is how often a run's parallelism may be halved: the 429s
// answering the calls that were in flight when the first came back are
// answers to the same pace, not news, and must cut it once.
const cutInterval = time.Second

// aimd is a run's parallelism, adapting to the API's rate limit by
// additive increase, multiplicative decrease: a 429 halves it (at most once
// per cutInterval, never under 1) and pauses starting actions for its
// Retry-After; a full round of answers (as many as the parallelism) adds
// one, up to the ceiling (WithMaxParallel).
type aimd struct {
	ceiling int
	// wake is told, without blocking, that more actions may start: the
	// limit rose.
	wake chan struct{}

	mu        sync.Mutex
	limit     int
	acks      int // answers since the limit last changed
	lowest    int
	throttles int
	pause     time.Time // no action starts before then
	lastCut   time.Time
}

func newAIMD(ceiling int) *aimd {
	return &aimd{ceiling: ceiling, limit: ceiling, lowest: ceiling, wake: make(chan struct{}, 1)}
}

// trace is what the run's calls report their answers to.
func (a *aimd) trace() *confluent.Trace {
	return &confluent.Trace{Throttled: a.throttled, Answered: a.answered}
}

func (a *aimd) throttled(retryAfter time.Duration) {
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.throttles++
	if now.Sub(a.lastCut) < cutInterval {
		return
	}
	a.limit, a.acks, a.lastCut = max(1, a.limit/2), 0, now
	a.lowest = min(a.lowest, a.limit)
	if until := now.Add(retryAfter); until.After(a.pause) {
		a.pause = until
	}
}

func (a *aimd) answered(status int) {
	if status >= 500 {
		return // a server error says nothing of the pace
	}
	a.mu.Lock()
	a.acks++
	rose := a.acks >= a.limit && a.limit < a.ceiling
	if rose {
		a.limit, a.acks = a.limit+1, 0
	}
	a.mu.Unlock()
	if rose {
		select {
		case a.wake <- struct{}{}:
		default:
		}
	}
}

// room is how many more actions may start besides inFlight; when none may
// because of a Retry-After, wait is how long until they may.
func (a *aimd) room(inFlight int) (n int, wait time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if wait := time.Until(a.pause); wait > 0 {
		return 0, wait
	}
	return a.limit - inFlight, 0
}

// report is what the run saw of the rate limit: nothing when no 429 came.
func (a *aimd) report() (throttles, lowest int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.throttles == 0 {
		return 0, 0
	}
	return a.throttles, a.lowest
}
