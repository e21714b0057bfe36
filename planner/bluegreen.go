package planner

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/shiftleft/shiftleft/flinksql"
	"github.com/shiftleft/shiftleft/inventory"
	"github.com/shiftleft/shiftleft/pipeline"
)

// Blue/green: a change that must rebuild a table's state, under strategy
// version, builds a new physical version of the table beside the one that
// serves. The tree's table t is the logical table; version 1 is the
// physical table t, version k the physical table t_vk, created by the
// statements of t's names with -vk after them. Every statement of a version
// carries the logical name (label shiftleft.table) and its version (label
// shiftleft.version, absent for 1), so what runs says which versions exist:
// the highest is the live one, the others are old ones, kept serving until
// they are retired. The readers of a new version follow with new versions
// of their own, reading it: the new branch is built completely while the
// old one keeps running.

// PhysicalName is the table version k of the logical table runs in.
func PhysicalName(table string, k int) string {
	if k <= 1 {
		return table
	}
	return table + "_v" + strconv.Itoa(k)
}

// versionOf is the physical version a statement belongs to.
func versionOf(st Statement) int { return max(st.Version, 1) }

// At is d, a desired state of version 1 (or 0: unresolved), for physical
// version k of its table: its statements are named with -vk after the
// names of version 1.
func (d Desired) At(k int) Desired {
	k = max(k, 1)
	out := d
	out.Version = k
	if k > 1 {
		out.DDL, out.Drop = DMLVersion(d.DDL, k), DMLVersion(d.Drop, k)
		if d.DML != "" {
			out.DML = DMLVersion(d.DML, k)
		}
	}
	return out
}

// resolve is d at the version that runs, when d does not say which
// (Version 0, as DesiredState gives it): the highest version of its table
// any statement carries.
func (l Live) resolve(d Desired) Desired {
	if d.Version != 0 {
		return d
	}
	if l.current == nil {
		l = l.indexed()
	}
	return d.At(l.current[TableLabel(d.Table)])
}

// versioned is the statement name of version k, nil when there is none or
// it belongs to another version (t's DML version 2 and t_v2's DML share a
// name).
func (l Live) versioned(name string, k int) *Statement {
	st := l.statement(name)
	if st == nil || versionOf(*st) != max(k, 1) {
		return nil
	}
	return st
}

// nextPhysical is the version a new physical version of t takes: the first
// after the live one whose table is not a table of the tree and whose
// statement names no statement has.
func (b *builder) nextPhysical(t *inventory.Table, s state) int {
	base := desiredOf(t, b.opts.Naming)
	k := s.desired.Version + 1
	for ; k <= maxVersion; k++ {
		d := base.At(k)
		if _, err := b.g.Table(PhysicalName(t.Name, k)); err == nil {
			continue
		}
		if b.live.statement(d.DDL) == nil && b.live.statement(d.Drop) == nil && (d.DML == "" || b.live.statement(d.DML) == nil) {
			return k
		}
	}
	return k
}

// newVersion says whether a change that would recreate t builds a new
// version of it instead: its strategy is not recreate, nobody forced a
// recreate, its input is not dropped under it, and it exists.
func (b *builder) newVersion(t *inventory.Table, s state, v verdict) bool {
	return v.kind == Recreate && !v.fromEarliest && !v.forced && b.strategy(t) != StrategyRecreate &&
		s.exists && !s.dropped && b.nextPhysical(t, s) <= maxVersion
}

// halfBuilt says whether t's live version is a new version an interrupted
// deploy left without its DML: its DDL completed with the tree's SQL, no
// DML of the version was created.
func halfBuilt(t *inventory.Table, s state) bool {
	return s.desired.Version > 1 && t.DMLRef != "" && s.ddlCurrent && len(s.versions) == 0
}

// target is the physical version of t once the plan ran.
func (b *builder) target(t *inventory.Table) int {
	if t.External() || !deployable(t) {
		return 1
	}
	s := b.state(t)
	if d, ok := b.decided[t.Name]; ok && d.kind == NewVersion {
		return b.nextPhysical(t, s)
	}
	return s.desired.Version
}

// targetDesired is t's desired state once the plan ran.
func (b *builder) targetDesired(t *inventory.Table) Desired {
	return desiredOf(t, b.opts.Naming).At(b.target(t))
}

// renames are the physical names t's SQL refers to once the plan ran, by
// logical name: its own and its parents', those at a version above 1.
func (b *builder) renames(t *inventory.Table) map[string]string {
	var out map[string]string
	add := func(name string, k int) {
		if k > 1 {
			if out == nil {
				out = map[string]string{}
			}
			out[name] = PhysicalName(name, k)
		}
	}
	add(t.Name, b.target(t))
	for _, p := range t.Parents {
		if pt, err := b.g.Table(p); err == nil {
			add(p, b.target(pt))
		}
	}
	return out
}

// physicalSteps makes the steps of t's action run against the physical
// versions: the statements they create and the tables they drop carry the
// version and read and write the physical tables.
func (b *builder) physicalSteps(t *inventory.Table, steps []Step) {
	k, renames := b.target(t), b.renames(t)
	for i := range steps {
		if creates := steps[i].Kind == CreateDDL || steps[i].Kind == CreateDML || steps[i].Kind == SubmitDML; creates || steps[i].Kind == DropTable {
			if k > 1 {
				steps[i].Version = k
			}
			steps[i].Tables = renames
		}
	}
}

// newVersionSteps create version k of t: its DDL, then its DML, which
// reads its inputs from the earliest offset. Killed at any point, a re-run
// finds version k live with what it got (halfBuilt) and goes on.
func (b *builder) newVersionSteps(t *inventory.Table, s state) []Step {
	d := desiredOf(t, b.opts.Naming).At(b.nextPhysical(t, s))
	steps := []Step{{Kind: CreateDDL, Statement: d.DDL, Ref: t.DDLRef, Fingerprint: t.Fingerprint}}
	if t.DMLRef != "" {
		steps = append(steps, Step{Kind: CreateDML, Statement: d.DML, Ref: t.DMLRef, Fingerprint: t.Fingerprint})
	}
	return steps
}

// newVersionConsequence says what a new version does to the data.
func (b *builder) newVersionConsequence(t *inventory.Table, s state) string {
	live, next := PhysicalName(t.Name, s.desired.Version), PhysicalName(t.Name, b.nextPhysical(t, s))
	return "new version " + next + " beside " + live + "; rebuilds from the earliest offset of its inputs; " +
		live + " keeps running and serving until retired (shiftleft pipeline retire " + t.Name + " --version " +
		strconv.Itoa(s.desired.Version) + ")"
}

// follow is the verdict on a reader of a table that gets a new version: it
// gets a new version of its own, which reads the new one from the earliest
// offset, so the old reader keeps serving the old branch.
func (b *builder) follow(t *inventory.Table, cause string) verdict {
	return b.decide(t, b.state(t), func(t *inventory.Table, s state) verdict {
		if !s.exists {
			return work(Create, cause+"; not running")
		}
		return work(NewVersion, cause+"; a new version of it reads the new one")
	})
}

// follows decides a child of a table that gets a new version (d), or whose
// live version is one the child does not read yet (an earlier run of the
// deploy built it and stopped before the child): the child follows with a
// new version of its own. It reports whether it decided.
func (b *builder) follows(parent *inventory.Table, d *decision, child *inventory.Table) bool {
	switch {
	case b.excluded[child.Name]:
		return false
	case d.kind == NewVersion:
		b.redeploy(child.Name, b.follow(child, "parent "+parent.Name+" gets a new version"), true)
	case b.target(parent) > 1 && b.readsOld(child, parent):
		b.redeploy(child.Name, b.follow(child, "parent "+parent.Name+" is at "+PhysicalName(parent.Name, b.target(parent))+
			", which it does not read yet (a deploy that did not finish)"), true)
	default:
		return false
	}
	return true
}

// readsOld says whether the statement child runs reads another physical
// version of parent than the one the plan leaves live. What the statement
// reads is read from its SQL, so any run, after any crash, sees it.
func (b *builder) readsOld(child, parent *inventory.Table) bool {
	s := b.state(child)
	st := s.main(s.desired)
	if st == nil || st.SQL == "" || s.dropped {
		return false
	}
	sc, err := flinksql.Parse(st.SQL)
	if err != nil {
		return false
	}
	want := PhysicalName(parent.Name, b.target(parent))
	return !slices.ContainsFunc(sc.Reads(), func(n flinksql.Name) bool { return n.Table() == want })
}

// TableVersions are the physical versions of one logical table, as what
// runs says.
type TableVersions struct {
	Table string `json:"table"`
	// Live is the highest version; Old are the others, lowest first.
	Live VersionInfo   `json:"live"`
	Old  []VersionInfo `json:"old,omitempty"`
}

// VersionInfo is one physical version of a table and its statements.
type VersionInfo struct {
	Version    int         `json:"version"`
	Physical   string      `json:"physical"`
	Statements []Statement `json:"-"`
	// Phases are its statements' phases by name.
	Phases map[string]string `json:"statements"`
}

// Versions lists the physical versions of the tables shiftleft deploys, by
// the labels of what runs (tables names the table labels to list; empty,
// all). A statement's table label is its logical table as a label value.
func Versions(live Live, tables ...string) []TableVersions {
	want := map[string]bool{}
	for _, t := range tables {
		want[TableLabel(t)] = true
	}
	by := map[string]map[int][]Statement{}
	for _, st := range live.Statements {
		if st.Table == "" || len(want) > 0 && !want[st.Table] || st.Phase == PhaseDeleting {
			continue
		}
		if by[st.Table] == nil {
			by[st.Table] = map[int][]Statement{}
		}
		by[st.Table][versionOf(st)] = append(by[st.Table][versionOf(st)], st)
	}
	var out []TableVersions
	for _, table := range slices.Sorted(func(yield func(string) bool) {
		for t := range by {
			if !yield(t) {
				return
			}
		}
	}) {
		tv := TableVersions{Table: table}
		ks := slices.Sorted(func(yield func(int) bool) {
			for k := range by[table] {
				if !yield(k) {
					return
				}
			}
		})
		for i, k := range ks {
			sts := by[table][k]
			slices.SortFunc(sts, func(a, b Statement) int { return cmp.Compare(a.Name, b.Name) })
			vi := VersionInfo{Version: k, Physical: PhysicalName(table, k), Statements: sts, Phases: map[string]string{}}
			for _, st := range sts {
				vi.Phases[st.Name] = st.Phase
			}
			if i == len(ks)-1 {
				tv.Live = vi
			} else {
				tv.Old = append(tv.Old, vi)
			}
		}
		out = append(out, tv)
	}
	return out
}

// ErrRetire: a retire names a version that does not exist or is the live
// one, or would drop a table a running statement still reads.
var ErrRetire = errors.New("cannot retire")

// Retire plans the end of an old physical version k of table: its DML
// statements that run are stopped (their topic and records kept); with
// drop, its statements are deleted and its table dropped, which needs
// permission ([DropError]) and no running statement reading the table. The
// live version is never retired.
func Retire(g *pipeline.Graph, live Live, table string, k int, drop bool, opts Options) (*Plan, error) {
	t, err := g.Table(table)
	if err != nil {
		return nil, err
	}
	b := newBuilder(g, live, opts)
	var tv *TableVersions
	if vs := Versions(b.live, table); len(vs) == 1 {
		tv = &vs[0]
	}
	switch {
	case tv == nil:
		return nil, fmt.Errorf("%w: %s has no statements", ErrRetire, table)
	case k == tv.Live.Version:
		return nil, fmt.Errorf("%w: version %d (%s) is the live version of %s", ErrRetire, k, tv.Live.Physical, table)
	}
	i := slices.IndexFunc(tv.Old, func(v VersionInfo) bool { return v.Version == k })
	if i < 0 {
		return nil, fmt.Errorf("%w: %s has no version %d (it has %s)", ErrRetire, table, k, versionList(tv))
	}
	old, d := tv.Old[i], desiredOf(t, b.opts.Naming).At(k)
	a := Action{Table: table, Product: t.Product, Kind: RetireVersion, Role: RoleStart,
		Reason: "retire version " + strconv.Itoa(k) + " (" + old.Physical + "); the live one is " + tv.Live.Physical}
	if !drop {
		for _, st := range old.Statements {
			if running(&st) && st.Name != d.DDL && st.Name != d.Drop {
				a.Steps = append(a.Steps, Step{Kind: StopStatement, Statement: st.Name})
			}
		}
		a.Consequence = "stops the statements of " + old.Physical + "; its topic and records are kept"
		return &Plan{Actions: []Action{a}}, nil
	}
	if readers := readersOf(b.live, old.Physical, old.Statements); len(readers) > 0 {
		return nil, fmt.Errorf("%w: %s is read by %s, which runs: retire its readers' old versions first", ErrRetire, old.Physical, strings.Join(readers, ", "))
	}
	a.Steps = b.dropVersionSteps(t, old)
	a.Consequence = "drops topic " + old.Physical + " (its records and schema)"
	p := &Plan{Actions: []Action{a}}
	if !b.allowDrop(t) {
		return p, &DropError{Refused: []RefusedDrop{{Table: old.Physical, Reason: string(RetireVersion) + ": " + a.Reason}}}
	}
	return p, nil
}

// dropVersionSteps delete the statements of version v of t and drop its
// table: its DML statements first, then DROP TABLE, then its DDL and the
// drop's helper, as a recreate's drop does.
func (b *builder) dropVersionSteps(t *inventory.Table, v VersionInfo) []Step {
	d := desiredOf(t, b.opts.Naming).At(v.Version)
	var steps []Step
	for _, st := range v.Statements {
		if st.Name != d.DDL && st.Name != d.Drop {
			steps = append(steps, Step{Kind: DeleteStatement, Statement: st.Name})
		}
	}
	var tables map[string]string
	if v.Version > 1 {
		tables = map[string]string{t.Name: v.Physical}
	}
	drop := Step{Kind: DropTable, Statement: d.Drop, Tables: tables}
	if v.Version > 1 {
		drop.Version = v.Version
	}
	return append(steps, drop, Step{Kind: DeleteStatement, Statement: d.DDL}, Step{Kind: DeleteStatement, Statement: d.Drop})
}

// liveDropSteps drop t's live version: its table is the physical one.
func (b *builder) liveDropSteps(t *inventory.Table, s state) []Step {
	steps := b.steps(t, s, Drop)
	if k := s.desired.Version; k > 1 {
		for i := range steps {
			if steps[i].Kind == DropTable {
				steps[i].Version, steps[i].Tables = k, map[string]string{t.Name: PhysicalName(t.Name, k)}
			}
		}
	}
	return steps
}

// oldVersionSteps drop every old version of t (an undeploy drops them all).
func (b *builder) oldVersionSteps(t *inventory.Table) []Step {
	var steps []Step
	for _, tv := range Versions(b.live, t.Name) {
		for _, v := range tv.Old {
			steps = append(steps, b.dropVersionSteps(t, v)...)
		}
	}
	return steps
}

func versionList(tv *TableVersions) string {
	var parts []string
	for _, v := range append(slices.Clone(tv.Old), tv.Live) {
		parts = append(parts, strconv.Itoa(v.Version))
	}
	return strings.Join(parts, ", ")
}

// readersOf are the running statements, other than mine, whose SQL reads
// the table physical.
func readersOf(live Live, physical string, mine []Statement) []string {
	var out []string
	for name, st := range live.Statements {
		if !running(&st) || slices.ContainsFunc(mine, func(m Statement) bool { return m.Name == name }) {
			continue
		}
		sc, err := flinksql.Parse(st.SQL)
		if err != nil {
			continue // not SQL shiftleft can read: not known to read it
		}
		if slices.ContainsFunc(sc.Reads(), func(n flinksql.Name) bool { return n.Table() == physical }) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}
