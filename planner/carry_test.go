package planner_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/planner"
)

// withVersions puts the DML versions of table in live, k: phase, with the
// old fingerprint, but for a last version PENDING: an earlier run's.
func withVersions(live planner.Live, table, fp string, phases map[int]string, from map[int]int) planner.Live {
	base := naming.DML(table, "p")
	delete(live.Statements, base)
	last := 0
	for k := range phases {
		last = max(last, k)
	}
	for k, phase := range phases {
		name, f := planner.DMLVersion(base, k), "old"
		if k == last && phase == planner.PhasePending {
			f = fp // an earlier run's new version, waiting
		}
		st := planner.Statement{Name: name, Phase: phase, Fingerprint: f, Table: table}
		if k2, ok := from[k]; ok {
			st.OffsetsFrom = planner.DMLVersion(base, k2)
		}
		live.Statements[name] = st
	}
	return live
}

// TestCarryOverSteps: a stateless DML change is its next version carrying
// over the offsets of the running one, whatever an earlier run left.
func TestCarryOverSteps(t *testing.T) {
	g := chain(t, "src:", "mid: src", "agg*: mid")
	base := naming.DML("mid", "p")
	v := func(k int) string { return planner.DMLVersion(base, k) }
	change := planner.Request{Changes: []planner.Change{{Table: "mid", DML: true}}}
	tests := []struct {
		name   string
		phases map[int]string
		from   map[int]int
		opts   planner.Options
		kind   planner.ActionKind
		steps  []string
	}{
		{"first change", map[int]string{1: planner.PhaseRunning}, nil, planner.Options{}, planner.CarryOver,
			[]string{"submit-dml " + v(2) + " from " + base, "stop-statement " + base, "create-dml " + v(2) + " from " + base}},
		{"the rollback point before goes", map[int]string{1: planner.PhaseStopped, 2: planner.PhaseRunning}, nil, planner.Options{}, planner.CarryOver,
			[]string{"delete-statement " + base, "submit-dml " + v(3) + " from " + v(2), "stop-statement " + v(2), "create-dml " + v(3) + " from " + v(2)}},
		{"--keep-stopped 2", map[int]string{1: planner.PhaseStopped, 2: planner.PhaseRunning}, nil, planner.Options{KeepStopped: 2}, planner.CarryOver,
			[]string{"submit-dml " + v(3) + " from " + v(2), "stop-statement " + v(2), "create-dml " + v(3) + " from " + v(2)}},
		{"--keep-stopped 0", map[int]string{1: planner.PhaseRunning}, nil, planner.Options{KeepStopped: -1}, planner.CarryOver,
			[]string{"submit-dml " + v(2) + " from " + base, "stop-statement " + base, "create-dml " + v(2) + " from " + base, "delete-statement " + base}},
		{"a failed version is deleted, the running one carried over", map[int]string{2: planner.PhaseRunning, 3: planner.PhaseFailed}, nil, planner.Options{}, planner.CarryOver,
			[]string{"delete-statement " + v(3), "submit-dml " + v(4) + " from " + v(2), "stop-statement " + v(2), "create-dml " + v(4) + " from " + v(2)}},
		{"killed with the new version pending", map[int]string{1: planner.PhaseRunning, 2: planner.PhasePending}, map[int]int{2: 1}, planner.Options{}, planner.CarryOver,
			[]string{"submit-dml " + v(2) + " from " + base, "stop-statement " + base, "create-dml " + v(2) + " from " + base}},
		{"killed while the old one stops", map[int]string{1: planner.PhaseStopping, 2: planner.PhasePending}, map[int]int{2: 1}, planner.Options{}, planner.CarryOver,
			[]string{"submit-dml " + v(2) + " from " + base, "stop-statement " + base, "create-dml " + v(2) + " from " + base}},
		{"nothing runs to carry over from: from the earliest offset", map[int]string{1: planner.PhaseFailed}, nil, planner.Options{AllowDrop: true}, planner.RestartDML,
			[]string{"delete-statement " + base, "create-dml " + base}},
		{"strategy recreate: shift_left's restart", map[int]string{1: planner.PhaseRunning}, nil, planner.Options{Strategy: planner.StrategyRecreate, AllowDrop: true}, planner.RestartDML,
			[]string{"delete-statement " + base, "create-dml " + base}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := withVersions(deployed(g, true, "src", "mid", "agg"), "mid", "fp-mid", tt.phases, tt.from)
			tt.opts.MayStartDescendants = true
			p, err := planner.Build(g, live, change, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := p.Action("mid")
			var steps []string
			for _, s := range a.Steps {
				st := string(s.Kind) + " " + s.Statement
				if s.OffsetsFrom != "" {
					st += " from " + s.OffsetsFrom
				}
				steps = append(steps, st)
			}
			if a.Kind != tt.kind || !reflect.DeepEqual(steps, tt.steps) {
				t.Errorf("%s %q, want %s %q", a.Kind, steps, tt.kind, tt.steps)
			}
			if agg, _ := p.Action("agg"); tt.kind == planner.CarryOver && agg.Kind != planner.Skip && agg.Kind != "" {
				t.Errorf("agg %s: a carried-over parent re-emits nothing", agg.Kind)
			}
			if tt.kind == planner.RestartDML && !strings.Contains(a.Consequence, "from the earliest offset (") {
				t.Errorf("consequence %q does not say why it starts at the earliest offset", a.Consequence)
			}
		})
	}
}

// TestDMLVersionNamesFit: versions of the longest names stay within
// Confluent's limit and apart.
func TestDMLVersionNamesFit(t *testing.T) {
	long := naming.DML(strings.Repeat("a_very_long_table_name_", 5), "p")
	seen := map[string]bool{}
	for _, k := range []int{1, 2, 10, 9999} {
		n := planner.DMLVersion(long, k)
		if len(n) > planner.MaxStatementName || seen[n] {
			t.Errorf("version %d: %q (%d characters)", k, n, len(n))
		}
		seen[n] = true
	}
}

// TestInPlaceRules: a stateful change of a table with a primary key goes
// into the same table, unless its DDL changed, a recreate is asked for, or
// it has no key (a new version, by default).
func TestInPlaceRules(t *testing.T) {
	dmlChange := planner.Request{Changes: []planner.Change{{Table: "agg", DML: true}}}
	tests := []struct {
		name string
		key  bool
		req  planner.Request
		opts planner.Options
		want planner.ActionKind
	}{
		{"a keyed table, by default", true, dmlChange, planner.Options{}, planner.InPlace},
		{"strategy in-place", true, dmlChange, planner.Options{Strategy: planner.StrategyInPlace}, planner.InPlace},
		{"its DDL changed", true, planner.Request{Changes: []planner.Change{{Table: "agg", DDL: true, DML: true}}}, planner.Options{AllowDrop: true}, planner.NewVersion},
		{"--force", true, planner.Request{Tables: []string{"agg"}}, planner.Options{Force: true, AllowDrop: true}, planner.Recreate},
		{"strategy recreate", true, dmlChange, planner.Options{Strategy: planner.StrategyRecreate, AllowDrop: true}, planner.Recreate},
		{"no primary key", false, dmlChange, planner.Options{Strategy: planner.StrategyInPlace, AllowDrop: true}, planner.NewVersion},
		{"its DDL changed, strategy recreate", true, planner.Request{Changes: []planner.Change{{Table: "agg", DDL: true, DML: true}}}, planner.Options{Strategy: planner.StrategyRecreate, AllowDrop: true}, planner.Recreate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := chain(t, "src:", "mid: src", "agg*: mid", "top*: agg*")
			tb, _ := g.Table("agg")
			tb.PrimaryKey = tt.key
			live := deployed(g, true, "src", "mid", "top")
			for k, v := range deployed(g, false, "agg").Statements {
				live.Statements[k] = v
			}
			tt.opts.MayStartDescendants = true
			p, err := planner.Build(g, live, tt.req, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := p.Action("agg")
			if a.Kind != tt.want {
				t.Fatalf("agg: %s (%s), want %s", a.Kind, a.Reason, tt.want)
			}
			if tt.want != planner.InPlace {
				return
			}
			base := naming.DML("agg", "p")
			if got := stepKinds(a); !reflect.DeepEqual(got, []string{"stop-statement", "create-dml"}) || a.Steps[1].Statement != planner.DMLVersion(base, 2) {
				t.Errorf("steps %v %+v", got, a.Steps)
			}
			if top, _ := p.Action("top"); top.Kind != planner.Skip && top.Kind != "" {
				t.Errorf("top %s: the readers of an upsert table take the rows as updates", top.Kind)
			}
		})
	}
}

// TestVersionsAreTheTablesStatements: the last version of a DML is the one
// its status is about; the stopped ones are its rollback points, not
// orphans; an undeploy deletes them all.
func TestVersionsAreTheTablesStatements(t *testing.T) {
	g := chain(t, "src:", "mid: src")
	base := naming.DML("mid", "p")
	live := withVersions(deployed(g, true, "src", "mid"), "mid", "fp-mid",
		map[int]string{1: planner.PhaseStopped, 2: planner.PhaseStopped, 3: planner.PhaseRunning}, nil)
	v3 := live.Statements[planner.DMLVersion(base, 3)]
	v3.Fingerprint = "fp-mid"
	live.Statements[v3.Name] = v3
	for _, s := range planner.Status(planner.DesiredState(g.Inventory(), naming), live) {
		switch {
		case s.State == planner.Orphaned:
			t.Errorf("orphaned: %s", s)
		case s.Table == "mid" && (s.State != planner.InSync || s.Statement != v3.Name):
			t.Errorf("mid: %s on %s, want in sync on %s", s, s.Statement, v3.Name)
		}
	}
	p, err := planner.Undeploy(g, live, "mid", planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := p.Action("mid")
	var deleted []string
	for _, s := range a.Steps {
		if s.Kind == planner.DeleteStatement && strings.Contains(s.Statement, "-dml-") {
			deleted = append(deleted, s.Statement)
		}
	}
	if want := []string{v3.Name, planner.DMLVersion(base, 2), base}; !reflect.DeepEqual(deleted, want) {
		t.Errorf("undeploy deletes %v, want %v", deleted, want)
	}
}

// TestAVersionNameTakenByAnotherTable: t_v2's DML has the name of t's
// version 2; t's carry-over goes to version 3, and t_v2's DML is neither
// one of t's versions nor touched.
func TestAVersionNameTakenByAnotherTable(t *testing.T) {
	g := chain(t, "src:", "mid: src", "mid_v2: src")
	base := naming.DML("mid", "p")
	taken := naming.DML("mid_v2", "p")
	if taken != planner.DMLVersion(base, 2) {
		t.Fatalf("%s is not %s: the case of this test is gone", taken, planner.DMLVersion(base, 2))
	}
	live := deployed(g, true, "src", "mid_v2")
	for k, v := range deployed(g, false, "mid").Statements {
		v.Table = "mid"
		live.Statements[k] = v
	}
	other := live.Statements[taken]
	other.Table = "mid_v2"
	live.Statements[taken] = other
	p, err := planner.Build(g, live, planner.Request{Changes: []planner.Change{{Table: "mid", DML: true}}}, planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := p.Action("mid")
	for _, s := range a.Steps {
		if s.Statement == taken {
			t.Errorf("mid's plan touches %s: %+v", taken, a.Steps)
		}
	}
	if a.Kind != planner.CarryOver || a.Steps[0].Statement != planner.DMLVersion(base, 3) {
		t.Errorf("mid: %s %+v, want a carry-over into version 3", a.Kind, a.Steps)
	}
	for _, d := range planner.DesiredState(g.Inventory(), naming) {
		if s := planner.CompareLive(d, live); d.Table == "mid" && s.Statement != base {
			t.Errorf("mid's status is about %s (%s)", s.Statement, s)
		}
	}
}
