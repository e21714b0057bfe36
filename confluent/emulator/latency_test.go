package emulator

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/shiftleft/shiftleft/confluent"
)

// TestLatency walks a statement and a pool through their phases on the fake
// clock: each phase lasts exactly the latency.
func TestLatency(t *testing.T) {
	const latency = 10 * time.Second
	h := start(t, Latency(latency), ExternalTables([]string{"src", "sink"}))
	var p confluent.ComputePool
	h.do("POST", pools, poolBody("p", 5)).want(t, http.StatusAccepted, &p)
	h.create("job", "INSERT INTO sink SELECT * FROM src")

	poolPhase := func() string {
		var got confluent.ComputePool
		h.do("GET", pools+"/"+p.ID+"?environment="+testEnv, nil).want(t, http.StatusOK, &got)
		return got.Status.Phase
	}
	// expect checks the phase just before and at the end of a latency.
	expect := func(before, after confluent.Phase) {
		t.Helper()
		h.clock.Advance(latency - time.Millisecond)
		if got, _ := h.phaseOf("job"); got != before {
			t.Fatalf("%s before the latency passed, want %s", got, before)
		}
		h.clock.Advance(time.Millisecond)
		if got, _ := h.phaseOf("job"); got != after {
			t.Fatalf("%s once the latency passed, want %s", got, after)
		}
	}

	if got := poolPhase(); got != confluent.PoolProvisioning {
		t.Fatalf("pool %s, want PROVISIONING", got)
	}
	expect(confluent.PhasePending, confluent.PhaseRunning)
	if got := poolPhase(); got != confluent.PoolProvisioned {
		t.Fatalf("pool %s, want PROVISIONED", got)
	}
	h.setStopped("job", true)
	expect(confluent.PhaseStopping, confluent.PhaseStopped)
	h.setStopped("job", false)
	expect(confluent.PhasePending, confluent.PhaseRunning)
	h.do("DELETE", stmts+"/job", nil).want(t, http.StatusAccepted, nil)
	h.clock.Advance(latency - time.Millisecond)
	if got, _ := h.phaseOf("job"); got != confluent.PhaseDeleting {
		t.Fatalf("%s, want DELETING", got)
	}
	h.clock.Advance(time.Millisecond)
	h.do("GET", stmts+"/job", nil).failure(t, http.StatusNotFound)
}

// TestZeroLatency: the create answers PENDING, the next request sees the
// result.
func TestZeroLatency(t *testing.T) {
	h := start(t)
	if st := h.create("ddl", "CREATE TABLE t (id INT)"); st.Status.Phase != confluent.PhasePending {
		t.Errorf("create answered %s, want PENDING", st.Status.Phase)
	}
	if phase, _ := h.phaseOf("ddl"); phase != confluent.PhaseCompleted {
		t.Errorf("next request sees %s, want COMPLETED", phase)
	}
}

// TestConcurrentRequests runs clients in parallel on the real clock, with
// the background timer: no 500s, no races, every statement ends somewhere.
func TestConcurrentRequests(t *testing.T) {
	emu, err := New(Latency(time.Millisecond), ExternalTables([]string{"src", "sink"}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(func() {
		srv.Close()
		_ = emu.Close()
	})
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				name := fmt.Sprintf("w%d-%d", w, i)
				for _, req := range []struct{ method, path, body string }{
					{"POST", stmts, fmt.Sprintf(`{"name":%q,"spec":{"statement":"INSERT INTO sink SELECT * FROM src"}}`, name)},
					{"GET", stmts + "/" + name, ""},
					{"PATCH", stmts + "/" + name, `[{"op":"replace","path":"/spec/stopped","value":true}]`},
					{"GET", stmts + "?page_size=5", ""},
					{"DELETE", stmts + "/" + name, ""},
				} {
					res, err := send(srv.URL, req.method, req.path, req.body)
					if err != nil || res.status >= 500 {
						errs <- fmt.Sprintf("%s %s: %v %d %s", req.method, req.path, err, res.status, short(res.body))
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if c := emu.Counters(); len(c.Creates) != 160 {
		t.Errorf("%d statements created, want 160", len(c.Creates))
	}
}
