package planner

import (
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
		a := Action{Table: n, Product: t.Product, Kind: d.kind, Role: d.role, Reason: d.reason, Expect: d.expect}
		if d.expect != ExpectNothing {
			desired := desiredOf(t, b.opts.Naming)
			a.Desired = &desired
		}
		if d.kind != Skip {
			s := b.state(t)
			a.Steps = b.steps(t, s, d.kind)
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
	n := b.opts.Naming
	ddl, dml, helper := n.DDL(t.Name, t.Product), n.DML(t.Name, t.Product), n.Drop(t.Name)
	deleteDML := Step{Kind: DeleteStatement, Statement: dml}
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
	recreate := append([]Step{deleteDML, drop, deleteDDL, createDDL, deleteHelper}, createDML...)
	switch {
	case kind == Recreate:
		return append(steps, recreate...)
	case kind == RestartDML:
		return append(append(steps, deleteDML), createDML...)
	case kind == Drop:
		return append(steps, deleteDML, drop, deleteDDL, deleteHelper)
	case s.dropped:
		// An interrupted recreate dropped the table: the drop is done (the
		// step waits for it), its table is created again.
		return append([]Step{drop, createDDL, deleteHelper}, createDML...)
	case b.opts.DMLOnly || s.ddlCurrent:
		// The table is there with this DDL (or the user says it is).
		return append(steps, createDML...)
	case s.exists:
		return append(steps, recreate...)
	}
	return append(append(steps, createDDL), createDML...)
}
