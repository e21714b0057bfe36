// Package planner decides what a deployment does: given the pipeline graph,
// what runs now on Confluent Cloud and what the user asked for, it returns a
// Plan of actions per table — skip, create, restart-dml, recreate, drop —
// each with its statements, compute pool and a reason a person can read.
//
// It is pure: no network, no files, no logging. The deployments package runs
// a Plan; the rules of shared/DESIGN.md §2 and shift_left's execution plan
// live here, each in a function of its own.
package planner

// ActionKind is what a plan does to one table.
type ActionKind string

const (
	// Skip leaves the table alone (it runs already, is external or excluded).
	Skip ActionKind = "skip"
	// Create deploys a table that does not run: its DDL (unless the table
	// exists) then its DML.
	Create ActionKind = "create"
	// RestartDML deletes and re-creates the DML statement; the table stays.
	RestartDML ActionKind = "restart-dml"
	// CarryOver replaces a stateless DML by its next version, which starts
	// at the offsets of the running one; that one is stopped, kept as a
	// rollback point. Nothing is read twice or skipped.
	CarryOver ActionKind = "carry-over"
	// InPlace replaces the DML of a table with a primary key by its next
	// version, which reprocesses its inputs from the earliest offset into
	// the same table: the rows it writes again are upserts of the same
	// keys. The old DML is stopped first, kept as a rollback point.
	InPlace ActionKind = "in-place"
	// Alter applies a DDL change with ALTER TABLE statements, records the
	// new DDL, and carries over the offsets of the table's DML into its
	// next version; the table's readers restart with carry-over too
	// (running statements keep the catalog they started with).
	Alter ActionKind = "alter"
	// NewVersion builds the next physical version of the table beside the
	// live one (bluegreen.go): its DDL, then its DML from the earliest
	// offset; the old version keeps running until it is retired.
	NewVersion ActionKind = "new-version"
	// RetireVersion stops an old physical version's statements, or deletes them
	// and drops its table (Retire).
	RetireVersion ActionKind = "retire"
	// Recreate deletes the DML, drops the table, then runs DDL and DML.
	Recreate ActionKind = "recreate"
	// Drop deletes the DML and drops the table (undeploy).
	Drop ActionKind = "drop"
)

// StepKind is one call of an action, run in order.
type StepKind string

const (
	// DeleteStatement deletes Statement if it exists and waits until it is gone.
	DeleteStatement StepKind = "delete-statement"
	// DropTable runs "DROP TABLE IF EXISTS Table" as the helper statement
	// Statement and waits for COMPLETED; a helper that completed already is
	// a drop done. The helper is kept: a later DeleteStatement step removes
	// it once the table is created again (or gone for good), so that what
	// runs tells a dropped table from one that exists.
	DropTable StepKind = "drop-table"
	// CreateDDL runs the DDL file Ref as Statement and waits for COMPLETED.
	CreateDDL StepKind = "create-ddl"
	// CreateDML runs the DML file Ref as Statement and waits for RUNNING;
	// with OffsetsFrom, it starts at that statement's offsets once that one
	// is stopped.
	CreateDML StepKind = "create-dml"
	// SubmitDML is CreateDML without the wait: a statement carrying
	// offsets over stays PENDING until OffsetsFrom is stopped, by the next
	// step.
	SubmitDML StepKind = "submit-dml"
	// StopStatement stops Statement (it is kept, with its offsets) and
	// waits for STOPPED.
	StopStatement StepKind = "stop-statement"
	// AlterTable runs the ALTER TABLE statement SQL as Statement, a helper
	// kept after it COMPLETED: one carrying the step's fingerprint is an
	// ALTER done, never run twice.
	AlterTable StepKind = "alter-table"
)

// Step is one statement-level operation of an action.
type Step struct {
	Kind      StepKind `json:"kind"`
	Statement string   `json:"statement"`
	// Ref is the pipeline-relative SQL file of a create step.
	Ref string `json:"ref,omitempty"`
	// Fingerprint identifies the SQL a create step runs; a statement already
	// carrying it needs no new create (re-runs after a crash).
	Fingerprint string `json:"fingerprint,omitempty"`
	// OffsetsFrom is the statement whose offsets a DML carries over
	// (sql.tables.initial-offset-from).
	OffsetsFrom string `json:"offsets_from,omitempty"`
	// Origin, on a create-dml step, is the DDL that created the table as
	// what runs showed it when the plan was made (nil when it showed none):
	// see [Origin].
	Origin *Origin `json:"origin,omitempty"`
	// SQL is the statement an AlterTable step runs.
	SQL string `json:"sql,omitempty"`
	// Version is the physical version of the table a create or drop step
	// is about (label shiftleft.version); 0 for version 1.
	Version int `json:"version,omitempty"`
	// Tables are the physical tables the SQL of a create step and the
	// table of a drop step refer to, by logical name: the runner rewrites
	// the SQL (flinksql.RenameTables).
	Tables map[string]string `json:"tables,omitempty"`
}

// Pool is the compute pool an action runs in: an existing one, or one to
// create first.
type Pool struct {
	ID string `json:"id,omitempty"`
	// Create names a pool to create when no usable one exists.
	Create *NewPool `json:"create,omitempty"`
	Reason string   `json:"reason"`
}

// NewPool is a compute pool the plan creates.
type NewPool struct {
	Name   string `json:"name"`
	MaxCFU int    `json:"max_cfu"`
}

// Action is what the plan does to one table.
type Action struct {
	Table   string     `json:"table"`
	Product string     `json:"product"`
	Kind    ActionKind `json:"action"`
	Role    Role       `json:"role"`
	Reason  string     `json:"reason"`
	// Consequence says what the action does to the table's data: what is
	// read again, kept, or deleted.
	Consequence string `json:"consequence"`
	Steps       []Step `json:"steps,omitempty"`
	Pool        *Pool  `json:"pool,omitempty"`
	// After lists the tables whose actions must finish first: the table's
	// parents that the plan deploys.
	After []string `json:"after,omitempty"`
	// Wave is the action's depth among the actions that do work: 0 waits
	// for nothing, wave n waits for at least one action of wave n-1.
	Wave int `json:"wave"`
	// Expect is what the table must be like once the plan ran, and Desired
	// the statements and fingerprint that is checked against: [Verify].
	Expect  Expectation `json:"expect,omitempty"`
	Desired *Desired    `json:"desired,omitempty"`
}

// Plan is every action of a deployment, parents before children.
type Plan struct {
	Actions []Action `json:"actions"`
	// Statements counts the environment's live statements before and
	// after the plan, and the most it needs while it runs (Build's plans).
	Statements *StatementCount `json:"statements,omitempty"`
}

// Waves groups the tables of the actions that do work by wave.
func (p *Plan) Waves() [][]string {
	var waves [][]string
	for _, a := range p.Actions {
		if a.Kind == Skip {
			continue
		}
		for len(waves) <= a.Wave {
			waves = append(waves, nil)
		}
		waves[a.Wave] = append(waves[a.Wave], a.Table)
	}
	return waves
}

// Work counts the actions that do something (all but skips).
func (p *Plan) Work() int {
	n := 0
	for _, a := range p.Actions {
		if a.Kind != Skip {
			n++
		}
	}
	return n
}

// Action returns the action of a table.
func (p *Plan) Action(table string) (Action, bool) {
	for _, a := range p.Actions {
		if a.Table == table {
			return a, true
		}
	}
	return Action{}, false
}
