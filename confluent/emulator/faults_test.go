package emulator

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shiftleft/shiftleft/confluent"
)

const createRoute = "POST /sql/v1/organizations/{org}/environments/{env}/statements"

func (h *harness) setFaults(f Faults) {
	h.t.Helper()
	h.do("POST", "/_emulator/faults", f).want(h.t, http.StatusOK, nil)
}

func (h *harness) counters() Counters {
	h.t.Helper()
	var c Counters
	h.do("GET", "/_emulator/counters", nil).want(h.t, http.StatusOK, &c)
	return c
}

// TestErrorRate injects 429 and 503 into a fifth of the requests: about 10%
// each, with Retry-After, and a faulted create creates nothing.
func TestErrorRate(t *testing.T) {
	h := start(t, Seed(42))
	h.setFaults(Faults{ErrorRate: 0.2, RetryAfterSeconds: 2})
	const n = 2000
	count := map[int]int{}
	created := map[string]bool{}
	for i := range n {
		name := fmt.Sprintf("s-%d", i)
		res := h.do("POST", stmts, createBody(name, "SELECT 1"))
		count[res.status]++
		switch res.status {
		case http.StatusCreated:
			created[name] = true
		case http.StatusTooManyRequests, http.StatusServiceUnavailable:
			if res.header.Get("Retry-After") != "2" {
				t.Fatalf("Retry-After %q", res.header.Get("Retry-After"))
			}
			if res.status == http.StatusTooManyRequests {
				if len(res.body) != 0 {
					t.Fatalf("429 with a body, which the specs do not declare: %s", res.body)
				}
			} else {
				res.failure(t, res.status)
			}
		default:
			t.Fatalf("status %d: %s", res.status, short(res.body))
		}
	}
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		// Binomial(2000, 0.1): mean 200, sd 13.4; 5 sd either side.
		if got := count[status]; math.Abs(float64(got)-200) > 67 {
			t.Errorf("%d answered %d times, want about 200", status, got)
		}
	}
	h.setFaults(Faults{})
	var list confluent.StatementList
	listed := 0
	for next := stmts + "?page_size=100"; next != ""; next = strings.TrimPrefix(list.Metadata.Next, h.srv.URL) {
		list = confluent.StatementList{}
		h.do("GET", next, nil).want(t, http.StatusOK, &list)
		for _, st := range list.Data {
			if !created[st.Name] {
				t.Errorf("%s exists, yet its create was faulted", st.Name)
			}
			listed++
		}
	}
	c := h.counters()
	if listed != len(created) || len(c.Creates) != len(created) || c.Requests[createRoute] != n {
		t.Errorf("listed %d, created %d, counted %d creates and %d requests", listed, len(created), len(c.Creates),
			c.Requests[createRoute])
	}
}

// TestSeededFaultsRepeat: the same seed and requests give the same faults.
func TestSeededFaultsRepeat(t *testing.T) {
	run := func() string {
		h := start(t, Seed(9))
		h.setFaults(Faults{ErrorRate: 0.5})
		var b strings.Builder
		for range 50 {
			fmt.Fprint(&b, h.do("GET", stmts, nil).status, " ")
		}
		return b.String()
	}
	if a, b := run(), run(); a != b {
		t.Errorf("different faults with the same seed:\n%s\n%s", a, b)
	}
}

// TestLostResponses applies every change and answers 503: a retried create
// meets 409, and the statement was created once.
func TestLostResponses(t *testing.T) {
	h := start(t)
	h.setFaults(Faults{LostResponseRate: 1})
	h.do("POST", stmts, createBody("s1", "CREATE TABLE t (id INT)")).failure(t, http.StatusServiceUnavailable)
	h.get("s1") // reads are never lost
	h.setFaults(Faults{})
	e := h.do("POST", stmts, createBody("s1", "CREATE TABLE t (id INT)")).failure(t, http.StatusConflict)
	if e.Code != codeAlreadyExists {
		t.Errorf("retry: code %q", e.Code)
	}
	h.setFaults(Faults{LostResponseRate: 1})
	h.do("DELETE", stmts+"/s1", nil).failure(t, http.StatusServiceUnavailable)
	h.setFaults(Faults{})
	h.do("GET", stmts+"/s1", nil).failure(t, http.StatusNotFound)
	c := h.counters()
	if c.Creates["s1"] != 1 || c.Requests[createRoute] != 2 {
		t.Errorf("counters %+v", c)
	}
}

func TestLostResponseRate(t *testing.T) {
	h := start(t, Seed(5))
	h.setFaults(Faults{LostResponseRate: 0.3})
	lost := 0
	const n = 1000
	for i := range n {
		switch res := h.do("POST", stmts, createBody(fmt.Sprintf("s-%d", i), "SELECT 1")); res.status {
		case http.StatusServiceUnavailable:
			lost++
		case http.StatusCreated:
		default:
			t.Fatalf("status %d", res.status)
		}
	}
	// Binomial(1000, 0.3): mean 300, sd 14.5.
	if math.Abs(float64(lost)-300) > 73 {
		t.Errorf("%d answers lost, want about 300", lost)
	}
	if c := h.counters(); len(c.Creates) != n {
		t.Errorf("%d statements created, want all %d", len(c.Creates), n)
	}
}

func TestSlowAnswers(t *testing.T) {
	h := start(t)
	h.setFaults(Faults{SlowMS: 300})
	began := time.Now()
	h.do("GET", stmts, nil).want(t, http.StatusOK, nil)
	if d := time.Since(began); d < 300*time.Millisecond {
		t.Errorf("answered in %s, want at least 300ms", d)
	}
	began = time.Now()
	h.do("GET", "/_emulator/state", nil).want(t, http.StatusOK, nil)
	if d := time.Since(began); d >= 300*time.Millisecond {
		t.Errorf("admin route slowed: %s", d)
	}
}

// TestFailStatements fails a named statement: FAILING, then FAILED a
// latency later, with the detail and an exception; whether it was running
// or created afterwards.
func TestFailStatements(t *testing.T) {
	h := start(t, Latency(time.Second), ExternalTables([]string{"src", "sink"}))
	h.create("running", "INSERT INTO sink SELECT * FROM src")
	h.settle()
	h.setFaults(Faults{FailStatements: map[string]string{
		"running": "java.io.IOException: disk full", "later": "Out of memory"}})
	h.create("later", "INSERT INTO sink SELECT * FROM src")
	h.create("spared", "INSERT INTO sink SELECT * FROM src")
	if phase, _ := h.phaseOf("running"); phase != confluent.PhaseFailing {
		t.Errorf("running is %s, want FAILING", phase)
	}
	h.clock.Advance(time.Second)
	for name, detail := range map[string]string{"running": "disk full", "later": "Out of memory"} {
		if phase, got := h.phaseOf(name); phase != confluent.PhaseFailing && phase != confluent.PhaseFailed ||
			!strings.Contains(got, detail) {
			t.Errorf("%s: %s %q", name, phase, got)
		}
	}
	h.settle()
	for name, detail := range map[string]string{"running": "disk full", "later": "Out of memory"} {
		phase, got := h.phaseOf(name)
		ex := h.exceptions(name)
		if phase != confluent.PhaseFailed || !strings.Contains(got, detail) || len(ex) != 1 || ex[0].Message != got {
			t.Errorf("%s: %s %q, exceptions %+v", name, phase, got, ex)
		}
	}
	if phase, _ := h.phaseOf("spared"); phase != confluent.PhaseRunning {
		t.Errorf("spared is %s", phase)
	}
}

// TestAdminNeverFaulted: with every request faulted, admin routes answer,
// without credentials.
func TestAdminNeverFaulted(t *testing.T) {
	h := start(t, Credentials("k", "s"))
	h.setFaults(Faults{ErrorRate: 1})
	for range 20 {
		h.do("GET", "/_emulator/state", nil, "Authorization", "").want(t, http.StatusOK, nil)
	}
	res := h.do("GET", stmts, nil, "Authorization", "Basic "+basic("k", "s"))
	if res.status != http.StatusTooManyRequests && res.status != http.StatusServiceUnavailable {
		t.Errorf("status %d with error_rate 1", res.status)
	}
}

func TestBadFaults(t *testing.T) {
	tests := []struct {
		body    string
		pointer string
	}{
		{`{"error_rate": 1.5}`, "/error_rate"},
		{`{"error_rate": -0.1}`, "/error_rate"},
		{`{"lost_response_rate": 2}`, "/lost_response_rate"},
		{`{"retry_after_seconds": -1}`, "/retry_after_seconds"},
		{`{"slow_ms": 600000}`, "/slow_ms"},
		{`{"fail_statements": {"": "x"}}`, "/fail_statements"},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			h := start(t)
			e := h.do("POST", "/_emulator/faults", tt.body).failure(t, http.StatusUnprocessableEntity)
			if e.Source == nil || e.Source.Pointer != tt.pointer {
				t.Errorf("source %+v", e.Source)
			}
			if err := h.emu.SetFaults(Faults{ErrorRate: 2}); err == nil {
				t.Error("SetFaults accepted error_rate 2")
			}
		})
	}
	h := start(t)
	h.do("POST", "/_emulator/faults", `{"error_rate":`).failure(t, http.StatusBadRequest)
	var f Faults
	h.do("GET", "/_emulator/faults", nil).want(t, http.StatusOK, &f)
	if f.ErrorRate != 0 {
		t.Errorf("faults %+v after a bad request", f)
	}
}
