package planner

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/shiftleft/shiftleft/inventory"
)

// SyncState is how a table's live statements compare with what the tree
// wants of it, from best to worst as an operator reads them.
type SyncState string

const (
	// InSync: its DML (a table without DML: its DDL) runs, or finished, the
	// tree's SQL.
	InSync SyncState = "in-sync"
	// Pending: its statement carries the tree's SQL but does not run yet.
	Pending SyncState = "pending"
	// Degraded: it runs the tree's SQL, unhealthy (Flink's DEGRADED).
	Degraded SyncState = "degraded"
	// Changed: it runs other SQL, or SQL shiftleft did not deploy.
	Changed SyncState = "changed"
	// Stopped: its statement is stopped (or stopping).
	Stopped SyncState = "stopped"
	// Missing: no statement runs it, or its table was dropped and not
	// created again.
	Missing SyncState = "missing"
	// Failed: its statement FAILED (or is failing).
	Failed SyncState = "failed"
	// Orphaned: a statement shiftleft made for a table the tree no longer
	// has (or that a plan dropped).
	Orphaned SyncState = "orphaned"
	// Unmanaged: a statement shiftleft did not make (it carries none of
	// its labels) that writes or creates a table of the tree: made in the
	// console or by another tool.
	Unmanaged SyncState = "unmanaged"
)

// SyncStates are the states, in the order above.
var SyncStates = []SyncState{InSync, Pending, Degraded, Changed, Stopped, Missing, Failed, Orphaned, Unmanaged}

// Desired is what one table must have on Confluent Cloud: its statements
// and the fingerprint they carry.
type Desired struct {
	Table string `json:"table"`
	// DDL and DML name its statements; DML is "" for a table without DML.
	DDL string `json:"ddl"`
	DML string `json:"dml,omitempty"`
	// Drop names the helper statement that drops its table.
	Drop string `json:"drop"`
	// DDLRef is its DDL file: a deploy deletes the DDL statement only when
	// running that file again is a no-op (see [Origin]).
	DDLRef string `json:"ddl_ref,omitempty"`
	// Fingerprint is the table's fingerprint: its SQL and properties.
	Fingerprint string `json:"fingerprint"`
	// Version is the table's physical version (bluegreen.go): 0, as
	// DesiredState gives it, is the one that runs.
	Version int `json:"version,omitempty"`
}

// DesiredState is what a tree wants deployed: every table that can be
// deployed (external topics and folders whose DDL creates no table aside),
// by name. A zero Naming is DefaultNaming, as for Build.
func DesiredState(inv *inventory.Inventory, n Naming) []Desired {
	return DesiredOf(inv, n, inv.Names())
}

func deployable(t *inventory.Table) bool { return !t.External() && t.Name != inventory.NoTable }

func desiredOf(t *inventory.Table, n Naming) Desired {
	d := Desired{Table: t.Name, DDL: n.DDL(t.Name, t.Product), Drop: n.Drop(t.Name), Fingerprint: t.Fingerprint, DDLRef: t.DDLRef}
	if t.DMLRef != "" {
		d.DML = n.DML(t.Name, t.Product)
	}
	return d
}

// statement is the statement whose phase says whether the table runs: its
// DML, or its DDL when it has none.
func (d Desired) statement() string {
	if d.DML != "" {
		return d.DML
	}
	return d.DDL
}

// TableStatus is how one table compares with its desired state.
type TableStatus struct {
	Table string    `json:"table"`
	State SyncState `json:"state"`
	// Statement is the statement the state is about.
	Statement string `json:"statement,omitempty"`
	// Detail says what was seen, Flink's status.detail for a failed or
	// degraded statement.
	Detail string `json:"detail,omitempty"`
}

func (s TableStatus) String() string {
	out := s.Table + ": " + string(s.State)
	if s.Detail != "" {
		out += " (" + s.Detail + ")"
	}
	return out
}

// tableLive is what runs of one table: its statements, and what the drop
// helper left says of its table.
type tableLive struct {
	ddl, dml, drop *Statement
	// versions are the statements of its DML, lowest version first; dml is
	// the last.
	versions []version
	// dropped: a drop of its table ran (or runs) and no DDL ran after it,
	// so the table is gone whatever its old DDL statement says — a recreate
	// was interrupted between its drop and its new DDL.
	dropped bool
	// staleDrop: a drop helper is left by a recreate that got past its new
	// DDL; the next drop must not take it for its own.
	staleDrop bool
}

func liveOf(d Desired, live Live) tableLive {
	d = live.resolve(d)
	tl := tableLive{ddl: live.versioned(d.DDL, d.Version), drop: live.versioned(d.Drop, d.Version), versions: live.dmlVersions(d)}
	if n := len(tl.versions); n > 0 {
		tl.dml = &tl.versions[n-1].st
	}
	if origin := tl.dml.originDDL(d.DDL); origin != nil && (tl.ddl == nil || tl.ddl.Phase == PhaseDeleting) {
		tl.ddl = origin
	}
	if tl.drop != nil {
		recreated := tl.ddl != nil && tl.ddl.CreatedAt.After(tl.drop.CreatedAt)
		tl.dropped, tl.staleDrop = !recreated, recreated
	}
	return tl
}

// main is the statement whose phase says whether the table runs.
func (tl tableLive) main(d Desired) *Statement {
	if d.DML != "" {
		return tl.dml
	}
	return tl.ddl
}

// deployed is shift_left's is_running for the table: its DML RUNNING,
// PENDING, COMPLETED or DEGRADED, or, for a table without DML, its DDL
// COMPLETED; never once a drop of its table ran since.
func (tl tableLive) deployed(d Desired) bool {
	if tl.dropped {
		return false
	}
	if d.DML != "" {
		return running(tl.dml)
	}
	return tl.ddl != nil && tl.ddl.Phase == PhaseCompleted
}

// CompareLive compares one table's live statements with its desired state.
func CompareLive(d Desired, live Live) TableStatus {
	live = live.indexed()
	d = live.resolve(d)
	return compare(d, liveOf(d, live))
}

func compare(d Desired, tl tableLive) TableStatus {
	name := d.statement()
	s := TableStatus{Table: d.Table, Statement: name}
	st := tl.main(d)
	switch {
	case tl.dropped:
		s.State, s.Statement = Missing, tl.drop.Name
		s.Detail = "its table was dropped by " + tl.drop.Name + " and not created again"
		return s
	case st == nil:
		s.State, s.Detail = Missing, "no statement "+name
		return s
	}
	s.Statement = st.Name
	switch st.Phase {
	case PhaseFailed, PhaseFailing:
		s.State, s.Detail = Failed, st.Phase+": "+orNone(st.Detail)
		return s
	case PhaseStopped, PhaseStopping:
		s.State, s.Detail = Stopped, st.Phase
		return s
	case PhaseDeleting:
		s.State, s.Detail = Missing, name+" is being deleted"
		return s
	}
	if st.Fingerprint != d.Fingerprint {
		s.State = Changed
		if st.Fingerprint == "" {
			s.Detail = "runs SQL shiftleft did not deploy (no fingerprint label)"
		} else {
			s.Detail = fmt.Sprintf("runs other SQL (fingerprint %s, the tree's is %s)", st.Fingerprint, d.Fingerprint)
		}
		return s
	}
	switch {
	case st.Phase == PhaseDegraded:
		s.State, s.Detail = Degraded, "DEGRADED: "+orNone(st.Detail)
	case st.Phase == PhaseCompleted, st.Phase == PhaseRunning && d.DML != "":
		s.State = InSync
	default:
		s.State, s.Detail = Pending, st.Phase
	}
	return s
}

func orNone(detail string) string {
	if detail == "" {
		return "no detail given"
	}
	return detail
}

// Status compares every desired table with what runs, and reports the
// statements shiftleft made (they carry its table label) that no desired
// table has, as orphaned, and the statements it did not make that write a
// desired table, as unmanaged.
func Status(desired []Desired, live Live) []TableStatus {
	var out []TableStatus
	wanted := map[string]bool{}
	tables := map[string]bool{}
	live = live.indexed()
	labels := map[string]bool{}
	for _, d := range desired {
		d = live.resolve(d)
		labels[TableLabel(d.Table)] = true
		tl := liveOf(d, live)
		out = append(out, compare(d, tl))
		wanted[d.DDL], wanted[d.DML], wanted[d.Drop] = true, true, true
		tables[d.Table] = true
		for _, v := range tl.versions {
			wanted[v.st.Name] = true // its rollback points
		}
		for i := 1; i <= maxAlters && live.statement(AlterName(d.DDL, i)) != nil; i++ {
			wanted[AlterName(d.DDL, i)] = true // the ALTER TABLE helpers its DDL records
		}
	}
	var orphans []TableStatus
	for name, st := range live.Statements {
		switch {
		case wanted[name]:
		case labels[st.Table] && versionOf(st) < live.current[st.Table]:
			// An old physical version, serving until it is retired.
		case st.Table != "":
			orphans = append(orphans, TableStatus{Table: st.Table, State: Orphaned, Statement: name,
				Detail: "statement " + name + " (" + st.Phase + ") of a table the tree does not have"})
		case st.Fingerprint == "":
			if t := writtenTable(st.SQL, tables); t != "" {
				orphans = append(orphans, TableStatus{Table: t, State: Unmanaged, Statement: name,
					Detail: "statement " + name + " (" + st.Phase + ") writes " + t + "; shiftleft did not make it"})
			}
		}
	}
	slices.SortFunc(orphans, func(a, b TableStatus) int {
		return cmp.Or(cmp.Compare(a.Table, b.Table), cmp.Compare(a.Statement, b.Statement))
	})
	return append(out, orphans...)
}

// Expectation is what an action leaves a table like: the check a run's
// verification makes once the plan ran.
type Expectation string

const (
	// ExpectNothing: the plan answers for nothing of the table (an external
	// topic, an excluded table).
	ExpectNothing Expectation = ""
	// ExpectInSync: the table runs the tree's SQL (CompareLive says
	// in-sync).
	ExpectInSync Expectation = "in-sync"
	// ExpectRunning: the table runs, whatever its SQL: an ancestor another
	// pipeline owns, which the plan needs but does not deploy.
	ExpectRunning Expectation = "running"
	// ExpectAbsent: none of the table's statements is left.
	ExpectAbsent Expectation = "absent"
)

// Verify compares what runs after a plan ran with what each action expects,
// and returns the tables that are not as expected, in plan order. A deploy
// succeeded only when it returns nothing.
func Verify(p *Plan, live Live) []TableStatus {
	var out []TableStatus
	live = live.indexed()
	for _, a := range p.Actions {
		if a.Desired == nil {
			continue
		}
		d := live.resolve(*a.Desired)
		switch a.Expect {
		case ExpectInSync:
			if s := CompareLive(d, live); s.State != InSync {
				out = append(out, s)
			}
		case ExpectRunning:
			if tl := liveOf(d, live); !tl.deployed(d) {
				st, s := tl.main(d), compare(d, tl)
				if s.State == InSync || s.State == Changed {
					s.State, s.Detail = Pending, st.Phase
				}
				out = append(out, s)
			}
		case ExpectAbsent:
			left := []*Statement{live.versioned(d.DDL, d.Version), live.versioned(d.Drop, d.Version)}
			for _, v := range live.dmlVersions(d) {
				left = append(left, &v.st)
			}
			for _, st := range left {
				if st != nil {
					out = append(out, TableStatus{Table: d.Table, State: Orphaned, Statement: st.Name,
						Detail: "statement " + st.Name + " (" + st.Phase + ") is left after the drop"})
				}
			}
		}
	}
	return out
}
