package planner

import (
	"fmt"
	"slices"

	"github.com/shiftleft/shiftleft/inventory"
	"github.com/shiftleft/shiftleft/pipeline"
)

// Undeploy plans the removal of a table and every table that depends on it,
// children before parents: each deployed one loses its DML, its table and its
// DDL statement, those of its old physical versions too.
func Undeploy(g *pipeline.Graph, live Live, table string, opts Options) (*Plan, error) {
	t, err := g.Table(table)
	if err != nil {
		return nil, err
	}
	if t.External() {
		return nil, fmt.Errorf("%w: %s is an external topic", ErrNotDeployable, t.Name)
	}
	b := newBuilder(g, live, opts)
	names := append([]string{table}, g.Descendants(table)...)
	slices.Reverse(names)       // children first
	dropped := map[string]int{} // wave of each dropped table
	p := &Plan{}
	for _, n := range names {
		t, _ := g.Table(n)
		role := RoleDescendant
		if n == table {
			role = RoleStart
		}
		p.Actions = append(p.Actions, b.drop(t, role, "undeploy "+table, g.Children(n), dropped))
	}
	if err := unread(b.unread); err != nil {
		return nil, err
	}
	return p, nil
}

// Prune adds to p the removal of the tables deleted from the repository
// (Diff.Deleted) as base, the inventory of the commit they were deployed
// from, defines them. A deleted table that is deployed loses its DML, its
// table and its DDL statement, once the tables that read it at base are
// redeployed by p (their new SQL no longer reads it) and before its own
// deleted parents: no running statement reads a table being dropped, and
// when a reader's redeploy fails the table stays. On an error p is to be
// planned again.
func Prune(p *Plan, base *inventory.Inventory, live Live, deleted []string, opts Options) error {
	b := newBuilder(nil, live, opts)
	gone := map[string]bool{}
	for _, n := range deleted {
		if base.Tables[n] == nil {
			return fmt.Errorf("prune %s: not a table of the base commit", n)
		}
		if _, ok := p.Action(n); ok {
			return fmt.Errorf("prune %s: the plan deploys it", n)
		}
		gone[n] = true
	}
	readers := map[string][]string{} // the tables reading each table at base
	for _, n := range base.Names() {
		for _, parent := range base.Tables[n].Parents {
			readers[parent] = append(readers[parent], n)
		}
	}
	waves := map[string]int{} // wave of each action that does work
	for _, a := range p.Actions {
		if a.Kind != Skip {
			waves[a.Table] = a.Wave
		}
	}
	// Children first: each deleted table after the deleted tables reading it.
	var order []string
	seen := map[string]bool{}
	var visit func(string)
	visit = func(n string) {
		if seen[n] {
			return
		}
		seen[n] = true
		for _, r := range readers[n] {
			if gone[r] {
				visit(r)
			}
		}
		order = append(order, n)
	}
	for _, n := range slices.Sorted(slices.Values(deleted)) {
		visit(n)
	}
	for _, n := range order {
		p.Actions = append(p.Actions, b.drop(base.Tables[n], RoleStart, "deleted from the repository (pruning is on)", readers[n], waves))
	}
	return unread(b.unread)
}

// drop removes t when any of it is deployed, after the actions of its
// readers that do work (waves holds their waves and gets t's); a table not
// deployed is a skip.
func (b *builder) drop(t *inventory.Table, role Role, reason string, readers []string, waves map[string]int) Action {
	s := b.state(t)
	desired := s.desired
	a := Action{Table: t.Name, Product: t.Product, Kind: Skip, Role: role, Reason: "not deployed",
		Expect: ExpectAbsent, Desired: &desired, Consequence: b.consequence(t, s, Skip)}
	if !s.exists && s.dml == nil && s.ddl == nil && s.drop == nil {
		return a
	}
	a.Kind, a.Reason, a.Consequence = Drop, reason, b.consequence(t, s, Drop)
	a.Steps = append(b.liveDropSteps(t, s), b.oldVersionSteps(t)...)
	for _, r := range readers {
		if w, ok := waves[r]; ok {
			a.After = append(a.After, r)
			a.Wave = max(a.Wave, w+1)
		}
	}
	waves[t.Name] = a.Wave
	return a
}
