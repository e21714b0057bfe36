package planner

import "time"

// Live is what runs on Confluent Cloud now, as the deployments package reads
// it: the environment's statements and compute pools.
type Live struct {
	// Statements by name.
	Statements map[string]Statement
	Pools      []ComputePool
}

// Statement is a statement as the plan needs it.
type Statement struct {
	Name          string
	Phase         string
	ComputePoolID string
	// Fingerprint is the fingerprint label shiftleft puts on the statements
	// it creates; "" for statements made by other tools.
	Fingerprint string
	// Table is the table label shiftleft puts on the statements it creates
	// (a label value: see deployments.LabelTable); "" for other tools'.
	Table string
	// Detail is Flink's status.detail: why a statement failed or degraded.
	Detail string
	// CreatedAt orders a table's statements against its parents' and its
	// drop: what ran after what is how an interrupted deploy is told from a
	// finished one.
	CreatedAt time.Time
	// Origin, on a DML, is the DDL that created its table, which a deploy
	// deletes once the DML runs (see [Origin]); nil when it carries none.
	Origin *Origin
}

// ComputePool is a pool as the plan needs it.
type ComputePool struct {
	ID         string
	Name       string
	Phase      string
	CurrentCFU int
	MaxCFU     int
}

// Statement phases the plan tells apart (Confluent's names).
const (
	PhasePending   = "PENDING"
	PhaseRunning   = "RUNNING"
	PhaseCompleted = "COMPLETED"
	PhaseDegraded  = "DEGRADED"
	PhaseFailed    = "FAILED"
	PhaseFailing   = "FAILING"
	PhaseStopped   = "STOPPED"
	PhaseStopping  = "STOPPING"
	PhaseDeleting  = "DELETING"
	PoolReady      = "PROVISIONED"
)

// running is shift_left's is_running: a DML statement RUNNING, PENDING or
// COMPLETED (a bounded DML that finished) counts as deployed.
func running(st *Statement) bool {
	if st == nil {
		return false
	}
	switch st.Phase {
	case PhaseRunning, PhasePending, PhaseCompleted, PhaseDegraded:
		return true
	}
	return false
}

// liveStatements counts the statements that take a place in the
// environment's quota: all but those being deleted.
func (l *Live) liveStatements() int {
	n := 0
	for _, st := range l.Statements {
		if st.Phase != PhaseDeleting {
			n++
		}
	}
	return n
}

func (l *Live) statement(name string) *Statement {
	if st, ok := l.Statements[name]; ok {
		return &st
	}
	return nil
}
