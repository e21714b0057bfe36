package planner_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shiftleft/shiftleft/planner"
)

const (
	wmDDL5  = "CREATE TABLE IF NOT EXISTS src (id STRING, ts TIMESTAMP_LTZ(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)"
	wmDDL10 = "CREATE TABLE IF NOT EXISTS src (id STRING, ts TIMESTAMP_LTZ(3), WATERMARK FOR ts AS ts - INTERVAL '10' SECOND)"
)

// TestAlterTable: a DDL change ALTER TABLE can apply is an Alter whose
// steps run the ALTER, record the DDL and carry the DML over, its reader
// carried over too; any other DDL change, or one whose running DDL is not
// known, is today's recreate, which needs permission to drop.
func TestAlterTable(t *testing.T) {
	g := chain(t, "src:", "mid: src", "agg*: mid")
	srcDDL, srcDML := naming.DDL("src", "p"), naming.DML("src", "p")
	helper := planner.AlterName(srcDDL, 1)
	at := func(m int) time.Time { return time.Date(2026, 1, 1, 0, m, 0, 0, time.UTC) }
	tests := []struct {
		name    string
		liveSQL string // the running DDL's SQL
		file    string // the tree's DDL
		table   string // the table whose DDL changed
		opts    planner.Options
		live    func(planner.Live)
		req     *planner.Request
		want    map[string]planner.ActionKind
		steps   []string // the changed table's
		refused string   // part of the DropError
		// (A DDL change ALTER TABLE cannot apply gets a new version by
		// default: only strategy recreate drops.)
		inReason string
	}{
		{name: "watermark", liveSQL: wmDDL5, file: wmDDL10, table: "src",
			want: map[string]planner.ActionKind{"src": planner.Alter, "mid": planner.CarryOver},
			steps: []string{"alter-table " + helper, "delete-statement " + srcDDL, "create-ddl " + srcDDL,
				"submit-dml " + planner.DMLVersion(srcDML, 2), "stop-statement " + srcDML, "create-dml " + planner.DMLVersion(srcDML, 2)}},
		{name: "column type", liveSQL: wmDDL5, file: strings.Replace(wmDDL5, "id STRING", "id BIGINT", 1), table: "src",
			want: map[string]planner.ActionKind{"src": planner.NewVersion}, inReason: "column id changes from STRING to BIGINT"},
		{name: "no IF NOT EXISTS to record it", liveSQL: wmDDL5, file: strings.Replace(wmDDL10, " IF NOT EXISTS", "", 1), table: "src",
			want: map[string]planner.ActionKind{"src": planner.NewVersion}, inReason: "IF NOT EXISTS"},
		{name: "running DDL unknown", liveSQL: "", file: wmDDL10, table: "src",
			want: map[string]planner.ActionKind{"src": planner.NewVersion}},
		{name: "strategy recreate", liveSQL: wmDDL5, file: wmDDL10, table: "src", opts: planner.Options{Strategy: planner.StrategyRecreate},
			want: map[string]planner.ActionKind{"src": planner.Recreate}, refused: "topic src"},
		{name: "a stateful DML cannot carry over", liveSQL: strings.ReplaceAll(wmDDL5, "src", "agg"), file: strings.ReplaceAll(wmDDL10, "src", "agg"), table: "agg",
			want: map[string]planner.ActionKind{"agg": planner.NewVersion}},
		{name: "killed with the old DDL deleted", liveSQL: wmDDL5, file: wmDDL10, table: "src",
			live: func(l planner.Live) {
				delete(l.Statements, srcDDL)
				l.Statements[helper] = planner.Statement{Name: helper, Phase: planner.PhaseCompleted, Fingerprint: "fp-src", Table: "src"}
			},
			want:  map[string]planner.ActionKind{"src": planner.Alter, "mid": planner.CarryOver},
			steps: []string{"delete-statement " + srcDDL, "create-ddl " + srcDDL, "submit-dml " + planner.DMLVersion(srcDML, 2), "stop-statement " + srcDML, "create-dml " + planner.DMLVersion(srcDML, 2)}},
		{name: "no DDL statement: the base commit's DDL", liveSQL: "", file: wmDDL10, table: "src",
			opts: planner.Options{BaseDDL: func(table string) (string, error) { return wmDDL5, nil }},
			live: func(l planner.Live) { delete(l.Statements, srcDDL) },
			want: map[string]planner.ActionKind{"src": planner.Alter, "mid": planner.CarryOver},
			steps: []string{"alter-table " + helper, "delete-statement " + srcDDL, "create-ddl " + srcDDL,
				"submit-dml " + planner.DMLVersion(srcDML, 2), "stop-statement " + srcDML, "create-dml " + planner.DMLVersion(srcDML, 2)}},
		{name: "killed before the reader restarted", liveSQL: wmDDL10, file: wmDDL10, table: "src",
			req: &planner.Request{Tables: []string{"src"}},
			live: func(l planner.Live) {
				l.Statements[helper] = planner.Statement{Name: helper, Phase: planner.PhaseCompleted, Fingerprint: "fp-src", Table: "src", CreatedAt: at(10)}
				for _, n := range []string{srcDDL, srcDML} {
					st := l.Statements[n]
					st.Fingerprint, st.CreatedAt = "fp-src", at(11)
					l.Statements[n] = st
				}
				st := l.Statements[naming.DML("mid", "p")]
				st.CreatedAt = at(1)
				l.Statements[st.Name] = st
			},
			want: map[string]planner.ActionKind{"src": planner.Skip, "mid": planner.CarryOver}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := deployed(g, true, "src", "mid", "agg")
			ddl, dml := naming.DDL(tt.table, "p"), naming.DML(tt.table, "p")
			for _, n := range []string{ddl, dml} {
				st := live.Statements[n]
				st.Fingerprint, st.Table = "old", tt.table
				if n == ddl {
					st.SQL = tt.liveSQL
				}
				live.Statements[n] = st
			}
			if tt.live != nil {
				tt.live(live)
			}
			tt.opts.ReadDDL = func(ref string) (string, error) {
				if strings.HasSuffix(ref, "ddl."+tt.table+".sql") {
					return tt.file, nil
				}
				return "", errors.New("not this one")
			}
			req := planner.Request{Changes: []planner.Change{{Table: tt.table, DDL: true}}}
			if tt.req != nil {
				req = *tt.req
			}
			p, err := planner.Build(g, live, req, tt.opts)
			var refused *planner.DropError
			switch {
			case tt.refused != "" && (!errors.As(err, &refused) || !strings.Contains(err.Error(), tt.refused)):
				t.Fatalf("err %v, want a refused drop of %s", err, tt.refused)
			case tt.refused == "" && err != nil:
				t.Fatal(err)
			}
			got := kinds(p)
			for n, k := range tt.want {
				if got[n] != k {
					t.Errorf("%s: %s, want %s", n, got[n], k)
				}
			}
			a, _ := p.Action(tt.table)
			if tt.inReason != "" && !strings.Contains(a.Reason, tt.inReason) {
				t.Errorf("reason %q, want %q in it", a.Reason, tt.inReason)
			}
			if tt.steps != nil {
				var steps []string
				for _, s := range a.Steps {
					steps = append(steps, string(s.Kind)+" "+s.Statement)
				}
				if strings.Join(steps, "\n") != strings.Join(tt.steps, "\n") {
					t.Errorf("steps\n%s\nwant\n%s", strings.Join(steps, "\n"), strings.Join(tt.steps, "\n"))
				}
				if !strings.HasPrefix(a.Consequence, "ALTER TABLE, readers restarted with carry-over") {
					t.Errorf("consequence %q", a.Consequence)
				}
			}
		})
	}
}

// TestAlterHelpersBelongToTheirTable: the ALTER TABLE helpers a table's DDL
// records are its statements: not orphans in Status, deleted by an
// undeploy and by a recreate before its drop.
func TestAlterHelpersBelongToTheirTable(t *testing.T) {
	g := chain(t, "src:", "mid: src")
	live := deployed(g, true, "src", "mid")
	helper := planner.AlterName(naming.DDL("mid", "p"), 1)
	live.Statements[helper] = planner.Statement{Name: helper, Phase: planner.PhaseCompleted, Fingerprint: "fp-mid", Table: "mid"}
	inv := g.Inventory()
	for _, st := range planner.Status(planner.DesiredState(inv, naming), live) {
		if st.State == planner.Orphaned {
			t.Errorf("%s reported %s", st.Statement, st.State)
		}
	}
	undeploy, err := planner.Undeploy(g, live, "mid", planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	force, err := planner.Build(g, live, planner.Request{Tables: []string{"mid"}}, planner.Options{Force: true, AllowDrop: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*planner.Plan{undeploy, force} {
		a, _ := p.Action("mid")
		deleted, dropped := -1, -1
		for i, s := range a.Steps {
			switch {
			case s.Kind == planner.DeleteStatement && s.Statement == helper:
				deleted = i
			case s.Kind == planner.DropTable:
				dropped = i
			}
		}
		if deleted < 0 || dropped < deleted {
			t.Errorf("%s: steps %v, want %s deleted before the drop", a.Kind, stepKinds(a), helper)
		}
	}
}

// TestAlterTableWithoutDML: a table whose SQL is its DDL alone (fed from
// outside) is altered too; its reader carries over.
func TestAlterTableWithoutDML(t *testing.T) {
	g := chain(t, "seed:", "mid: seed")
	seed, _ := g.Table("seed")
	seed.DMLRef = ""
	live := deployed(g, true, "seed", "mid")
	ddl := naming.DDL("seed", "p")
	delete(live.Statements, naming.DML("seed", "p"))
	live.Statements[ddl] = planner.Statement{Name: ddl, Phase: planner.PhaseCompleted, Fingerprint: "old", Table: "seed",
		SQL: strings.ReplaceAll(wmDDL5, "src", "seed")}
	opts := planner.Options{ReadDDL: func(string) (string, error) { return strings.ReplaceAll(wmDDL10, "src", "seed"), nil }}
	p, err := planner.Build(g, live, planner.Request{Tables: []string{"seed"}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds(p); got["seed"] != planner.Alter || got["mid"] != planner.CarryOver {
		t.Fatalf("plan %v, want seed altered and mid carried over", got)
	}
	a, _ := p.Action("seed")
	if want := []string{"alter-table", "delete-statement", "create-ddl"}; strings.Join(stepKinds(a), " ") != strings.Join(want, " ") {
		t.Errorf("steps %v, want %v", stepKinds(a), want)
	}
}
