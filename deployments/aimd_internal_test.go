package deployments

import (
	"testing"
	"time"
)

// TestAIMD: a 429 halves the parallelism once however many come back
// together, never under 1, and the cut pauses starts for its Retry-After;
// answers
// raise it by one per round, up to the ceiling.
func TestAIMD(t *testing.T) {
	a := newAIMD(8)
	if n, wait := a.room(3); n != 5 || wait != 0 {
		t.Fatalf("room %d, wait %s; want 5, 0", n, wait)
	}
	a.throttled(0)
	a.throttled(0) // the same burst: no second cut
	if n, _ := a.room(0); n != 4 {
		t.Fatalf("after a burst of 429s: room %d, want 4", n)
	}
	for range 4 { // one round at 4 in flight
		a.answered(200)
	}
	if n, _ := a.room(0); n != 5 {
		t.Fatalf("after a round of answers: room %d, want 5", n)
	}
	a.answered(503) // a server error does not raise it
	for range 100 {
		a.answered(200)
	}
	if n, _ := a.room(0); n != 8 {
		t.Fatalf("after many answers: room %d, want the ceiling 8", n)
	}
	a.lastCut = time.Time{} // a second later
	a.throttled(time.Hour)
	if n, wait := a.room(0); n != 0 || wait < 59*time.Minute {
		t.Fatalf("during a Retry-After: room %d, wait %s; want 0 and about an hour", n, wait)
	}
	if throttles, lowest := a.report(); throttles != 3 || lowest != 4 {
		t.Errorf("report %d, %d; want 3 429s, lowest 4", throttles, lowest)
	}
	one := newAIMD(1)
	one.throttled(0)
	if n, _ := one.room(0); n != 1 {
		t.Errorf("room %d under a 429 at parallelism 1, want 1", n)
	}
}
