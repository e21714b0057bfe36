package planner_test

import (
	"testing"
	"testing/fstest"

	"github.com/shiftleft/shiftleft/inventory"
	"github.com/shiftleft/shiftleft/pipeline"
	"github.com/shiftleft/shiftleft/planner"
)

// TestDMLOnlyNeverRecreatesADescendant plans a change to a source whose
// stateful descendants run: --dml-only restarts their DML and touches no
// table, however stateful they are. The graph comes from SQL files through
// the inventory, so the test needs nothing of the planner but its API.
func TestDMLOnlyNeverRecreatesADescendant(t *testing.T) {
	files := fstest.MapFS{}
	for path, sql := range map[string]string{
		"sources/p/src_orders/sql-scripts/ddl.src_orders.sql": "CREATE TABLE src_orders (id STRING, amount INT);",
		"sources/p/src_orders/sql-scripts/dml.src_orders.sql": "INSERT INTO src_orders SELECT id, amount FROM raw_orders;",
		"facts/p/fct_totals/sql-scripts/ddl.fct_totals.sql":   "CREATE TABLE fct_totals (id STRING, total INT);",
		"facts/p/fct_totals/sql-scripts/dml.fct_totals.sql":   "INSERT INTO fct_totals SELECT id, SUM(amount) FROM src_orders GROUP BY id;",
		"facts/p/fct_top/sql-scripts/ddl.fct_top.sql":         "CREATE TABLE fct_top (total INT, n BIGINT);",
		"facts/p/fct_top/sql-scripts/dml.fct_top.sql":         "INSERT INTO fct_top SELECT total, COUNT(*) FROM fct_totals GROUP BY total;",
		"views/p/v_totals/sql-scripts/ddl.v_totals.sql":       "CREATE TABLE v_totals (id STRING, total INT);",
		"views/p/v_totals/sql-scripts/dml.v_totals.sql":       "INSERT INTO v_totals SELECT id, total FROM fct_totals;",
		"views/p/v_top_sl/sql-scripts/ddl.v_top_sl.sql":       "CREATE TABLE v_top_sl (total INT);",
		"views/p/v_top_sl/sql-scripts/dml.v_top_sl.sql":       "INSERT INTO v_top_sl SELECT total FROM fct_top;",
		"views/p/v_top_agg/sql-scripts/ddl.v_top_agg.sql":     "CREATE TABLE v_top_agg (n BIGINT);",
		"views/p/v_top_agg/sql-scripts/dml.v_top_agg.sql":     "INSERT INTO v_top_agg SELECT MAX(n) FROM fct_top GROUP BY total;",
	} {
		files[path] = &fstest.MapFile{Data: []byte(sql)}
	}
	inv, _, err := inventory.Build(files, inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	g, err := pipeline.New(inv)
	if err != nil {
		t.Fatal(err)
	}
	// Everything runs, deployed by another tool (no fingerprint): each
	// table's rule decides.
	live := planner.Live{Statements: map[string]planner.Statement{}}
	for _, name := range g.Order() {
		tb, _ := g.Table(name)
		if tb.External() {
			continue
		}
		for st, phase := range map[string]string{
			planner.DefaultNaming.DDL(tb.Name, tb.Product): planner.PhaseCompleted,
			planner.DefaultNaming.DML(tb.Name, tb.Product): planner.PhaseRunning,
		} {
			live.Statements[st] = planner.Statement{Name: st, Phase: phase, ComputePoolID: "lfcp-1"}
		}
	}
	stateful := []string{"fct_totals", "fct_top", "v_top_agg"}
	for _, name := range stateful {
		if tb, _ := g.Table(name); tb.StateForm() != inventory.Stateful {
			t.Fatalf("%s is %s; the test needs it stateful", name, tb.StateForm())
		}
	}

	tests := []struct {
		name    string
		dmlOnly bool
		req     planner.Request
		// want is the action of every table the change reaches.
		want map[string]planner.ActionKind
	}{
		{
			name: "--dml-only, a changed DML", dmlOnly: true,
			req: planner.Request{Changes: []planner.Change{{Table: "src_orders", DML: true}}},
			want: map[string]planner.ActionKind{"src_orders": planner.RestartDML, "fct_totals": planner.RestartDML,
				"fct_top": planner.RestartDML, "v_totals": planner.RestartDML, "v_top_sl": planner.RestartDML, "v_top_agg": planner.RestartDML},
		},
		{
			name: "--dml-only, a named table", dmlOnly: true,
			req: planner.Request{Tables: []string{"src_orders"}},
			want: map[string]planner.ActionKind{"src_orders": planner.RestartDML, "fct_totals": planner.RestartDML,
				"fct_top": planner.RestartDML, "v_totals": planner.RestartDML, "v_top_sl": planner.RestartDML, "v_top_agg": planner.RestartDML},
		},
		{
			// The rule --dml-only overrides: stateful descendants rebuild
			// their state.
			name: "without --dml-only",
			req:  planner.Request{Changes: []planner.Change{{Table: "src_orders", DML: true}}},
			want: map[string]planner.ActionKind{"src_orders": planner.RestartDML, "fct_totals": planner.Recreate,
				"fct_top": planner.Recreate, "v_totals": planner.RestartDML, "v_top_sl": planner.RestartDML, "v_top_agg": planner.Recreate},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := shiftLeftBuild(g, live, tt.req, planner.Options{DMLOnly: tt.dmlOnly, MayStartDescendants: true})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]planner.ActionKind{}
			for _, a := range p.Actions {
				if a.Kind != planner.Skip {
					got[a.Table] = a.Kind
				}
			}
			for table, want := range tt.want {
				if got[table] != want {
					a, _ := p.Action(table)
					t.Errorf("%s: %q (%s), want %s", table, got[table], a.Reason, want)
				}
			}
			for table, kind := range got {
				if _, ok := tt.want[table]; !ok {
					t.Errorf("%s: unexpected %s", table, kind)
				}
			}
		})
	}
}
