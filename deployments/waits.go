package deployments

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shiftleft/shiftleft/confluent"
)

// waitEstimates learn how long a run's statements take to reach a phase,
// by what is waited for (a DDL completing, a DML running), so that a wait
// reads the statement first when it is likely there, not at the client's
// first poll interval: under a rate limit every early read is a call
// another statement needed.
type waitEstimates struct {
	mu  sync.Mutex
	avg map[string]time.Duration // exponential moving average, by phases waited for
}

// Estimates weigh the newest wait by 1/waitWeight; a wait begins by
// sleeping waitShare of the estimate, at most maxWaitSleep.
const (
	waitWeight   = 5
	waitShare    = 0.8
	maxWaitSleep = 10 * time.Second
)

func waitKey(want []confluent.Phase) string {
	keys := make([]string, len(want))
	for i, p := range want {
		keys[i] = string(p)
	}
	slices.Sort(keys)
	return strings.Join(keys, ",")
}

// first is how long a wait for want sleeps before its first read.
func (w *waitEstimates) first(want []confluent.Phase) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return min(time.Duration(float64(w.avg[waitKey(want)])*waitShare), maxWaitSleep)
}

// observe records that a wait for want took took.
func (w *waitEstimates) observe(want []confluent.Phase, took time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.avg == nil {
		w.avg = map[string]time.Duration{}
	}
	key := waitKey(want)
	if avg, ok := w.avg[key]; ok {
		w.avg[key] = avg + (took-avg)/waitWeight
	} else {
		w.avg[key] = took
	}
}
