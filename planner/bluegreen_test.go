package planner_test

import (
	"errors"
	"maps"
	"reflect"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/planner"
)

// putVersion records version k of table as running with fingerprint fp:
// its DDL completed, its DML (when dml) reading from.
func putVersion(live planner.Live, table string, k int, fp string, dml bool, from string) {
	d := planner.Desired{Table: table, DDL: naming.DDL(table, "p"), DML: naming.DML(table, "p"), Drop: naming.Drop(table)}.At(k)
	v := 0
	if k > 1 {
		v = k
	}
	live.Statements[d.DDL] = planner.Statement{Name: d.DDL, Phase: planner.PhaseCompleted, Fingerprint: fp, Table: table, Version: v,
		SQL: "CREATE TABLE " + planner.PhysicalName(table, k) + " (id INT)"}
	if dml {
		live.Statements[d.DML] = planner.Statement{Name: d.DML, Phase: planner.PhaseRunning, Fingerprint: fp, Table: table, Version: v,
			SQL: "INSERT INTO " + planner.PhysicalName(table, k) + " SELECT * FROM " + from}
	}
}

// TestStatefulChangeGetsANewVersion: under strategy version (the default,
// whatever the drop permission) a stateful change builds agg_v2 beside agg
// and its reader follows reading it; a run killed at any step plans what
// is left, the physical versions read from the labels of what runs.
func TestStatefulChangeGetsANewVersion(t *testing.T) {
	g := chain(t, "src:", "mid: src", "agg*: mid", "top: agg*")
	oldLive := func() planner.Live {
		live := planner.Live{Statements: map[string]planner.Statement{}}
		putVersion(live, "src", 1, "fp-src", true, "raw")
		putVersion(live, "mid", 1, "fp-mid", true, "src")
		putVersion(live, "agg", 1, "old", true, "mid")
		putVersion(live, "top", 1, "fp-top", true, "agg")
		return live
	}
	dmlChange := planner.Request{Changes: []planner.Change{{Table: "agg", DML: true}}}
	aggSteps := []planner.Step{
		{Kind: planner.CreateDDL, Statement: naming.DDL("agg", "p") + "-v2", Ref: "pipelines/facts/p/agg/sql-scripts/ddl.agg.sql", Fingerprint: "fp-agg", Version: 2, Tables: map[string]string{"agg": "agg_v2"}},
		{Kind: planner.CreateDML, Statement: naming.DML("agg", "p") + "-v2", Ref: "pipelines/facts/p/agg/sql-scripts/dml.agg.sql", Fingerprint: "fp-agg", Version: 2, Tables: map[string]string{"agg": "agg_v2"}},
	}
	topTables := map[string]string{"agg": "agg_v2", "top": "top_v2"}
	tests := []struct {
		name  string
		live  func() planner.Live
		req   planner.Request
		opts  planner.Options
		kinds map[string]planner.ActionKind
		steps map[string][]string // statements created, by table
	}{
		{"the change", oldLive, dmlChange, planner.Options{},
			map[string]planner.ActionKind{"agg": planner.NewVersion, "top": planner.NewVersion},
			map[string][]string{"agg": {naming.DDL("agg", "p") + "-v2", naming.DML("agg", "p") + "-v2"}, "top": {naming.DDL("top", "p") + "-v2", naming.DML("top", "p") + "-v2"}}},
		{"with --allow-drop", oldLive, dmlChange, planner.Options{AllowDrop: true},
			map[string]planner.ActionKind{"agg": planner.NewVersion, "top": planner.NewVersion}, nil},
		{"a DDL change", oldLive, planner.Request{Changes: []planner.Change{{Table: "agg", DDL: true}}}, planner.Options{},
			map[string]planner.ActionKind{"agg": planner.NewVersion, "top": planner.NewVersion}, nil},
		{"strategy recreate", oldLive, dmlChange, planner.Options{Strategy: planner.StrategyRecreate, AllowDrop: true},
			map[string]planner.ActionKind{"agg": planner.Recreate, "top": planner.RestartDML}, nil},
		{"killed after agg_v2's DDL", func() planner.Live {
			live := oldLive()
			putVersion(live, "agg", 2, "fp-agg", false, "")
			return live
		}, dmlChange, planner.Options{},
			map[string]planner.ActionKind{"agg": planner.Create, "top": planner.NewVersion},
			map[string][]string{"agg": {naming.DML("agg", "p") + "-v2"}}},
		{"killed after agg_v2", func() planner.Live {
			live := oldLive()
			putVersion(live, "agg", 2, "fp-agg", true, "mid")
			return live
		}, dmlChange, planner.Options{},
			map[string]planner.ActionKind{"agg": planner.Skip, "top": planner.NewVersion}, nil},
		{"killed after top_v2's DDL", func() planner.Live {
			live := oldLive()
			putVersion(live, "agg", 2, "fp-agg", true, "mid")
			putVersion(live, "top", 2, "fp-top", false, "")
			return live
		}, dmlChange, planner.Options{},
			map[string]planner.ActionKind{"agg": planner.Skip, "top": planner.Create},
			map[string][]string{"top": {naming.DML("top", "p") + "-v2"}}},
		{"done", func() planner.Live {
			live := oldLive()
			putVersion(live, "agg", 2, "fp-agg", true, "mid")
			putVersion(live, "top", 2, "fp-top", true, "agg_v2")
			return live
		}, dmlChange, planner.Options{},
			map[string]planner.ActionKind{"agg": planner.Skip, "top": planner.Skip}, nil},
		{"agg's DML version 2 is another statement", func() planner.Live {
			live := oldLive()
			name := planner.DMLVersion(naming.DML("agg", "p"), 2)
			live.Statements[name] = planner.Statement{Name: name, Phase: planner.PhaseStopped, Fingerprint: "older", Table: "agg"}
			return live
		}, dmlChange, planner.Options{},
			map[string]planner.ActionKind{"agg": planner.NewVersion, "top": planner.NewVersion},
			map[string][]string{"agg": {naming.DDL("agg", "p") + "-v3", naming.DML("agg", "p") + "-v3"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.MayStartDescendants = true
			p, err := planner.Build(g, tt.live(), tt.req, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			for table, want := range tt.kinds {
				if a, _ := p.Action(table); a.Kind != want && !(want == planner.Skip && a.Kind == "") {
					t.Errorf("%s: %s (%s), want %s", table, a.Kind, a.Reason, want)
				}
			}
			for table, want := range tt.steps {
				a, _ := p.Action(table)
				var got []string
				for _, s := range a.Steps {
					got = append(got, s.Statement)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s creates %v, want %v", table, got, want)
				}
			}
			if a, _ := p.Action("agg"); tt.name == "the change" {
				if !reflect.DeepEqual(a.Steps, aggSteps) {
					t.Errorf("agg's steps %+v, want %+v", a.Steps, aggSteps)
				}
				if want := "new version agg_v2 beside agg; rebuilds from the earliest offset"; !strings.HasPrefix(a.Consequence, want) {
					t.Errorf("agg: %q, want %q", a.Consequence, want)
				}
				top, _ := p.Action("top")
				if !maps.Equal(top.Steps[0].Tables, topTables) || top.Desired.Version != 2 {
					t.Errorf("top reads %v at version %d, want %v at 2", top.Steps[0].Tables, top.Desired.Version, topTables)
				}
			}
		})
	}
}

// TestOldVersionsAreNotOrphans: the statements of an old version serve
// until retired; status compares the live version, and lists them as no
// orphan.
func TestOldVersionsAreNotOrphans(t *testing.T) {
	g := chain(t, "src:", "agg*: src")
	live := planner.Live{Statements: map[string]planner.Statement{}}
	putVersion(live, "src", 1, "fp-src", true, "raw")
	putVersion(live, "agg", 1, "old", true, "src")
	putVersion(live, "agg", 2, "fp-agg", true, "src")
	for _, s := range planner.Status(planner.DesiredState(g.Inventory(), naming), live) {
		if s.State != planner.InSync {
			t.Errorf("%s", s)
		}
	}
	vs := planner.Versions(live, "agg")
	if len(vs) != 1 || vs[0].Live.Physical != "agg_v2" || len(vs[0].Old) != 1 || vs[0].Old[0].Physical != "agg" {
		t.Errorf("versions %+v, want agg_v2 live, agg old", vs)
	}
}

// TestRetire: the live version and missing ones are refused; a stop stops
// the running statements only; a drop needs permission and no running
// reader.
func TestRetire(t *testing.T) {
	g := chain(t, "src:", "agg*: src", "top: agg*")
	live := planner.Live{Statements: map[string]planner.Statement{}}
	putVersion(live, "src", 1, "fp-src", true, "raw")
	putVersion(live, "agg", 1, "old", true, "src")
	putVersion(live, "agg", 2, "fp-agg", true, "src")
	putVersion(live, "top", 1, "fp-top", true, "agg")
	aggDML, aggDDL := naming.DML("agg", "p"), naming.DDL("agg", "p")
	tests := []struct {
		name  string
		table string
		k     int
		drop  bool
		opts  planner.Options
		err   string
		steps []string
	}{
		{"the live version", "agg", 2, false, planner.Options{}, "version 2 (agg_v2) is the live version of agg", nil},
		{"no such version", "agg", 3, false, planner.Options{}, "agg has no version 3 (it has 1, 2)", nil},
		{"stop", "agg", 1, false, planner.Options{}, "", []string{"stop-statement " + aggDML}},
		{"drop while top reads it", "agg", 1, true, planner.Options{AllowDrop: true}, "agg is read by " + naming.DML("top", "p"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := planner.Retire(g, live, tt.table, tt.k, tt.drop, tt.opts)
			if tt.err != "" {
				if err == nil || !errors.Is(err, planner.ErrRetire) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range p.Actions[0].Steps {
				got = append(got, string(s.Kind)+" "+s.Statement)
			}
			if !reflect.DeepEqual(got, tt.steps) {
				t.Errorf("steps %v, want %v", got, tt.steps)
			}
		})
	}
	delete(live.Statements, naming.DML("top", "p"))
	p, err := planner.Retire(g, live, "agg", 1, true, planner.Options{})
	var de *planner.DropError
	if !errors.As(err, &de) || de.Refused[0].Table != "agg" || p == nil {
		t.Fatalf("drop without permission: %v", err)
	}
	var got []string
	for _, s := range p.Actions[0].Steps {
		got = append(got, string(s.Kind)+" "+s.Statement)
	}
	want := []string{"delete-statement " + aggDML, "drop-table drop-agg", "delete-statement " + aggDDL, "delete-statement drop-agg"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("drop steps %v, want %v", got, want)
	}
}

// TestUndeployDropsEveryVersion: the live version's table is its physical
// one, and the old versions go too.
func TestUndeployDropsEveryVersion(t *testing.T) {
	g := chain(t, "src:", "agg*: src")
	live := planner.Live{Statements: map[string]planner.Statement{}}
	putVersion(live, "src", 1, "fp-src", true, "raw")
	putVersion(live, "agg", 1, "old", true, "src")
	putVersion(live, "agg", 2, "fp-agg", true, "src")
	p, err := planner.Undeploy(g, live, "agg", planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := p.Action("agg")
	var got []string
	for _, s := range a.Steps {
		got = append(got, string(s.Kind)+" "+s.Statement+" "+s.Tables["agg"])
	}
	dml, ddl := naming.DML("agg", "p"), naming.DDL("agg", "p")
	want := []string{
		"delete-statement " + dml + "-v2 ", "drop-table drop-agg-v2 agg_v2", "delete-statement " + ddl + "-v2 ", "delete-statement drop-agg-v2 ",
		"delete-statement " + dml + " ", "drop-table drop-agg ", "delete-statement " + ddl + " ", "delete-statement drop-agg ",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("steps\n%v\nwant\n%v", got, want)
	}
}
