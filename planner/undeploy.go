package planner

import (
	"fmt"
	"slices"

	"github.com/shiftleft/shiftleft/pipeline"
)

// Undeploy plans the removal of a table and every table that depends on it,
// children before parents: each deployed one loses its DML, its table and its
// DDL statement.
func Undeploy(g *pipeline.Graph, live Live, table string, opts Options) (*Plan, error) {
	t, err := g.Table(table)
	if err != nil {
		return nil, err
	}
	if t.External() {
		return nil, fmt.Errorf("%w: %s is an external topic", ErrNotDeployable, t.Name)
	}
	b := &builder{g: g, live: live, opts: opts.withDefaults()}
	names := append([]string{table}, g.Descendants(table)...)
	slices.Reverse(names)       // children first
	dropped := map[string]int{} // wave of each dropped table
	p := &Plan{}
	for _, n := range names {
		t, _ := g.Table(n)
		s := b.state(t)
		a := Action{Table: n, Product: t.Product, Kind: Skip, Role: RoleDescendant, Reason: "not deployed"}
		if n == table {
			a.Role = RoleStart
		}
		if s.exists || s.dml != nil || s.ddl != nil {
			a.Kind, a.Reason = Drop, "undeploy "+table
			a.Steps = b.steps(t, s, Drop)
			for _, c := range g.Children(n) {
				if w, ok := dropped[c]; ok {
					a.After = append(a.After, c)
					a.Wave = max(a.Wave, w+1)
				}
			}
			dropped[n] = a.Wave
		}
		p.Actions = append(p.Actions, a)
	}
	return p, nil
}
