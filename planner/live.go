package planner

import "time"

// Live is what runs on Confluent Cloud now, as the deployments package reads
// it: the environment's statements and compute pools.
type Live struct {
	// Statements by name.
	Statements map[string]Statement
	Pools      []ComputePool
	// Tables, when not nil, says the statements were read for these tables
	// only (the pools always all): a plan that needs another table's fails
	// with ErrUnread rather than take it for not deployed.
	Tables map[string]bool
	// Elsewhere, with Tables, is how many statements the read left out, as
	// the reader estimates them (a count of every statement made a little
	// before); -1 when it cannot say, and then a plan that adds statements
	// fails with ErrUnread, as the quota is the whole environment's.
	Elsewhere int
	// versions indexes the statements named like DML versions by stem
	// (Live.indexed).
	versions map[string][]version
	// current is the live physical version of each table, by table label
	// (Live.indexed).
	current map[string]int
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
	// SQL is the statement's SQL: which table a statement shiftleft did
	// not make writes is read from it.
	SQL string
	// OffsetsFrom is its sql.tables.initial-offset-from property: the
	// statement whose offsets it carries over.
	OffsetsFrom string
	// Version is the physical version of the table it belongs to (label
	// shiftleft.version); 0 for version 1.
	Version int
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

// Count is how many statements take a place in the environment's quota:
// all but those being deleted (of those read only, when Tables says the
// read was scoped).
func (l *Live) Count() int {
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
