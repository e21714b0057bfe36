package planner

import (
	"strconv"
	"strings"

	"github.com/shiftleft/shiftleft/flinksql"
	"github.com/shiftleft/shiftleft/inventory"
)

// A DDL that changed only in what Confluent Cloud's ALTER TABLE can change
// (the watermark, options, added computed or virtual metadata columns, the
// primary key) is applied with ALTER TABLE statements, each run as a
// helper statement named after the DDL (AlterName); then the DDL statement
// is made again with the tree's CREATE TABLE IF NOT EXISTS, which completes
// over the altered table and records its fingerprint. The helpers are kept:
// the first one, carrying the DDL statement's fingerprint, says that the
// DDL statement is newer than the table's readers because the table was
// altered, not created again — they restart with carry-over, never from
// the earliest offset.

// alterSuffix is what may follow the DDL name in a helper's: -alter- and
// at most two digits.
const alterSuffix = len("-alter-99")

// AlterName names the helper statement of the i-th ALTER TABLE (from 1)
// that changes the table whose DDL statement is ddl.
func AlterName(ddl string, i int) string {
	return stem(ddl, alterSuffix) + "-alter-" + strconv.Itoa(i)
}

// maxAlters bounds the statements of one alteration (two digits).
const maxAlters = 99

// alteration is how ALTER TABLE brings a table to its DDL in the tree.
type alteration struct {
	// statements are the ALTER TABLE statements, in order.
	statements []string
	// resumed: an earlier run ran them all and deleted the old DDL
	// statement; the DDL is still to be recorded.
	resumed bool
}

// alterOf says whether ALTER TABLE can bring the table's live DDL to the
// tree's, comparing the CREATE TABLE that runs (the live DDL statement's,
// else the base commit's when the table exists) with the file's, and why
// not when the two differ in what it cannot change. Both are empty when the
// DDL did not change, or when either cannot be read as a plain CREATE
// TABLE: then nothing is known, and the rules decide as they did without
// the comparison.
func (b *builder) alterOf(t *inventory.Table, s state) (*alteration, string) {
	if b.opts.ReadDDL == nil || t.DDLRef == "" || b.opts.DMLOnly || s.dropped {
		return nil, ""
	}
	running := ""
	switch {
	case s.ddl != nil && (s.ddl.Phase != PhaseCompleted || s.ddl.Fingerprint == t.Fingerprint):
		return nil, "" // the tree's, or on its way
	case s.ddl != nil && s.ddl.SQL != "":
		running = s.ddl.SQL
	case s.exists && b.opts.BaseDDL != nil:
		// The DDL statement is gone (deleted once the DML ran, its
		// origin kept on the DML): the base commit's says what runs.
		running, _ = b.opts.BaseDDL(t.Name)
	}
	if running == "" {
		// An earlier run deleted the old DDL statement once every ALTER
		// ran: only the DDL is left to record.
		h := b.live.statement(AlterName(b.opts.Naming.DDL(t.Name, t.Product), 1))
		// (What runs may show the DDL as its DML's origin, no statement.)
		if (s.ddl == nil || s.ddl.SQL == "") && h != nil && h.Table == TableLabel(t.Name) && h.Phase == PhaseCompleted && h.Fingerprint == t.Fingerprint {
			return &alteration{resumed: true}, ""
		}
		return nil, ""
	}
	old, err := flinksql.ParseTableSchema(running)
	if err != nil {
		return nil, ""
	}
	sql, err := b.opts.ReadDDL(t.DDLRef)
	if err != nil {
		return nil, "" // the runner, reading it again, says why
	}
	want, err := flinksql.ParseTableSchema(sql)
	if err != nil {
		return nil, ""
	}
	stmts, err := flinksql.AlterStatements(old, want)
	switch {
	case err != nil:
		return nil, err.Error()
	case len(stmts) == 0:
		return nil, ""
	case len(stmts) > maxAlters:
		return nil, "it would take more than " + strconv.Itoa(maxAlters) + " ALTER TABLE statements"
	case !want.IfNotExists:
		return nil, "its CREATE TABLE has no IF NOT EXISTS, so it cannot run again over the altered table to record its DDL"
	}
	return &alteration{statements: stmts}, ""
}

// alters says whether the verdict v on t becomes an Alter: its DDL changes
// only in what ALTER TABLE applies, the verdict would rebuild or restart
// what exists (not a forced recreate, not a rebuild of its input), the
// strategy is not recreate, and its DML, if any, can carry its offsets
// over: a stateful one must rebuild its state, which an ALTER does not.
func (b *builder) alters(t *inventory.Table, s state, v verdict) bool {
	switch {
	case s.alter == nil || v.forced || v.fromEarliest || b.strategy(t) == StrategyRecreate:
		return false
	case v.kind != Recreate && v.kind != RestartDML && v.kind != CarryOver && v.kind != InPlace:
		return false
	}
	return t.DMLRef == "" || s.carry != nil
}

// alteredDDL reports whether the table's DDL statement records an ALTER
// TABLE (it was made again after the first helper, which carries its
// fingerprint), not a table created again; completed or on its way.
func (b *builder) alteredDDL(t *inventory.Table, s state) bool {
	if s.ddl == nil {
		return false
	}
	h := b.live.statement(AlterName(s.ddl.Name, 1))
	return h != nil && h.Table == TableLabel(t.Name) && h.Phase == PhaseCompleted && h.Fingerprint == s.ddl.Fingerprint &&
		!h.CreatedAt.After(s.ddl.CreatedAt)
}

// alterSteps run the ALTER TABLE statements not run yet (a helper carrying
// the fingerprint is one done), replace the DDL statement by the tree's,
// which records it, then carry the DML over into its next version: it
// writes a table whose catalog changed.
func (b *builder) alterSteps(t *inventory.Table, s state) []Step {
	ddl := b.opts.Naming.DDL(t.Name, t.Product)
	var steps []Step
	for i, sql := range s.alter.statements {
		steps = append(steps, Step{Kind: AlterTable, Statement: AlterName(ddl, i+1), SQL: sql, Fingerprint: t.Fingerprint})
	}
	steps = append(steps, Step{Kind: DeleteStatement, Statement: ddl},
		Step{Kind: CreateDDL, Statement: ddl, Ref: t.DDLRef, Fingerprint: t.Fingerprint})
	if t.DMLRef != "" {
		steps = append(steps, b.carrySteps(t, s.carry)...)
	}
	return steps
}

// alterHelpers are the steps deleting the ALTER helpers a table has, before
// its table is dropped: afterwards they would say its new DDL was altered.
func (b *builder) alterHelpers(t *inventory.Table) []Step {
	ddl := b.opts.Naming.DDL(t.Name, t.Product)
	var steps []Step
	for i := 1; i <= maxAlters && b.live.statement(AlterName(ddl, i)) != nil; i++ {
		steps = append(steps, Step{Kind: DeleteStatement, Statement: AlterName(ddl, i)})
	}
	return steps
}

// alterConsequence is the data consequence of an Alter.
func (b *builder) alterConsequence(t *inventory.Table, s state) string {
	out := "ALTER TABLE, readers restarted with carry-over: "
	if s.alter.resumed {
		out += "its ALTER TABLE statements ran already"
	} else {
		out += strings.Join(s.alter.statements, "; ")
	}
	out += "; topic " + t.Name + " and its records are kept"
	if s.carry != nil {
		out += "; its DML carries over offsets from " + s.carry.from + " into " + s.carry.into
	}
	return out
}
