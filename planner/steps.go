package planner

import (
	"slices"

	"github.com/shiftleft/shiftleft/inventory"
)

// plan lays the decisions out in graph order with their steps, pools,
// dependencies and what each leaves the table like. It fails with
// ErrNoCapacity when the statements do not fit in the environment's pools.
func (b *builder) plan() (*Plan, error) {
	p := &Plan{}
	wave := map[string]int{}
	pools := newAllocator(b)
	for _, n := range b.g.Order() {
		d, ok := b.decided[n]
		if !ok {
			continue
		}
		t, _ := b.g.Table(n)
		a := Action{Table: n, Product: t.Product, Kind: d.kind, Role: d.role, Reason: d.reason, Expect: d.expect,
			Consequence: b.consequence(t, b.state(t), d.kind)}
		if d.expect != ExpectNothing {
			desired := b.targetDesired(t)
			a.Desired = &desired
		}
		if d.kind != Skip {
			s := b.state(t)
			a.Steps = b.steps(t, s, d.kind)
			b.physicalSteps(t, a.Steps)
			a.Pool = pools.pool(t, s)
			for _, parent := range t.Parents {
				if pd, ok := b.decided[parent]; ok && pd.kind != Skip {
					a.After = append(a.After, parent)
					a.Wave = max(a.Wave, wave[parent]+1)
				}
			}
			wave[n] = a.Wave
		}
		p.Actions = append(p.Actions, a)
	}
	return p, pools.err()
}

// steps are the statement operations of an action. Deploying a DDL drops
// the table first when it exists. The drop's helper statement stays until
// the new DDL completed: while it is there, what runs says the table is
// gone, so a deploy stopped at any step is resumed, never redone.
func (b *builder) steps(t *inventory.Table, s state, kind ActionKind) []Step {
	ddl, dml, helper := s.desired.DDL, s.desired.DML, s.desired.Drop
	if dml == "" { // a table without DML: a statement of its name is deleted all the same
		dml = Desired{DML: b.opts.Naming.DML(t.Name, t.Product)}.At(s.desired.Version).DML
	}
	// A DML is made again under the name of its last version; every
	// version goes with it, the rollback points of what is replaced.
	var deleteDML []Step
	for i := len(s.versions) - 1; i >= 0; i-- {
		deleteDML = append(deleteDML, Step{Kind: DeleteStatement, Statement: s.versions[i].st.Name})
	}
	if s.dml != nil {
		dml = s.dml.Name
	} else {
		deleteDML = []Step{{Kind: DeleteStatement, Statement: dml}}
	}
	deleteDDL := Step{Kind: DeleteStatement, Statement: ddl}
	deleteHelper := Step{Kind: DeleteStatement, Statement: helper}
	drop := Step{Kind: DropTable, Statement: helper}
	createDDL := Step{Kind: CreateDDL, Statement: ddl, Ref: t.DDLRef, Fingerprint: t.Fingerprint}
	var createDML []Step
	if t.DMLRef != "" {
		createDML = []Step{{Kind: CreateDML, Statement: dml, Ref: t.DMLRef, Fingerprint: t.Fingerprint}}
	}
	// A helper left by a recreate that got past its DDL is deleted first:
	// the next drop must not take it for its own.
	var steps []Step
	if s.staleDrop {
		steps = append(steps, deleteHelper)
	}
	recreate := slices.Concat(deleteDML, b.alterHelpers(t), []Step{drop, deleteDDL, createDDL, deleteHelper}, createDML)
	switch {
	case kind == Alter:
		return append(steps, b.alterSteps(t, s)...)
	case kind == NewVersion:
		return append(steps, b.newVersionSteps(t, s)...)
	case kind == CarryOver:
		return append(steps, b.carrySteps(t, s.carry)...)
	case kind == InPlace:
		return append(steps, b.inPlaceSteps(t, s)...)
	case kind == Recreate:
		return append(steps, recreate...)
	case kind == RestartDML:
		return slices.Concat(steps, deleteDML, createDML)
	case kind == Drop:
		return slices.Concat(steps, deleteDML, b.alterHelpers(t), []Step{drop, deleteDDL, deleteHelper})
	case s.dropped:
		// An interrupted recreate dropped the table: the drop is done (the
		// step waits for it), its table is created again.
		return append([]Step{drop, createDDL, deleteHelper}, createDML...)
	case s.underway && t.DMLRef != "":
		// Its DML carries the tree's SQL, on its way to running: waited for.
		return append(steps, createDML...)
	case s.underway:
		return append(steps, createDDL)
	case b.opts.DMLOnly || s.ddlCurrent:
		// The table is there with this DDL (or the user says it is).
		return append(steps, createDML...)
	case s.exists:
		return append(steps, recreate...)
	}
	return append(append(steps, createDDL), createDML...)
}

// carrySteps replace a stateless DML by its next version: what is not kept
// goes first, then the new version is created to start at the offsets of
// c.from, which is stopped, and the new one waits until it runs. Every step
// is safe to run again: killed at any point, a re-run finds the new version
// waiting (carry.resumed) and goes on.
func (b *builder) carrySteps(t *inventory.Table, c *carry) []Step {
	var steps []Step
	for _, name := range c.deletes {
		steps = append(steps, Step{Kind: DeleteStatement, Statement: name})
	}
	create := Step{Kind: SubmitDML, Statement: c.into, Ref: t.DMLRef, Fingerprint: t.Fingerprint, OffsetsFrom: c.from}
	wait := create
	wait.Kind = CreateDML
	steps = append(steps, create, Step{Kind: StopStatement, Statement: c.from}, wait)
	if b.opts.KeepStopped == 0 {
		steps = append(steps, Step{Kind: DeleteStatement, Statement: c.from})
	}
	return steps
}

// inPlaceSteps replace the DML of a keyed table by its next version
// reprocessing into the same table: the one that runs is stopped first (two
// writers of different SQL must not interleave), kept as a rollback point
// as a carry-over keeps it; the other versions not kept go first.
func (b *builder) inPlaceSteps(t *inventory.Table, s state) []Step {
	last := s.versions[len(s.versions)-1]
	from := last.st.Name
	into := DMLVersion(s.desired.DML, b.nextVersion(s.desired.DML, last.k))
	var steps []Step
	kept := 1
	for i := len(s.versions) - 2; i >= 0; i-- {
		if v := s.versions[i]; v.st.Phase == PhaseStopped && kept < b.opts.KeepStopped {
			kept++
		} else {
			steps = append(steps, Step{Kind: DeleteStatement, Statement: v.st.Name})
		}
	}
	steps = append(steps, Step{Kind: StopStatement, Statement: from},
		Step{Kind: CreateDML, Statement: into, Ref: t.DMLRef, Fingerprint: t.Fingerprint})
	if b.opts.KeepStopped == 0 {
		steps = append(steps, Step{Kind: DeleteStatement, Statement: from})
	}
	return steps
}
