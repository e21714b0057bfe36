package deployments

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/planner"
)

// Status is how an action ended.
type Status string

const (
	// StatusSkipped: a skip action, which does nothing.
	StatusSkipped Status = "skipped"
	// StatusSucceeded: every step of the action is done.
	StatusSucceeded Status = "succeeded"
	// StatusCancelled: the run's context ended before the action started
	// or while it ran.
	StatusCancelled Status = "cancelled"
	// StatusBlocked: an action it waits for, directly or not, failed, so it
	// was not run.
	StatusBlocked Status = "blocked"
	// StatusFailed: a step failed; the action's Error says which and why.
	StatusFailed Status = "failed"
)

// statusOrder lists the statuses from best to worst: a result's status is
// its worst action's.
var statusOrder = []Status{StatusSkipped, StatusSucceeded, StatusCancelled, StatusBlocked, StatusFailed}

func (s Status) worse(than Status) bool {
	return slices.Index(statusOrder, s) > slices.Index(statusOrder, than)
}

// ok reports whether the action left nothing undone.
func (s Status) ok() bool { return s == StatusSkipped || s == StatusSucceeded }

// Result is what a run did, one entry per action in plan order.
type Result struct {
	// Status is the worst status of the actions; skipped for an empty plan.
	Status  Status         `json:"status"`
	Commit  string         `json:"commit,omitempty"`
	Started time.Time      `json:"started"`
	Wall    Duration       `json:"wall"`
	Totals  Totals         `json:"totals"`
	Actions []ActionResult `json:"actions"`
	// Verified says what runs was read back after the run; OutOfSync lists
	// the tables that were then not as the plan expects ([planner.Verify]).
	Verified  bool                  `json:"verified"`
	OutOfSync []planner.TableStatus `json:"out_of_sync,omitempty"`
	// Health says, once verified, which tables run, run degraded, or were
	// running and left unchanged.
	Health *Health `json:"health,omitempty"`
	// Throttled counts the API's 429 answers during the run, retries
	// included; LowestParallel is the parallelism they brought it down to.
	Throttled      int `json:"throttled,omitempty"`
	LowestParallel int `json:"lowest_parallel,omitempty"`
}

// Failed reports whether an action failed, or was blocked or cancelled, or
// a table was not in sync after the run.
func (r *Result) Failed() bool { return !r.Status.ok() || len(r.OutOfSync) > 0 }

// Totals counts the actions by status.
type Totals struct {
	Actions   int `json:"actions"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	Blocked   int `json:"blocked"`
	Cancelled int `json:"cancelled"`
	Skipped   int `json:"skipped"`
}

func (t *Totals) add(s Status) {
	t.Actions++
	switch s {
	case StatusSucceeded:
		t.Succeeded++
	case StatusFailed:
		t.Failed++
	case StatusBlocked:
		t.Blocked++
	case StatusCancelled:
		t.Cancelled++
	case StatusSkipped:
		t.Skipped++
	}
}

// ActionResult is what happened to one table.
type ActionResult struct {
	Table  string             `json:"table"`
	Action planner.ActionKind `json:"action"`
	Reason string             `json:"reason"`
	Status Status             `json:"status"`
	// Statements are the statements the action's steps touched, in step
	// order.
	Statements []string `json:"statements,omitempty"`
	// FinalPhase is the phase of the last statement the action created or
	// found deployed: its DML's, else its DDL's.
	FinalPhase    confluent.Phase `json:"final_phase,omitempty"`
	ComputePoolID string          `json:"compute_pool_id,omitempty"`
	// BlockedBy is the failed table that kept a blocked action from running.
	BlockedBy string   `json:"blocked_by,omitempty"`
	Duration  Duration `json:"duration"`
	Error     string   `json:"error,omitempty"`
	// Err is the error itself, for errors.Is and errors.As: a FAILED
	// statement's is a *confluent.StatementFailedError.
	Err error `json:"-"`
}

// Duration is a time.Duration written in JSON as text, "1.5s".
type Duration struct{ time.Duration }

// MarshalJSON writes the duration as time.Duration.String does.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads what MarshalJSON writes.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	d.Duration = v
	return nil
}

// rounded keeps milliseconds: finer digits are noise in a report.
func rounded(d time.Duration) Duration { return Duration{d.Round(time.Millisecond)} }
