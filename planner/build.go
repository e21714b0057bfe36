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

// ErrExcludedReader: an excluded table reads a table the plan drops and
// creates again; its DML would fail, so the plan is refused.
var ErrExcludedReader = errors.New("an excluded table reads a table the plan recreates")

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
//
// What a table needs is decided from what runs, not from what changed: the
// request says which tables are in scope (and, for changes from git, why),
// and each table in scope is compared with its live statements — one that
// already runs the tree's SQL is left alone, one whose DML is missing,
// FAILED or stopped is deployed whatever the request says. So a re-run
// after a crash at any point plans exactly what is left. A table whose
// parent's table the plan drops is always redeployed (its DML would fail);
// with MayStartDescendants the descendants a change impacts are too.
//
// A plan that would drop a topic nobody allowed to drop is returned with a
// [DropError]: the caller shows it and runs nothing.
func Build(g *pipeline.Graph, live Live, req Request, opts Options) (*Plan, error) {
	if err := checkSettings(g); err != nil {
		return nil, err
	}
	b := newBuilder(g, live, opts)
	if err := b.start(req); err != nil {
		return nil, err
	}
	if err := b.walk(); err != nil {
		return nil, err
	}
	p, err := b.plan()
	if err := unread(b.unread); err != nil {
		return nil, err
	}
	count := countStatements(p, b.live, b.opts.Parallel, b.opts.KeepStopped)
	if err := errors.Join(err, count.check(b.opts.MaxStatements)); err != nil {
		return nil, err
	}
	if b.live.Tables != nil && b.live.Elsewhere < 0 && count.After > count.Now {
		// The quota is the whole environment's: a plan that leaves more
		// statements than it read is counted against every statement.
		return nil, &UnreadError{}
	}
	b.origins(p)
	p.Statements = &count
	return p, b.checkDrops(p)
}

// decision is what the plan does to a table, before steps and pool.
type decision struct {
	verdict
	role Role
	// scope: the plan answers for the table although it may skip it, so
	// its children are compared with what runs too.
	scope bool
	// cascade: restarted as a descendant, so all its own descendants
	// restart too (shift_left's rule below the first level).
	cascade bool
}

// verdict is what a rule says of a table.
type verdict struct {
	kind   ActionKind
	reason string
	expect Expectation
	// intent is what the rule would do if the table did not run the tree's
	// SQL already: a table in sync whose intent is a recreate was recreated
	// by an earlier run of the same deploy, and the tables reading it are
	// in scope as they would have been then.
	intent ActionKind
	// fromEarliest: the table's input is rebuilt (a parent's topic is
	// dropped), so the offsets of its DML mean nothing: never carried over.
	fromEarliest bool
	// ddlChanged: the table's DDL changed, which an in-place upgrade would
	// not apply; forced: the user asked for a recreate (--force,
	// --force-ancestors).
	ddlChanged, forced bool
}

// work is a verdict that deploys the table: afterwards it must be in sync.
func work(kind ActionKind, reason string) verdict {
	return verdict{kind: kind, reason: reason, expect: ExpectInSync, intent: kind}
}

// forced marks a recreate the user asked for: it stays one.
func forced(v verdict) verdict {
	v.forced = true
	return v
}

func skip(reason string, expect Expectation) verdict {
	return verdict{kind: Skip, reason: reason, expect: expect, intent: Skip}
}

// inSync leaves alone a table that runs the tree's SQL, keeping what v
// would have done as its intent.
func inSync(v verdict) verdict {
	out := skip("already runs this SQL (same fingerprint)", ExpectInSync)
	out.intent = v.intent
	return out
}

type builder struct {
	g        *pipeline.Graph
	live     Live
	opts     Options
	decided  map[string]*decision
	states   map[string]state
	excluded map[string]bool
	products map[string]bool // products of the requested tables
	// unread lists the tables a scoped Live did not read (ErrUnread).
	unread []string
	// queue lists the tables whose children are still to be looked at, in
	// decision order; a table comes again when its decision changes from a
	// skip to work.
	queue []string
}

func newBuilder(g *pipeline.Graph, live Live, opts Options) *builder {
	b := &builder{g: g, live: live.indexed(), opts: opts.withDefaults(), decided: map[string]*decision{},
		states: map[string]state{}, excluded: map[string]bool{}, products: map[string]bool{}}
	for _, n := range b.opts.Exclude {
		b.excluded[n] = true
	}
	return b
}

var excludedVerdict = skip("excluded (--exclude-table-file-name)", ExpectNothing)

func (b *builder) start(req Request) error {
	type start struct {
		table string
		rule  rule
		// ensure: a table of a product or folder, deployed only when it does
		// not run; the plan does not answer for the SQL it runs.
		ensure bool
		// redo: deployed even when it runs the tree's SQL (--force).
		redo bool
	}
	var starts []start
	for _, n := range req.Tables {
		starts = append(starts, start{table: n, rule: b.startAction, redo: b.opts.Force})
	}
	for _, n := range req.Ensure {
		starts = append(starts, start{table: n, rule: b.ensureAction, ensure: true})
	}
	for _, c := range req.Changes {
		starts = append(starts, start{table: c.Table, rule: func(t *inventory.Table, s state) verdict {
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
		switch {
		case t.Name == inventory.NoTable:
			// Reported, never deployed: its DDL creates nothing Confluent
			// Cloud runs (CREATE MATERIALIZED TABLE).
			b.set(t.Name, skip("its DDL creates no table Confluent Cloud runs ("+t.DDLRef+")", ExpectNothing), RoleStart, false)
			continue
		case b.excluded[t.Name]:
			b.set(t.Name, excludedVerdict, RoleStart, false)
			continue
		}
		b.products[t.Product] = true
		st := b.state(t)
		v := b.decide(t, st, s.rule)
		if st.current && !s.ensure && !s.redo {
			v = inSync(v)
		}
		b.set(t.Name, v, RoleStart, !s.ensure)
	}
	for _, s := range starts {
		b.ancestors(s.table, b.opts.ForceAncestors)
	}
	return nil
}

// set records a decision unless the table has one already: the first reason
// a table enters the plan is the one reported. It reports whether it did.
func (b *builder) set(table string, v verdict, role Role, scope bool) bool {
	if _, ok := b.decided[table]; ok {
		return false
	}
	b.decided[table] = &decision{verdict: v, role: role, scope: scope || v.kind != Skip}
	b.queue = append(b.queue, table)
	return true
}

// redeploy records work for a table that may have been skipped so far (a
// running ancestor, a table in sync): a parent deployed later in the walk
// makes it work after all. A table already doing work keeps its decision,
// an excluded one is never touched.
func (b *builder) redeploy(table string, v verdict, cascade bool) {
	d, ok := b.decided[table]
	switch {
	case !ok:
		b.set(table, v, RoleDescendant, true)
		b.decided[table].cascade = cascade
	case d.kind != Skip || b.excluded[table]:
		return
	default:
		d.verdict, d.role, d.scope, d.cascade = v, RoleDescendant, true, cascade
		b.queue = append(b.queue, table)
	}
	if v.kind != Skip {
		// A descendant's other parents are what it needs, not what the
		// user asked to force: --force-ancestors stops at the request's.
		b.ancestors(table, false)
	}
}

// state is what runs of one table now.
type state struct {
	tableLive
	desired Desired
	sync    TableStatus
	// runs: the DML is deployed (a DDL-only table: its DDL completed).
	runs bool
	// exists: the table is there — its DDL completed or its DML runs, and
	// no drop ran since.
	exists bool
	// ddlCurrent: the DDL completed with the SQL of the tree, after any
	// drop of the table.
	ddlCurrent bool
	// current: the table runs the SQL of the tree, as shiftleft deployed
	// it (unhealthy or not).
	current bool
	// underway: its statement carries the tree's SQL and is on its way to
	// running: the plan waits for it rather than replacing it.
	underway bool
	// carry is how a new DML would carry over offsets; nil when it
	// cannot, noCarry saying why.
	carry   *carry
	noCarry string
	// alter is how ALTER TABLE brings its DDL to the tree's; nil when it
	// cannot, noAlter saying why (or "": the DDL did not change).
	alter   *alteration
	noAlter string
	// altered: its DDL statement records an ALTER TABLE of the table.
	altered bool
}

func (b *builder) state(t *inventory.Table) state {
	if s, ok := b.states[t.Name]; ok {
		return s
	}
	s := b.readState(t)
	b.states[t.Name] = s
	return s
}

// readState compares a table with what runs; state keeps the answer, as
// what runs does not change while a plan is built.
func (b *builder) readState(t *inventory.Table) state {
	if b.live.Tables != nil && deployable(t) && !b.live.Tables[t.Name] {
		b.unread = append(b.unread, t.Name)
	}
	d := b.live.resolve(desiredOf(t, b.opts.Naming))
	s := state{tableLive: liveOf(d, b.live), desired: d}
	s.sync = compare(d, s.tableLive)
	ddlDone := s.ddl != nil && s.ddl.Phase == PhaseCompleted && !s.dropped
	s.ddlCurrent = ddlDone && s.ddl.Fingerprint == t.Fingerprint
	s.runs = s.deployed(d)
	s.exists = ddlDone || s.runs
	s.current = s.sync.State == InSync || s.sync.State == Degraded
	s.underway = s.sync.State == Pending
	if t.DMLRef != "" && !s.dropped {
		s.carry, s.noCarry = b.carryOf(t, s)
	}
	s.alter, s.noAlter = b.alterOf(t, s)
	s.altered = b.alteredDDL(t, s)
	return s
}

func stateful(t *inventory.Table) bool { return t.StateForm() == inventory.Stateful }

// rule is one of the seed's rules for a table: what to do and why.
type rule func(*inventory.Table, state) verdict

// decide is what every table's rule goes through: what an interrupted
// deploy left half done is finished whatever the rule says, and a table
// without DML, which has no statement to restart, is recreated instead.
func (b *builder) decide(t *inventory.Table, s state, r rule) verdict {
	switch {
	case s.dropped:
		return work(Create, "resuming an interrupted recreate: its table was dropped; create it again")
	case t.DMLRef != "" && s.ddlCurrent && s.staleDrop && s.dml == nil:
		// The drop's helper is deleted only once the new DDL completed, so
		// this is a recreate stopped between its DDL and its DML.
		return work(Create, "resuming: its DDL already runs this SQL; create the DML")
	case s.carry != nil && s.carry.resumed:
		return work(CarryOver, "resuming: "+s.carry.into+" waits to carry over the offsets of "+s.carry.from+"; stop it")
	case s.underway:
		return work(Create, "resuming: "+s.sync.Statement+" is "+s.sync.Detail+" with this SQL; wait for it")
	case s.alter != nil && s.alter.resumed:
		return work(Alter, "resuming: its ALTER TABLE statements ran; record its DDL")
	case halfBuilt(t, s):
		return work(Create, "resuming: new version "+PhysicalName(t.Name, s.desired.Version)+" has its DDL; create its DML")
	}
	v := r(t, s)
	switch {
	case b.alters(t, s, v):
		v.kind, v.intent = Alter, Alter
		v.reason = "DDL changed only in what ALTER TABLE applies: alter the table, keep its topic"
		return v
	case s.noAlter != "" && v.kind == Recreate && v.ddlChanged:
		v.reason += " (no ALTER TABLE: " + s.noAlter + ")"
	case s.noAlter != "" && (v.kind == RestartDML || v.kind == CarryOver) && !v.fromEarliest:
		// A start table's rule looks at its DML only: restarting it would
		// leave the table on its old DDL, silently. The table is rebuilt:
		// a new version, or a recreate (below).
		v = work(Recreate, "DDL changed: rebuild the table (no ALTER TABLE: "+s.noAlter+")")
		v.ddlChanged = true
	}
	switch {
	case v.kind == RestartDML && t.DMLRef == "":
		return ddlOnlyAction(b.opts)
	case v.kind == Recreate && !v.fromEarliest && !v.ddlChanged && !v.forced && b.inPlace(t, s):
		v.kind, v.intent = InPlace, InPlace
		v.reason += "; it has a primary key: rebuilt in place"
	case b.newVersion(t, s, v):
		v.kind, v.intent = NewVersion, NewVersion
		v.reason += "; a new version " + PhysicalName(t.Name, b.nextPhysical(t, s)) + " beside it"
	case v.fromEarliest || s.carry == nil || b.strategy(t) == StrategyRecreate:
	case v.kind == RestartDML, v.kind == Create && s.ddlCurrent:
		// A new DML of a table that exists with this DDL: it starts where
		// the one before stopped, rather than at the earliest offset.
		v.kind, v.intent = CarryOver, CarryOver
		v.reason += "; carry over the offsets of " + s.carry.from
	}
	return v
}

// ddlOnlyAction replaces a DML restart of a table without DML, which would
// do nothing: its SQL is its DDL, so its table is dropped and created again,
// unless --dml-only forbids touching tables.
func ddlOnlyAction(o Options) verdict {
	if o.DMLOnly {
		return skip("--dml-only: it has no DML", ExpectRunning)
	}
	return work(Recreate, "no DML: drop the table and run its DDL")
}

// startAction is the seed's rule for a table the user names: a sink that
// does not exist is created; one that exists is recreated when forced or
// when its DML is stateful, else its DML restarts. A table already running
// the tree's SQL is left alone unless forced, so a re-run changes nothing.
func (b *builder) startAction(t *inventory.Table, s state) verdict {
	switch {
	case !s.exists:
		return work(Create, "not deployed yet")
	case b.opts.Force && !b.opts.DMLOnly:
		return forced(work(Recreate, "--force: drop and recreate"))
	}
	return b.existingAction(t, "")
}

// existingAction redeploys a table that exists with other SQL, or whose
// DML does not run: its DML restarts, unless it is stateful, which rebuilds
// its state by recreating the table.
func (b *builder) existingAction(t *inventory.Table, why string) verdict {
	switch {
	case b.opts.DMLOnly:
		return work(RestartDML, why+"--dml-only: restart the DML")
	case stateful(t):
		return work(Recreate, why+"stateful DML: its state must be rebuilt ("+t.StatefulReasons[0]+")")
	}
	return work(RestartDML, why+"stateless DML: restart it")
}

// ensureAction deploys a table of a product or folder only when it does not
// run, as shift_left's product and directory deployments do.
func (b *builder) ensureAction(t *inventory.Table, s state) verdict {
	switch {
	case s.runs && b.opts.ForceAncestors:
		return forced(work(Recreate, "--force-ancestors: redeploy although it runs"))
	case s.runs:
		return skip("already runs", ExpectRunning)
	}
	return work(Create, "not running")
}

// changeAction is the rule for a table whose SQL changed in git: a new
// table is created; a changed DDL means a new table; a changed stateful DML
// must rebuild its state; a changed stateless DML only restarts. A table the
// diff calls new that exists already (the repository was never deployed
// here, or by another tool) is a table that exists with other SQL.
func (b *builder) changeAction(t *inventory.Table, s state, c Change) verdict {
	switch {
	case !s.exists && c.New:
		return work(Create, "new table")
	case !s.exists:
		return work(Create, "not deployed ("+s.sync.Detail+")")
	case c.New:
		return b.existingAction(t, "not deployed from this repository yet, "+string(s.sync.State)+": ")
	case c.DDL && !b.opts.DMLOnly:
		v := work(Recreate, "DDL changed: drop and recreate")
		v.ddlChanged = true
		return v
	case c.DML && stateful(t) && !b.opts.DMLOnly:
		return work(Recreate, "DML changed, stateful: its state must be rebuilt")
	}
	return work(RestartDML, "DML changed, stateless: restart it")
}

// ancestors plans what name needs: every ancestor that does not run is
// created, one that runs is skipped (another pipeline owns it) unless
// force, an external topic is never deployed.
func (b *builder) ancestors(name string, force bool) {
	for _, a := range b.g.Ancestors(name) {
		if _, ok := b.decided[a]; ok {
			continue // the first decision stays
		}
		if b.excluded[a] {
			b.set(a, excludedVerdict, RoleAncestor, false)
			continue
		}
		t, _ := b.g.Table(a)
		if t.External() {
			b.set(a, skip("external topic: never deployed", ExpectNothing), RoleAncestor, false)
			continue
		}
		b.set(a, b.decide(t, b.state(t), func(t *inventory.Table, s state) verdict { return ancestorAction(s, force) }), RoleAncestor, false)
	}
}

func ancestorAction(s state, force bool) verdict {
	switch {
	case force && s.exists:
		return forced(work(Recreate, "--force-ancestors: redeploy"))
	case force:
		return work(Create, "--force-ancestors: deploy")
	case s.runs:
		return skip("already runs: owned by its own pipeline", ExpectRunning)
	}
	return work(Create, "not running: needed by its children")
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

// walk looks at the children of every table the plan decided, parents
// first, until nothing changes:
//   - a child of a table whose table the plan drops is redeployed, always:
//     DROP TABLE fails every statement that reads it;
//   - with MayStartDescendants, a child of a redeployed table restarts by
//     shift_left's rule, then all its descendants; a child of a table in
//     scope that the plan leaves alone is in scope too, and is redeployed
//     when it does not run the tree's SQL or when its parent was redeployed
//     after it started (a deploy that did not finish).
func (b *builder) walk() error {
	for i := 0; i < len(b.queue); i++ {
		name := b.queue[i]
		d := b.decided[name]
		parent, _ := b.g.Table(name)
		drops := b.dropsTable(parent, d)
		for _, c := range b.g.Children(name) {
			if err := b.visit(parent, d, drops, c); err != nil {
				return err
			}
		}
		if !reemits(d.kind) || !b.opts.MayStartDescendants {
			continue
		}
		// A statement set writes other tables too: redeployed, it writes
		// them again, so their readers restart as its own do.
		for _, w := range parent.AlsoWrites {
			for _, c := range b.g.Children(w) {
				child, _ := b.g.Table(c)
				if cd, ok := b.decided[c]; c == name || ok && cd.kind != Skip || b.excluded[c] {
					continue
				}
				if d.cascade || childRestarts(parent, child) && b.productAllowed(child) {
					b.redeploy(c, b.restart(child, "parent "+w+" is written again by "+name+"'s redeployed DML"), true)
				}
			}
		}
	}
	return nil
}

// visit decides a child of a table the plan decided (d); drops says the
// plan drops the parent's table.
func (b *builder) visit(parent *inventory.Table, d *decision, drops bool, c string) error {
	name := parent.Name
	child, _ := b.g.Table(c)
	cd, decided := b.decided[c]
	if decided && cd.kind != Skip {
		return nil
	}
	if b.follows(parent, d, child) {
		return nil
	}
	cause := ""
	switch {
	case drops:
		cause = "parent " + name + " recreated (DROP TABLE fails its readers)"
	case d.kind == Alter:
		// Its readers run on the catalog they started with: restarted,
		// with carry-over when they can, to read the altered table.
		if b.excluded[c] {
			b.set(c, excludedVerdict, RoleDescendant, false)
			return nil
		}
		b.redeploy(c, b.restart(child, "parent "+name+" altered (ALTER TABLE): restart to read its new catalog"), false)
		return nil
	case d.scope && b.state(parent).altered && !b.excluded[c] &&
		(startedBefore(b.state(child), b.state(parent).ddl) || !b.state(child).current):
		// What a deploy that stopped half way left: it altered the parent,
		// and did not restart this reader, or not to the end.
		b.redeploy(c, b.restart(child, "parent "+name+" was altered after it started (a deploy that did not finish)"), false)
		return nil
	case d.scope && b.state(parent).ddl != nil && !b.state(parent).altered && startedBefore(b.state(child), b.state(parent).ddl):
		// What a deploy that stopped half way left: it recreated the
		// parent, not yet its readers. (A parent without a table recreated
		// nothing: its readers are not read for it.)
		cause = "parent " + name + "'s table was recreated after it started (a deploy that did not finish)"
	case d.kind == Skip && d.scope && d.intent == Recreate && (!decided || !cd.scope) && !b.excluded[c]:
		// Recreated already, by an earlier run of this deploy: its readers
		// are in scope, whatever the flags, as they were then.
		b.compareChild(parent, child)
		return nil
	}
	if cause != "" {
		if b.excluded[c] {
			return fmt.Errorf("%w: %s reads %s, whose table is (or was) dropped and created again (%s): exclude %s too, or stop excluding %s",
				ErrExcludedReader, c, name, d.reason, name, c)
		}
		b.redeploy(c, b.restartFromEarliest(child, cause), true)
		return nil
	}
	if !b.opts.MayStartDescendants {
		return nil
	}
	impacted := childRestarts(parent, child) && b.productAllowed(child)
	restarts := reemits(d.kind) && (d.cascade || impacted)
	compared := d.kind == Skip && d.scope && (!decided || !cd.scope) && (d.cascade || impacted)
	switch {
	case (restarts || compared) && b.excluded[c]:
		// Reported; what only it would restart is left alone.
		b.set(c, excludedVerdict, RoleDescendant, false)
	case restarts:
		b.redeploy(c, b.restart(child, "parent "+name+" redeployed"), true)
	case compared:
		b.compareChild(parent, child)
	}
	return nil
}

// dropsTable reports whether the plan drops the table's table: its
// action's steps run DROP TABLE, or an interrupted recreate dropped it.
func (b *builder) dropsTable(t *inventory.Table, d *decision) bool {
	if d.kind == Skip {
		return false
	}
	return slices.ContainsFunc(b.steps(t, b.state(t), d.kind), func(s Step) bool { return s.Kind == DropTable })
}

// compareChild decides a child of a table in scope that the plan leaves
// alone: it is in scope too, redeployed when it does not run the tree's SQL
// or when parent's statement is newer than its own — parent was redeployed
// after it started, by a deploy that stopped before it got to this child.
func (b *builder) compareChild(parent, child *inventory.Table) {
	s := b.state(child)
	switch {
	case !s.current:
		b.redeploy(child.Name, b.restart(child, string(s.sync.State)+" ("+s.sync.Detail+")"), true)
	case startedBefore(s, rebuilt(b.state(parent).dml), b.state(parent).ddl):
		b.redeploy(child.Name, b.restart(child, "parent "+parent.Name+" was redeployed after it started (a deploy that did not finish)"), true)
	default:
		b.widen(child.Name, inSync(b.restart(child, "")))
	}
}

// widen brings a table that runs the tree's SQL into scope as a descendant,
// so that its children are compared too: all of its own descendants are in
// scope, as they would restart with it. A table skipped as a running
// ancestor (no scope) takes the new verdict, still a skip, and its children
// are looked at again.
func (b *builder) widen(table string, v verdict) {
	d, ok := b.decided[table]
	switch {
	case !ok:
		b.set(table, v, RoleDescendant, true)
		b.decided[table].cascade = true
	case d.kind == Skip && !d.scope && !b.excluded[table]:
		d.verdict, d.role, d.scope, d.cascade = v, RoleDescendant, true, true
		b.queue = append(b.queue, table)
	}
}

// startedBefore reports whether the statement s runs (its DML, else its
// DDL) was created before one of sts: a parent's, redeployed after it
// started. Given the parent's DDL alone, it says the parent's table was
// created again under a running reader, which must be redeployed whatever
// the rules say.
func startedBefore(s state, sts ...*Statement) bool {
	mine := s.main(s.desired)
	if mine == nil || mine.CreatedAt.IsZero() {
		return false
	}
	for _, st := range sts {
		if st != nil && st.CreatedAt.After(mine.CreatedAt) {
			return true
		}
	}
	return false
}

// restart is the verdict on a descendant, cause saying why it restarts.
func (b *builder) restart(t *inventory.Table, cause string) verdict {
	return b.decide(t, b.state(t), func(t *inventory.Table, s state) verdict {
		return b.restartAction(t, s, cause)
	})
}

// restartFromEarliest is the verdict on a reader of a table whose topic is
// dropped and filled again: its DML reads the new topic from the start.
func (b *builder) restartFromEarliest(t *inventory.Table, cause string) verdict {
	return b.decide(t, b.state(t), func(t *inventory.Table, s state) verdict {
		v := b.restartAction(t, s, cause)
		v.fromEarliest = true
		return v
	})
}

// reemits says whether an action writes again what its table held: a
// carried-over DML reads on where the one before stopped, so its readers
// have nothing to rebuild.
//
// An in-place DML writes again, but upserts of the keys the table holds,
// which its readers take as updates: they have nothing to rebuild either.
//
// An altered table's DML carries over too; its readers are restarted by
// the walk, to read the new catalog, not to rebuild anything.
func reemits(k ActionKind) bool { return k != Skip && k != CarryOver && k != InPlace && k != Alter }

// inPlace says whether a change that must rebuild t's state goes into the
// same table: t has a primary key, its strategy is version (the default)
// or in-place, and its DML runs or was stopped (a FAILED one is recreated:
// there is nothing to stop). A table without DML has nothing to reprocess.
func (b *builder) inPlace(t *inventory.Table, s state) bool {
	if !t.PrimaryKey || t.DMLRef == "" || b.strategy(t) == StrategyRecreate || s.dropped || len(s.versions) == 0 {
		return false
	}
	last := s.versions[len(s.versions)-1].k
	return carriable(*s.dml) && b.nextVersion(s.desired.DML, last) <= maxVersion
}

// rebuilt is a parent's DML when it rebuilt the parent's output, nil when
// it carried over the offsets of the one before.
func rebuilt(dml *Statement) *Statement {
	if dml != nil && dml.OffsetsFrom != "" {
		return nil
	}
	return dml
}

// restartAction is the rule for a descendant: created when its table does
// not exist, else recreated when its state depends on the changed input,
// else its DML restarts (or is created, when it does not run).
func (b *builder) restartAction(t *inventory.Table, s state, cause string) verdict {
	switch {
	case !s.exists:
		return work(Create, cause+"; not running")
	case stateful(t) && !b.opts.DMLOnly:
		return work(Recreate, cause+"; stateful: its state must be rebuilt")
	case !s.runs:
		return work(Create, cause+"; not running")
	}
	return work(RestartDML, cause+"; restart the DML")
}
