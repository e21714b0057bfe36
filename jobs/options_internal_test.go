package jobs

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestNewOptions(t *testing.T) {
	o, err := newOptions(nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.stream != "SHIFTLEFT_JOBS" || o.subjectPrefix != "shiftleft.jobs" || o.consumer != "shiftleft-workers" ||
		o.jobsBucket != "shiftleft-jobs" || o.locksBucket != "shiftleft-locks" || o.deployedBucket != "shiftleft-deployed" ||
		o.ackWait != 2*time.Minute || o.maxDeliver != 5 || o.duplicates != 10*time.Minute || o.replicas != 0 || o.retention != 30*24*time.Hour || o.maxAckPending != 1000 ||
		!slices.Equal(o.backoff, []time.Duration{10 * time.Second, time.Minute, 5 * time.Minute}) {
		t.Errorf("defaults = %+v", o)
	}

	tests := []struct {
		name    string
		opt     Option
		wantErr error
	}{
		{"stream", WithStream("JOBS_2", "ci.jobs"), nil},
		{"stream name with a dot", WithStream("A.B", "ci.jobs"), ErrInvalidOption},
		{"subject prefix with a wildcard", WithStream("A", "ci.*"), ErrInvalidOption},
		{"subject prefix ending in a dot", WithStream("A", "ci."), ErrInvalidOption},
		{"consumer", WithConsumer("w"), nil},
		{"consumer with a space", WithConsumer("my workers"), ErrInvalidOption},
		{"buckets", WithBuckets("j", "l", "d"), nil},
		{"buckets sharing a name", WithBuckets("j", "j", "d"), ErrInvalidOption},
		{"bucket with a slash", WithBuckets("j/1", "l", "d"), ErrInvalidOption},
		{"zero ack wait", WithAckWait(0), ErrInvalidOption},
		{"zero max deliver", WithMaxDeliver(0), ErrInvalidOption},
		{"empty backoff", WithBackoff(), ErrInvalidOption},
		{"negative backoff", WithBackoff(time.Second, -time.Second), ErrInvalidOption},
		{"zero max ack pending", WithMaxAckPending(0), ErrInvalidOption},
		{"zero duplicate window", WithDuplicateWindow(0), ErrInvalidOption},
		{"six replicas", WithReplicas(6), ErrInvalidOption},
		{"retention", WithRetention(7 * 24 * time.Hour), nil},
		{"retention forever", WithRetention(0), nil},
		{"retention under a second", WithRetention(time.Millisecond), ErrInvalidOption},
		{"negative retention", WithRetention(-time.Hour), ErrInvalidOption},
		{"nil outcome func", WithOutcome(nil), ErrInvalidOption},
		{"nil logger", WithLogger(nil), ErrInvalidOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := newOptions([]Option{tt.opt}); !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("newOptions = %v; want %v", err, tt.wantErr)
			}
		})
	}
}

func TestRetryDelay(t *testing.T) {
	q := &Queue{opts: &options{backoff: []time.Duration{time.Second, time.Minute}}}
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: time.Minute, 3: time.Minute, 9: time.Minute} {
		if got := q.retryDelay(attempt); got != want {
			t.Errorf("retryDelay(%d) = %s; want %s", attempt, got, want)
		}
	}
}
