package confluent

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestWaitForPhase(t *testing.T) {
	one := stmtPath + "/orders-v2"
	unavailable := exchange{method: "GET", path: one, status: 503, resp: failureJSON(503, "", "Service Unavailable", "")}
	get := func(phase Phase, detail string) exchange {
		return exchange{method: "GET", path: one, status: 200, resp: statementJSON("orders-v2", testSQL, phase, detail, "1")}
	}
	// Listed oldest first on purpose: the newest is found by timestamp.
	exceptions := exchange{method: "GET", path: one + "/exceptions", status: 200, resp: `{"api_version":"sql/v1","kind":"StatementExceptionList","metadata":{"self":"https://x"},"data":[
		{"kind":"StatementException","name":"java.lang.RuntimeException","message":"older","timestamp":"2026-03-02T10:15:20Z"},
		{"kind":"StatementException","name":"org.apache.flink.table.api.ValidationException","message":"Table 'customers' not found","timestamp":"2026-03-02T10:15:29Z"}]}`}

	tests := []struct {
		name       string
		script     []exchange
		want       []Phase
		timeout    time.Duration
		wantPhase  Phase
		wantFailed *StatementFailedError
		wantErr    error
		wantInErr  string
		faulty     bool // answers off the spec (503s)
	}{
		{
			// More 503s than the client's retries: the wait reads again, as
			// the statement may be running.
			name: "reads that keep failing are made again",
			script: []exchange{get(PhasePending, ""), unavailable, unavailable, unavailable, unavailable,
				unavailable, get(PhaseRunning, "")},
			want:      []Phase{PhaseRunning},
			wantPhase: PhaseRunning,
			faulty:    true,
		},
		{
			name:      "reaches RUNNING",
			script:    []exchange{get(PhasePending, ""), get(PhasePending, "waiting for compute pool"), get(PhaseRunning, "")},
			want:      []Phase{PhaseRunning, PhaseCompleted},
			wantPhase: PhaseRunning,
		},
		{
			name:       "FAILED with a detail",
			script:     []exchange{get(PhasePending, ""), get(PhaseFailed, "Table 'customers' not found")},
			want:       []Phase{PhaseRunning},
			wantFailed: &StatementFailedError{Name: "orders-v2", Phase: PhaseFailed, Detail: "Table 'customers' not found"},
		},
		{
			name:       "FAILING without a detail: the newest exception",
			script:     []exchange{get(PhaseFailing, ""), exceptions},
			want:       []Phase{PhaseRunning},
			wantFailed: &StatementFailedError{Name: "orders-v2", Phase: PhaseFailing, Detail: "Table 'customers' not found"},
		},
		{
			name:      "FAILED when it is wanted",
			script:    []exchange{get(PhaseFailed, "boom")},
			want:      []Phase{PhaseFailed},
			wantPhase: PhaseFailed,
		},
		{
			name:      "an unknown phase is waited through",
			script:    []exchange{get("RESTARTING", ""), get(PhaseRunning, "")},
			want:      []Phase{PhaseRunning},
			wantPhase: PhaseRunning,
		},
		{
			name:      "an unknown phase can be wanted",
			script:    []exchange{get(PhasePending, ""), get("SUSPENDED", "")},
			want:      []Phase{"SUSPENDED"},
			wantPhase: "SUSPENDED",
		},
		{
			name:      "the deadline names the last phase",
			script:    []exchange{func() exchange { e := get(PhasePending, ""); e.forever = true; return e }()},
			want:      []Phase{PhaseRunning},
			timeout:   50 * time.Millisecond,
			wantErr:   context.DeadlineExceeded,
			wantInErr: "last phase PENDING",
		},
		{
			name:    "no phase to wait for",
			wantErr: ErrInvalidRequest,
		},
		{
			name:    "a missing statement ends the wait",
			script:  []exchange{{method: "GET", path: one, status: 404, resp: failureJSON(404, "", "Not Found", "")}},
			want:    []Phase{PhaseRunning},
			wantErr: ErrStatementNotFound,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := newScript(t, tt.script...)
			client := newTestClient
			if tt.faulty {
				client = newFaultyClient
			}
			c := client(t, srv.URL)
			ctx := testCtx(t)
			if tt.timeout > 0 {
				ctx = ctxWithin(t, tt.timeout)
			}
			st, err := c.WaitForPhase(ctx, "orders-v2", tt.want...)
			if tt.wantFailed != nil {
				var failed *StatementFailedError
				if !errors.As(err, &failed) || *failed != *tt.wantFailed {
					t.Fatalf("got %#v (%v), want %#v", failed, err, tt.wantFailed)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), tt.wantInErr) {
					t.Errorf("error %q does not say %q", err, tt.wantInErr)
				}
				return
			}
			if got := st.Status.Phase; got != tt.wantPhase {
				t.Errorf("phase %s, want %s", got, tt.wantPhase)
			}
		})
	}
}

func TestWaitForDeletion(t *testing.T) {
	one := stmtPath + "/orders-v2"
	deleting := exchange{method: "GET", path: one, status: 200, resp: statementJSON("orders-v2", testSQL, PhaseDeleting, "", "2")}
	gone := exchange{method: "GET", path: one, status: 404, resp: failureJSON(404, "", "Not Found", "")}
	stuck := deleting
	stuck.forever = true

	tests := []struct {
		name      string
		script    []exchange
		timeout   time.Duration
		wantErr   error
		wantInErr string
	}{
		{name: "gone after DELETING", script: []exchange{deleting, deleting, gone}},
		{name: "gone at once", script: []exchange{gone}},
		{
			name:      "still DELETING at the deadline",
			script:    []exchange{stuck},
			timeout:   50 * time.Millisecond,
			wantErr:   context.DeadlineExceeded,
			wantInErr: "last phase DELETING",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := newScript(t, tt.script...)
			c := newTestClient(t, srv.URL)
			ctx := testCtx(t)
			if tt.timeout > 0 {
				ctx = ctxWithin(t, tt.timeout)
			}
			err := c.WaitForDeletion(ctx, "orders-v2")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), tt.wantInErr) {
				t.Errorf("error %q does not say %q", err, tt.wantInErr)
			}
		})
	}
}
