package planner_test

import (
	"errors"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shiftleft/shiftleft/pipeline"
	"github.com/shiftleft/shiftleft/planner"
)

// build plans and fails the test on an error.
func build(t *testing.T, g *pipeline.Graph, live planner.Live, req planner.Request, opts planner.Options) *planner.Plan {
	t.Helper()
	p, err := shiftLeftBuild(g, live, req, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// changedSource plans src's changed DML with its descendants.
func changedSource(t *testing.T, g *pipeline.Graph, live planner.Live) *planner.Plan {
	t.Helper()
	return build(t, g, live, planner.Request{Changes: []planner.Change{{Table: "src", DML: true}}}, planner.Options{MayStartDescendants: true})
}

func wantKinds(t *testing.T, p *planner.Plan, want map[string]planner.ActionKind) {
	t.Helper()
	if got := kinds(p); !reflect.DeepEqual(got, want) {
		t.Errorf("kinds %v, want %v", got, want)
	}
}

// at is a statement creation time, minutes after a fixed instant.
func at(minute int) time.Time { return time.Date(2026, 12, 1, 0, minute, 0, 0, time.UTC) }

// put sets a statement of the live state.
func put(live planner.Live, name, phase, fingerprint string, created time.Time) {
	live.Statements[name] = planner.Statement{Name: name, Phase: phase, Fingerprint: fingerprint, CreatedAt: created,
		Table: "x", ComputePoolID: "lfcp-run"}
}

// deployedAt runs each table's DDL and DML with the tree's SQL (current)
// or other SQL, created at the given minutes, in the order given.
func deployedAt(live planner.Live, tables map[string]int, fingerprints map[string]string) planner.Live {
	if live.Statements == nil {
		live.Statements = map[string]planner.Statement{}
	}
	for n, minute := range tables {
		fp := fingerprints[n]
		put(live, naming.DDL(n, "p"), planner.PhaseCompleted, fp, at(minute))
		put(live, naming.DML(n, "p"), planner.PhaseRunning, fp, at(minute).Add(time.Second))
	}
	return live
}

// TestRerunAfterAKilledDeployPlansWhatIsLeft replays a deploy of
// src_a → int_b* → fct_c* after src_a's DML changed, killed at each step of
// int_b's recreate: the re-run must plan int_b and fct_c from what runs, not
// skip them because src_a already runs its new SQL.
func TestRerunAfterAKilledDeployPlansWhatIsLeft(t *testing.T) {
	g := chain(t, "src_a:", "int_b*: src_a", "fct_c*: int_b*")
	newFP := map[string]string{"src_a": "fp-src_a", "int_b": "fp-int_b", "fct_c": "fp-fct_c"}
	// Before the deploy: everything ran since minute 1; src_a's DML then
	// changed (its live fingerprint is the old one).
	before := func() planner.Live {
		live := deployedAt(planner.Live{}, map[string]int{"src_a": 1, "int_b": 2, "fct_c": 3},
			map[string]string{"src_a": "old", "int_b": "fp-int_b", "fct_c": "fp-fct_c"})
		return live
	}
	// src_a was recreated at minute 10 by the killed run.
	srcDone := func() planner.Live {
		live := before()
		return deployedAt(live, map[string]int{"src_a": 10}, newFP)
	}
	intB, helper := naming.DML("int_b", "p"), naming.Drop("int_b")
	recreate := []string{"delete-statement", "drop-table", "delete-statement", "create-ddl", "delete-statement", "create-dml"}
	tests := []struct {
		name    string
		live    func() planner.Live
		want    map[string]planner.ActionKind
		intB    []string // int_b's steps
		reasons map[string]string
	}{
		{"killed after int_b's DML was deleted", func() planner.Live {
			live := srcDone()
			delete(live.Statements, intB)
			return live
		}, map[string]planner.ActionKind{"src_a": planner.Skip, "int_b": planner.Recreate, "fct_c": planner.Recreate},
			recreate, map[string]string{"int_b": "missing"}},
		{"killed after int_b's table was dropped", func() planner.Live {
			live := srcDone()
			delete(live.Statements, intB)
			put(live, helper, planner.PhaseCompleted, "", at(11))
			return live
		}, map[string]planner.ActionKind{"src_a": planner.Skip, "int_b": planner.Create, "fct_c": planner.Recreate},
			[]string{"drop-table", "create-ddl", "delete-statement", "create-dml"}, map[string]string{"int_b": "dropped"}},
		{"killed while int_b's table was being dropped", func() planner.Live {
			live := srcDone()
			delete(live.Statements, intB)
			put(live, helper, planner.PhasePending, "", at(11))
			return live
		}, map[string]planner.ActionKind{"src_a": planner.Skip, "int_b": planner.Create, "fct_c": planner.Recreate},
			[]string{"drop-table", "create-ddl", "delete-statement", "create-dml"}, nil},
		{"killed after int_b's new DDL", func() planner.Live {
			live := srcDone()
			delete(live.Statements, intB)
			put(live, helper, planner.PhaseCompleted, "", at(11))
			put(live, naming.DDL("int_b", "p"), planner.PhaseCompleted, "fp-int_b", at(12))
			return live
		}, map[string]planner.ActionKind{"src_a": planner.Skip, "int_b": planner.Create, "fct_c": planner.Recreate},
			[]string{"delete-statement", "create-dml"}, map[string]string{"int_b": "resuming"}},
		{"killed after int_b was recreated, before fct_c", func() planner.Live {
			return deployedAt(srcDone(), map[string]int{"int_b": 12}, newFP)
		}, map[string]planner.ActionKind{"src_a": planner.Skip, "int_b": planner.Skip, "fct_c": planner.Recreate},
			nil, map[string]string{"fct_c": "recreated after it started"}},
		{"killed after fct_c's DML was created, still PENDING", func() planner.Live {
			live := deployedAt(srcDone(), map[string]int{"int_b": 12, "fct_c": 13}, newFP)
			put(live, naming.DML("fct_c", "p"), planner.PhasePending, "fp-fct_c", at(14))
			return live
		}, map[string]planner.ActionKind{"src_a": planner.Skip, "int_b": planner.Skip, "fct_c": planner.Create},
			nil, map[string]string{"fct_c": "wait for it"}},
		{"everything was done", func() planner.Live {
			return deployedAt(srcDone(), map[string]int{"int_b": 12, "fct_c": 13}, newFP)
		}, map[string]planner.ActionKind{"src_a": planner.Skip, "int_b": planner.Skip, "fct_c": planner.Skip}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := tt.live()
			// The CLI's re-run (the table named) and the worker's (the diff).
			for _, req := range []planner.Request{
				{Tables: []string{"src_a"}},
				{Changes: []planner.Change{{Table: "src_a", DML: true}}},
			} {
				p, err := shiftLeftBuild(g, live, req, planner.Options{MayStartDescendants: true})
				if err != nil {
					t.Fatal(err)
				}
				if got := kinds(p); !reflect.DeepEqual(got, tt.want) {
					t.Errorf("%+v: kinds %v, want %v", req, got, tt.want)
				}
				a, _ := p.Action("int_b")
				if tt.intB != nil && !reflect.DeepEqual(stepKinds(a), tt.intB) {
					t.Errorf("int_b's steps %v, want %v", stepKinds(a), tt.intB)
				}
				for table, want := range tt.reasons {
					if a, _ := p.Action(table); !strings.Contains(a.Reason, want) {
						t.Errorf("%s's reason %q does not say %q", table, a.Reason, want)
					}
				}
				for _, a := range p.Actions {
					if a.Expect != planner.ExpectInSync {
						t.Errorf("%s expects %q, want in-sync: every table of the lineage is the plan's", a.Table, a.Expect)
					}
				}
			}
		})
	}
}

// TestAReaderOfARecreatedTableIsRedeployedWhereverItEntered: src_b's
// recreate drops the table int_c1 reads, although int_c1 entered the plan
// first as a running ancestor of int_c (src_a's descendant).
func TestAReaderOfARecreatedTableIsRedeployedWhereverItEntered(t *testing.T) {
	g := chain(t, "src_a*:", "src_b*:", "int_c1: src_b*", "int_c: src_a* int_c1", "fct_d: int_c")
	live := deployed(g, false, "src_a", "src_b", "int_c1", "int_c", "fct_d")
	for _, order := range [][]string{{"src_a", "src_b"}, {"src_b", "src_a"}} {
		p, err := shiftLeftBuild(g, live, planner.Request{Tables: order}, planner.Options{MayStartDescendants: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{"src_a", "src_b", "int_c1", "int_c", "fct_d"} {
			if a, _ := p.Action(n); a.Kind == planner.Skip {
				t.Errorf("%v: %s skipped (%s)", order, n, a.Reason)
			}
		}
		if a, _ := p.Action("int_c"); !reflect.DeepEqual(a.After, []string{"int_c1", "src_a"}) {
			t.Errorf("%v: int_c waits for %v, want int_c1 and src_a", order, a.After)
		}
	}
}

// TestReadersOfARecreatedTableAreRedeployedWithoutTheFlag: without
// --may-start-descendants, a recreated table's readers still restart, in
// any product, since DROP TABLE fails them; their own children do not
// unless their table is dropped too.
func TestReadersOfARecreatedTableAreRedeployedWithoutTheFlag(t *testing.T) {
	g := chain(t, "src:", "agg*: src", "theirs*: agg*", "light: agg*", "leaf: light", "deep: theirs*")
	theirs, _ := g.Table("theirs")
	theirs.Product = "q"
	live := deployed(g, true, "src", "agg", "theirs", "light", "leaf", "deep")
	p := build(t, g, live, planner.Request{Tables: []string{"agg"}}, planner.Options{Force: true})
	want := map[string]planner.ActionKind{"src": planner.Skip, "agg": planner.Recreate, "theirs": planner.Recreate,
		"light": planner.RestartDML, "deep": planner.RestartDML}
	wantKinds(t, p, want)
	if a, _ := p.Action("theirs"); !strings.Contains(a.Reason, "DROP TABLE") {
		t.Errorf("theirs' reason %q does not say why it must restart", a.Reason)
	}
}

func TestAnExcludedReaderOfARecreatedTableIsRefused(t *testing.T) {
	g := chain(t, "src:", "agg*: src", "top: agg*")
	live := deployed(g, false, "src", "agg", "top")
	_, err := shiftLeftBuild(g, live, planner.Request{Tables: []string{"agg"}}, planner.Options{Exclude: []string{"top"}})
	if !errors.Is(err, planner.ErrExcludedReader) || !strings.Contains(err.Error(), "top reads agg") {
		t.Errorf("err = %v, want ErrExcludedReader naming top and agg", err)
	}
}

// TestScopeIsComparedWithWhatRuns: a table in scope whose DML is missing,
// FAILED or stopped is deployed although nothing changed in git; one that
// runs the tree's SQL is left alone.
func TestScopeIsComparedWithWhatRuns(t *testing.T) {
	g := chain(t, "src*:", "mid: src*", "sink: mid")
	tests := []struct {
		name  string
		edit  func(planner.Live)
		table string
		want  planner.ActionKind
		state string
	}{
		{"a missing DML", func(l planner.Live) { delete(l.Statements, naming.DML("sink", "p")) }, "sink", planner.Create, "missing"},
		{"a FAILED DML", func(l planner.Live) {
			put(l, naming.DML("sink", "p"), planner.PhaseFailed, "fp-sink", at(9))
		}, "sink", planner.Create, "failed"},
		{"a stopped DML", func(l planner.Live) {
			put(l, naming.DML("mid", "p"), planner.PhaseStopped, "fp-mid", at(9))
		}, "mid", planner.Create, "stopped"},
		{"in sync", func(planner.Live) {}, "sink", planner.Skip, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := deployedAt(planner.Live{}, map[string]int{"src": 1, "mid": 2, "sink": 3},
				map[string]string{"src": "fp-src", "mid": "fp-mid", "sink": "fp-sink"})
			tt.edit(live)
			p, err := shiftLeftBuild(g, live, planner.Request{Changes: []planner.Change{{Table: "src", DML: true}}}, planner.Options{MayStartDescendants: true})
			if err != nil {
				t.Fatal(err)
			}
			a, _ := p.Action(tt.table)
			if a.Kind != tt.want || !strings.Contains(a.Reason, tt.state) {
				t.Errorf("%s: %s %q, want %s saying %q", tt.table, a.Kind, a.Reason, tt.want, tt.state)
			}
		})
	}
}

func TestCompareLive(t *testing.T) {
	d := planner.Desired{Table: "t", DDL: "ddl-t", DML: "dml-t", Drop: "drop-t", Fingerprint: "fp"}
	ddlOnly := planner.Desired{Table: "r", DDL: "ddl-r", Drop: "drop-r", Fingerprint: "fp"}
	tests := []struct {
		name string
		d    planner.Desired
		sts  []planner.Statement
		want planner.SyncState
	}{
		{"running", d, []planner.Statement{{Name: "dml-t", Phase: "RUNNING", Fingerprint: "fp"}}, planner.InSync},
		{"a bounded DML that finished", d, []planner.Statement{{Name: "dml-t", Phase: "COMPLETED", Fingerprint: "fp"}}, planner.InSync},
		{"no DML", d, []planner.Statement{{Name: "ddl-t", Phase: "COMPLETED", Fingerprint: "fp"}}, planner.Missing},
		{"failed", d, []planner.Statement{{Name: "dml-t", Phase: "FAILED", Fingerprint: "fp", Detail: "boom"}}, planner.Failed},
		{"failing", d, []planner.Statement{{Name: "dml-t", Phase: "FAILING", Fingerprint: "fp"}}, planner.Failed},
		{"degraded", d, []planner.Statement{{Name: "dml-t", Phase: "DEGRADED", Fingerprint: "fp"}}, planner.Degraded},
		{"stopped", d, []planner.Statement{{Name: "dml-t", Phase: "STOPPED", Fingerprint: "fp"}}, planner.Stopped},
		{"pending", d, []planner.Statement{{Name: "dml-t", Phase: "PENDING", Fingerprint: "fp"}}, planner.Pending},
		{"other SQL", d, []planner.Statement{{Name: "dml-t", Phase: "RUNNING", Fingerprint: "old"}}, planner.Changed},
		{"another tool's", d, []planner.Statement{{Name: "dml-t", Phase: "RUNNING"}}, planner.Changed},
		{"dropped by an interrupted recreate", d, []planner.Statement{
			{Name: "ddl-t", Phase: "COMPLETED", Fingerprint: "fp", CreatedAt: at(1)},
			{Name: "drop-t", Phase: "COMPLETED", CreatedAt: at(2)},
		}, planner.Missing},
		{"created again after the drop", d, []planner.Statement{
			{Name: "drop-t", Phase: "COMPLETED", CreatedAt: at(2)},
			{Name: "ddl-t", Phase: "COMPLETED", Fingerprint: "fp", CreatedAt: at(3)},
			{Name: "dml-t", Phase: "RUNNING", Fingerprint: "fp", CreatedAt: at(4)},
		}, planner.InSync},
		{"a DDL-only table", ddlOnly, []planner.Statement{{Name: "ddl-r", Phase: "COMPLETED", Fingerprint: "fp"}}, planner.InSync},
		{"a DDL-only table still running its DDL", ddlOnly, []planner.Statement{{Name: "ddl-r", Phase: "RUNNING", Fingerprint: "fp"}}, planner.Pending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := planner.Live{Statements: map[string]planner.Statement{}}
			for _, st := range tt.sts {
				live.Statements[st.Name] = st
			}
			if got := planner.CompareLive(tt.d, live); got.State != tt.want {
				t.Errorf("%s, want %s", got, tt.want)
			}
		})
	}
}

func TestStatusReportsOrphans(t *testing.T) {
	g := chain(t, "src:", "sink: src")
	desired := planner.DesiredState(g.Inventory(), naming)
	live := deployed(g, true, "src")
	gone := naming.DML("gone", "p")
	live.Statements[gone] = planner.Statement{Name: gone, Phase: "RUNNING", Table: "gone"}
	live.Statements["someone-elses"] = planner.Statement{Name: "someone-elses", Phase: "RUNNING"}
	var got []string
	for _, s := range planner.Status(desired, live) {
		got = append(got, s.Table+":"+string(s.State))
	}
	if want := []string{"sink:missing", "src:in-sync", "gone:orphaned"}; !reflect.DeepEqual(got, want) {
		t.Errorf("status %v, want %v", got, want)
	}
}

// TestVerify checks what a plan expects of each table against a live state.
func TestVerify(t *testing.T) {
	g := chain(t, "owned:", "src: owned", "sink: src")
	live := deployed(g, false, "owned")
	p := build(t, g, live, planner.Request{Tables: []string{"sink"}}, planner.Options{})
	expect := map[string]planner.Expectation{}
	for _, a := range p.Actions {
		expect[a.Table] = a.Expect
	}
	if want := map[string]planner.Expectation{"owned": planner.ExpectRunning, "src": planner.ExpectInSync, "sink": planner.ExpectInSync}; !reflect.DeepEqual(expect, want) {
		t.Fatalf("expectations %v, want %v", expect, want)
	}
	// After a run where src deployed and sink's DML failed.
	after := deployed(g, true, "src", "sink")
	after.Statements[naming.DML("owned", "p")] = live.Statements[naming.DML("owned", "p")]
	after.Statements[naming.DML("sink", "p")] = planner.Statement{Name: naming.DML("sink", "p"), Phase: "FAILED", Fingerprint: "fp-sink", Detail: "no such column"}
	got := planner.Verify(p, after)
	if len(got) != 1 || got[0].Table != "sink" || got[0].State != planner.Failed || !strings.Contains(got[0].Detail, "no such column") {
		t.Errorf("verify %v, want sink failed with Flink's detail", got)
	}
	// An owned ancestor may run other SQL, not fail.
	after.Statements[naming.DML("sink", "p")] = planner.Statement{Name: naming.DML("sink", "p"), Phase: "RUNNING", Fingerprint: "fp-sink"}
	if got := planner.Verify(p, after); len(got) != 0 {
		t.Errorf("verify %v, want nothing", got)
	}
	after.Statements[naming.DML("owned", "p")] = planner.Statement{Name: naming.DML("owned", "p"), Phase: "STOPPED", Fingerprint: "old"}
	if got := planner.Verify(p, after); len(got) != 1 || got[0].Table != "owned" || got[0].State != planner.Stopped {
		t.Errorf("verify %v, want owned stopped", got)
	}
	// An undeploy expects every statement gone.
	u, err := planner.Undeploy(g, after, "sink", planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := planner.Verify(u, after); len(got) != 2 || got[0].State != planner.Orphaned {
		t.Errorf("verify of an undeploy not run: %v, want sink's DML and DDL left", got)
	}
}

// TestRerunRedeploysAReaderOfAnotherProduct: a killed deploy recreated src,
// whose reader theirs (another product) the plan redeployed only because
// src's table was dropped. On the re-run src runs its new SQL; theirs, whose
// DML is older than src's new table, is redeployed all the same.
func TestRerunRedeploysAReaderOfAnotherProduct(t *testing.T) {
	g := chain(t, "src*:", "theirs: src*", "mine: src*")
	theirs, _ := g.Table("theirs")
	theirs.Product = "q"
	fps := map[string]string{"src": "fp-src", "theirs": "fp-theirs", "mine": "fp-mine"}
	live := deployedAt(planner.Live{}, map[string]int{"theirs": 2, "mine": 3}, fps)
	put(live, naming.DDL("theirs", "q"), planner.PhaseCompleted, "fp-theirs", at(2))
	put(live, naming.DML("theirs", "q"), planner.PhaseFailed, "fp-theirs", at(2))
	delete(live.Statements, naming.DDL("theirs", "p"))
	delete(live.Statements, naming.DML("theirs", "p"))
	// src recreated at minute 10; mine redeployed after it; theirs not.
	deployedAt(live, map[string]int{"src": 10, "mine": 11}, fps)
	p := changedSource(t, g, live)
	want := map[string]planner.ActionKind{"src": planner.Skip, "mine": planner.Skip, "theirs": planner.Create}
	wantKinds(t, p, want)
	if a, _ := p.Action("theirs"); !strings.Contains(a.Reason, "recreated after it started") {
		t.Errorf("theirs' reason %q", a.Reason)
	}
}

// TestRerunFollowsWhatTheKilledRunRecreated: the killed run recreated src,
// then theirs (another product, stateful, in the plan only because src's
// table was dropped), not yet gc, which reads theirs. The re-run finds src
// and theirs in sync, and still redeploys gc.
func TestRerunFollowsWhatTheKilledRunRecreated(t *testing.T) {
	g := chain(t, "src*:", "theirs*: src*", "gc: theirs*")
	for _, n := range []string{"theirs", "gc"} {
		tb, _ := g.Table(n)
		tb.Product = "q"
	}
	fps := map[string]string{"src": "fp-src", "theirs": "fp-theirs", "gc": "fp-gc"}
	live := planner.Live{Statements: map[string]planner.Statement{}}
	for n, minute := range map[string]int{"src": 10, "theirs": 11, "gc": 2} {
		tb, _ := g.Table(n)
		put(live, naming.DDL(n, tb.Product), planner.PhaseCompleted, fps[n], at(minute))
		put(live, naming.DML(n, tb.Product), planner.PhaseRunning, fps[n], at(minute).Add(time.Second))
	}
	p := changedSource(t, g, live)
	want := map[string]planner.ActionKind{"src": planner.Skip, "theirs": planner.Skip, "gc": planner.RestartDML}
	wantKinds(t, p, want)
}

// TestRerunFollowsARecreatedTableMetFirstAsAnAncestor: as above, but mid
// enters the plan first as a running ancestor of other, a change of the
// same push: it is in scope all the same, and leaf, which reads it, is
// redeployed.
func TestRerunFollowsARecreatedTableMetFirstAsAnAncestor(t *testing.T) {
	g := chain(t, "src*:", "mid*: src*", "leaf: mid*", "other: mid*")
	for _, n := range []string{"mid", "leaf", "other"} {
		tb, _ := g.Table(n)
		tb.Product = "q"
	}
	fps := map[string]string{"src": "fp-src", "mid": "fp-mid", "leaf": "fp-leaf", "other": "fp-other"}
	live := planner.Live{Statements: map[string]planner.Statement{}}
	for n, minute := range map[string]int{"src": 10, "mid": 11, "leaf": 2, "other": 12} {
		tb, _ := g.Table(n)
		put(live, naming.DDL(n, tb.Product), planner.PhaseCompleted, fps[n], at(minute))
		put(live, naming.DML(n, tb.Product), planner.PhaseRunning, fps[n], at(minute).Add(time.Second))
	}
	changes := []planner.Change{{Table: "other", DML: true}, {Table: "src", DML: true}}
	p := build(t, g, live, planner.Request{Changes: changes}, planner.Options{MayStartDescendants: true})
	if a, _ := p.Action("leaf"); a.Kind != planner.RestartDML {
		t.Errorf("leaf: %s %q, want restart-dml", a.Kind, a.Reason)
	}
}

// TestAStatementSetsOtherSinksReadersRestart: x's DML is a statement set
// writing x and y; y's reader r restarts when x's DML does, as x's own
// readers do.
func TestAStatementSetsOtherSinksReadersRestart(t *testing.T) {
	g := chain(t, "src:", "y: src", "x: src y", "r*: y", "own*: x")
	x, _ := g.Table("x")
	y, _ := g.Table("y")
	x.AlsoWrites, y.WrittenBy, y.DMLRef = []string{"y"}, "x", ""
	live := deployed(g, true, "src", "y", "r", "own")
	maps.Copy(live.Statements, deployed(g, false, "x").Statements)
	p := build(t, g, live, planner.Request{Changes: []planner.Change{{Table: "x", DML: true}}}, planner.Options{MayStartDescendants: true})
	wantKinds(t, p, map[string]planner.ActionKind{"src": planner.Skip, "y": planner.Skip, "x": planner.RestartDML,
		"own": planner.Recreate, "r": planner.Recreate})
	if a, _ := p.Action("r"); !strings.Contains(a.Reason, "written again by x") {
		t.Errorf("r's reason %q", a.Reason)
	}
}
