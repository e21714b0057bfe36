package planner

import (
	"errors"
	"fmt"
	"slices"

	"github.com/shiftleft/shiftleft/inventory"
	"github.com/shiftleft/shiftleft/pipeline"
)

// ErrNotDeployable: a requested table is an external topic, never deployed.
var ErrNotDeployable = errors.New("table cannot be deployed")

// Role says why a table is in a plan, as shift_left tells "to run" from "to
// restart": an ancestor (or a child's other parent) runs when it does not
// run yet; a start table and the descendants it impacts restart.
type Role string

const (
	RoleStart      Role = "start"
	RoleAncestor   Role = "ancestor"
	RoleDescendant Role = "descendant"
)

// Build plans a deployment. Every table it names must be in the graph.
func Build(g *pipeline.Graph, live Live, req Request, opts Options) (*Plan, error) {
	b := &builder{g: g, live: live, opts: opts.withDefaults(), decided: map[string]*decision{}}
	if err := b.start(req); err != nil {
		return nil, err
	}
	if b.opts.MayStartDescendants {
		b.descendants()
	}
	b.exclude()
	return b.plan(), nil
}

// decision is what the plan does to a table, before steps and pool.
type decision struct {
	kind   ActionKind
	role   Role
	reason string
}

type builder struct {
	g        *pipeline.Graph
	live     Live
	opts     Options
	decided  map[string]*decision
	products map[string]bool // products of the requested tables
	// redeploy lists the tables decided for work, in decision order: the
	// descendant walk's work list.
	redeploy []string
}

func (b *builder) start(req Request) error {
	b.products = map[string]bool{}
	type start struct {
		table  string
		decide rule
	}
	var starts []start
	for _, n := range req.Tables {
		starts = append(starts, start{n, b.startAction})
	}
	for _, n := range req.Ensure {
		starts = append(starts, start{n, b.ensureAction})
	}
	for _, c := range req.Changes {
		starts = append(starts, start{c.Table, func(t *inventory.Table, s state) (ActionKind, string) {
			return b.changeAction(t, s, c)
		}})
	}
	for _, s := range starts {
		t, err := b.g.Table(s.table)
		if err != nil {
			return err
		}
		if t.External() {
			return fmt.Errorf("%w: %s is an external topic", ErrNotDeployable, t.Name)
		}
		if t.Name == inventory.NoTable {
			// Reported, never deployed: its DDL creates nothing Confluent
			// Cloud runs (CREATE MATERIALIZED TABLE).
			b.set(t.Name, Skip, RoleStart, "its DDL creates no table Confluent Cloud runs ("+t.DDLRef+")")
			continue
		}
		b.products[t.Product] = true
		kind, reason := b.decide(t, b.state(t), s.decide)
		b.set(t.Name, kind, RoleStart, reason)
	}
	for _, s := range starts {
		b.ancestors(s.table)
	}
	return nil
}

// set records a decision unless the table has one already: the first reason
// a table enters the plan is the one reported.
func (b *builder) set(table string, kind ActionKind, role Role, reason string) {
	if _, ok := b.decided[table]; ok {
		return
	}
	b.decided[table] = &decision{kind: kind, role: role, reason: reason}
	if kind != Skip {
		b.redeploy = append(b.redeploy, table)
	}
}

// state is what runs of one table now.
type state struct {
	ddl, dml *Statement
	// runs: the DML is deployed (a DDL-only table: its DDL completed).
	runs bool
	// exists: the table is there — its DDL completed or its DML runs.
	exists bool
	// ddlCurrent: the DDL completed with the SQL of the tree.
	ddlCurrent bool
	// current: the table runs the SQL of the tree, as shiftleft deployed it.
	current bool
}

func (b *builder) state(t *inventory.Table) state {
	n := b.opts.Naming
	s := state{ddl: b.live.statement(n.DDL(t.Name, t.Product)), dml: b.live.statement(n.DML(t.Name, t.Product))}
	ddlDone := s.ddl != nil && s.ddl.Phase == PhaseCompleted
	s.ddlCurrent = ddlDone && s.ddl.Fingerprint == t.Fingerprint
	if t.DMLRef == "" {
		s.runs, s.current = ddlDone, s.ddlCurrent
	} else {
		s.runs = running(s.dml)
		s.current = s.runs && s.dml.Fingerprint == t.Fingerprint
	}
	s.exists = ddlDone || s.runs
	return s
}

func stateful(t *inventory.Table) bool { return t.StateForm() == inventory.Stateful }

// rule is one of the seed's rules for a table: what to do and why.
type rule func(*inventory.Table, state) (ActionKind, string)

// decide is what every table's rule goes through: a half-done recreate is
// finished whatever the rule says, and a table without DML, which has no
// statement to restart, is recreated instead.
func (b *builder) decide(t *inventory.Table, s state, r rule) (ActionKind, string) {
	if resuming(t, s) {
		return Create, "resuming: its DDL already runs this SQL; create the DML"
	}
	kind, reason := r(t, s)
	if kind == RestartDML && t.DMLRef == "" {
		return ddlOnlyAction(b.opts)
	}
	return kind, reason
}

// resuming: a recreate was interrupted between its DDL and its DML — the
// DDL completed with the tree's SQL and no DML statement is left, since the
// recreate deleted it. Only the DML is missing; dropping the table again
// would run the same DDL twice. A DML that exists (even FAILED) is not this
// case: the rule for the table decides.
func resuming(t *inventory.Table, s state) bool {
	return t.DMLRef != "" && s.ddlCurrent && s.dml == nil
}

// ddlOnlyAction replaces a DML restart of a table without DML, which would
// do nothing: its SQL is its DDL, so its table is dropped and created again,
// unless --dml-only forbids touching tables.
func ddlOnlyAction(o Options) (ActionKind, string) {
	if o.DMLOnly {
		return Skip, "--dml-only: it has no DML"
	}
	return Recreate, "no DML: drop the table and run its DDL"
}

// startAction is the seed's rule for a table the user names: a sink that
// does not exist is created; one that exists is recreated when forced or
// when its DML is stateful, else its DML restarts. A table already running
// the tree's SQL is left alone unless forced, so a re-run changes nothing.
func (b *builder) startAction(t *inventory.Table, s state) (ActionKind, string) {
	switch {
	case s.current && !b.opts.Force:
		return Skip, "already runs this SQL (same fingerprint)"
	case !s.exists:
		return Create, "not deployed yet"
	case b.opts.Force && !b.opts.DMLOnly:
		return Recreate, "--force: drop and recreate"
	case b.opts.DMLOnly:
		return RestartDML, "--dml-only: restart the DML"
	case stateful(t):
		return Recreate, "stateful DML: recreate to rebuild its state (" + t.StatefulReasons[0] + ")"
	}
	return RestartDML, "stateless DML: restart it"
}

// ensureAction deploys a table of a product or folder only when it does not
// run, as shift_left's product and directory deployments do.
func (b *builder) ensureAction(t *inventory.Table, s state) (ActionKind, string) {
	switch {
	case s.runs && b.opts.ForceAncestors:
		return Recreate, "--force-ancestors: redeploy although it runs"
	case s.runs:
		return Skip, "already runs"
	}
	return Create, "not running"
}

// changeAction is the rule for a table whose SQL changed in git: a new
// table is created; a changed DDL means a new table; a changed stateful DML
// must rebuild its state; a changed stateless DML only restarts.
func (b *builder) changeAction(t *inventory.Table, s state, c Change) (ActionKind, string) {
	switch {
	case s.current:
		return Skip, "already runs this SQL (same fingerprint)"
	case c.New || !s.exists:
		return Create, "new table"
	case c.DDL && !b.opts.DMLOnly:
		return Recreate, "DDL changed: drop and recreate"
	case c.DML && stateful(t) && !b.opts.DMLOnly:
		return Recreate, "DML changed, stateful: recreate to rebuild its state"
	}
	return RestartDML, "DML changed, stateless: restart it"
}

// ancestors plans what name needs: every ancestor that does not run is
// created, one that runs is skipped (another pipeline owns it), an external
// topic is never deployed.
func (b *builder) ancestors(name string) {
	for _, a := range b.g.Ancestors(name) {
		t, _ := b.g.Table(a)
		kind, reason := b.decide(t, b.state(t), b.ancestorAction)
		b.set(a, kind, RoleAncestor, reason)
	}
}

func (b *builder) ancestorAction(t *inventory.Table, s state) (ActionKind, string) {
	switch {
	case t.External():
		return Skip, "external topic: never deployed"
	case b.opts.ForceAncestors && s.exists:
		return Recreate, "--force-ancestors: redeploy"
	case b.opts.ForceAncestors:
		return Create, "--force-ancestors: deploy"
	case s.runs:
		return Skip, "already runs: owned by its own pipeline"
	}
	return Create, "not running: needed by its children"
}

// childRestarts is shift_left's rule: a redeployed table restarts a child
// when the table is stateful (its output is rebuilt) or the child is (its
// state was built on the old output).
func childRestarts(parent, child *inventory.Table) bool {
	return stateful(parent) || stateful(child)
}

// productAllowed limits restarts to the requested tables' products and the
// common ones, unless cross-product deployment is on.
func (b *builder) productAllowed(child *inventory.Table) bool {
	return b.opts.CrossProduct || b.products[child.Product] || slices.Contains(b.opts.AcceptedCommonProducts, child.Product)
}

// descendants restarts what the plan's redeployed tables impact: each child
// the restart rule selects, then all of that child's descendants; the other
// parents of a restarted child are planned as ancestors. The list of
// redeployed tables grows while it is walked, as in shift_left.
func (b *builder) descendants() {
	for i := 0; i < len(b.redeploy); i++ {
		name := b.redeploy[i]
		parent, _ := b.g.Table(name)
		for _, c := range b.g.Children(name) {
			child, _ := b.g.Table(c)
			if _, ok := b.decided[c]; ok || !b.productAllowed(child) || !childRestarts(parent, child) {
				continue
			}
			b.restart(child, "parent "+name+" redeployed")
			b.ancestors(c)
			for _, d := range b.g.Descendants(c) {
				if _, ok := b.decided[d]; !ok {
					t, _ := b.g.Table(d)
					b.restart(t, "ancestor "+name+" redeployed")
					b.ancestors(d)
				}
			}
		}
	}
}

// restart plans a descendant.
func (b *builder) restart(t *inventory.Table, cause string) {
	kind, reason := b.decide(t, b.state(t), func(t *inventory.Table, s state) (ActionKind, string) {
		return b.restartAction(t, s, cause)
	})
	b.set(t.Name, kind, RoleDescendant, reason)
}

// restartAction is the rule for a descendant: created when it does not
// run, else recreated when its state depends on the changed input, else its
// DML restarts.
func (b *builder) restartAction(t *inventory.Table, s state, cause string) (ActionKind, string) {
	switch {
	case !s.runs:
		return Create, cause + "; not running"
	case stateful(t) && !b.opts.DMLOnly:
		return Recreate, cause + "; stateful: recreate"
	}
	return RestartDML, cause + "; restart the DML"
}
