package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/confluent/emulator"
	"github.com/shiftleft/shiftleft/planner"
)

// The statements of version k of a table of goodTree.
func ddlAt(table string, k int) string { return planner.DMLVersion(ddl(table, "p"), k) }
func dmlAt(table string, k int) string { return planner.DMLVersion(dml(table, "p"), k) }

// blueGreen checks what a stateful change of p_fct_sink leaves, 2,000
// origins fed in all: the new versions of the aggregate and of its view
// hold every origin once, the old ones still exist and run, no topic was
// deleted, and the tree is in sync.
func (tg *target) blueGreen(t *testing.T, dir string) {
	t.Helper()
	for _, n := range []string{"src", "mid", "p_fct_sink", "p_mv_sink", "p_fct_sink_v2", "p_mv_sink_v2"} {
		s := tg.topic(n)
		if !s.Exists || s.Duplicates != 0 || s.Missing != 0 || s.Deleted != 0 || s.DistinctOrigins != 2000 {
			t.Errorf("%s: %+v, want 2000 origins, no duplicate, none missing, never deleted", n, s)
		}
	}
	for _, name := range []string{dml("p_fct_sink", "p"), dml("p_mv_sink", "p"), dmlAt("p_fct_sink", 2), dmlAt("p_mv_sink", 2)} {
		if st := tg.statement(t, name); st.Status.Phase != confluent.PhaseRunning {
			t.Errorf("%s: %s, want RUNNING (the old version serves until retired)", name, st.Status.Phase)
		}
	}
	if sql := tg.statement(t, dmlAt("p_mv_sink", 2)).Spec.Statement; sql != "INSERT INTO p_mv_sink_v2 SELECT id FROM p_fct_sink_v2;" {
		t.Errorf("p_mv_sink_v2 runs %q, want its SQL on the new versions", sql)
	}
	tg.inSync(t, dir, "src", "mid", "p_fct_sink", "p_mv_sink")
}

// TestStatefulChangeBuildsANewVersion is the default strategy on a
// stateful change of a table without primary key, and on a change of its
// DDL that ALTER TABLE cannot make: a new version
// p_fct_sink_v2 beside p_fct_sink, rebuilt from the earliest offset, and
// its reader follows with p_mv_sink_v2; nothing is dropped, the old
// branch keeps running.
func TestStatefulChangeBuildsANewVersion(t *testing.T) {
	changes := []struct {
		name   string
		change func(t *testing.T, dir string)
	}{
		{"a stateful DML change", func(t *testing.T, dir string) { changeAggregate(t, dir, 2) }},
		{"a column type change", func(t *testing.T, dir string) {
			writeTree(t, dir, map[string]string{"facts/p/sink/sql-scripts/ddl.p_fct_sink.sql": "CREATE TABLE IF NOT EXISTS p_fct_sink (id STRING, n DECIMAL(20, 0));"})
		}},
	}
	for _, c := range changes {
		t.Run(c.name, func(t *testing.T) { newVersionOf(t, c.change) })
	}
}

func newVersionOf(t *testing.T, change func(t *testing.T, dir string)) {
	tg, dir := newTarget(t), pipelineTree(t)
	tg.mustDeploy(t, dir, "--dir", dir)
	tg.feed(t, 1000)
	change(t, dir)
	before := tg.mutating()
	plan := tg.dryRunPlan(t, dir, "--table-name", "p_fct_sink", "--may-start-descendants")
	if n := tg.mutating() - before; n != 0 {
		t.Errorf("--dry-run sent %d requests that change something", n)
	}
	for table, want := range map[string]string{
		"p_fct_sink": "new version p_fct_sink_v2 beside p_fct_sink; rebuilds from the earliest offset",
		"p_mv_sink":  "new version p_mv_sink_v2 beside p_mv_sink; rebuilds from the earliest offset",
	} {
		if a, _ := plan.Action(table); a.Kind != planner.NewVersion || !strings.HasPrefix(a.Consequence, want) {
			t.Errorf("%s: %s %q, want %q", table, a.Kind, a.Consequence, want)
		}
	}
	if plan.Work() != 2 {
		t.Errorf("%d tables to deploy, want the aggregate and its view", plan.Work())
	}
	tg.mustDeploy(t, dir, "--table-name", "p_fct_sink", "--may-start-descendants")
	tg.feed(t, 1000)
	tg.blueGreen(t, dir)
	for name, n := range tg.creates() {
		if n != 1 {
			t.Errorf("%s created %d times", name, n)
		}
	}
	// A later stateless change of the view applies to its live version:
	// carried over, its SQL still on the physical tables.
	writeTree(t, dir, map[string]string{"views/p/sink_view/sql-scripts/dml.p_mv_sink.sql": "INSERT INTO p_mv_sink SELECT id FROM p_fct_sink WHERE id <> 'x';"})
	plan = tg.dryRunPlan(t, dir, "--table-name", "p_mv_sink")
	if a, _ := plan.Action("p_mv_sink"); a.Kind != planner.CarryOver || !strings.HasPrefix(a.Consequence, "carries over offsets from "+dmlAt("p_mv_sink", 2)) {
		t.Fatalf("p_mv_sink: %s %q, want a carry-over from its live version", a.Kind, a.Consequence)
	}
	tg.mustDeploy(t, dir, "--table-name", "p_mv_sink")
	tg.feed(t, 1000)
	carried := planner.DMLVersion(dmlAt("p_mv_sink", 2), 2)
	if st := tg.statement(t, carried); st.Status.Phase != confluent.PhaseRunning || !strings.HasPrefix(st.Spec.Statement, "INSERT INTO p_mv_sink_v2 SELECT id FROM p_fct_sink_v2 ") {
		t.Errorf("%s: %s %q", carried, st.Status.Phase, st.Spec.Statement)
	}
	if s := tg.topic("p_mv_sink_v2"); s.Duplicates != 0 || s.Missing != 0 || s.DistinctOrigins != 3000 {
		t.Errorf("p_mv_sink_v2: %+v, want 3000 origins once", s)
	}
	// (tg.inSync reads p_mv_sink's DML by its first versions' names, which
	// the carry-over of its version 2 stopped.)
	if plan := tg.dryRunPlan(t, dir, "--table-name", "p_mv_sink", "--may-start-descendants"); plan.Work() != 0 {
		t.Errorf("%d tables still to deploy: %+v", plan.Work(), plan.Actions)
	}
}

// TestNewVersionKilledAtEveryStepResumes kills the deploy at each step of
// the new branch; the re-run finishes it with no statement created twice
// and the same counts.
func TestNewVersionKilledAtEveryStepResumes(t *testing.T) {
	created := func(name string) func(tg *target) bool {
		return func(tg *target) bool { return tg.creates()[name] == 1 }
	}
	points := []struct {
		name string
		at   func(tg *target) bool
	}{
		{"the aggregate's new DDL created", created(ddlAt("p_fct_sink", 2))},
		{"the aggregate's new DML created", created(dmlAt("p_fct_sink", 2))},
		{"the view's new DDL created", created(ddlAt("p_mv_sink", 2))},
		{"the view's new DML created", created(dmlAt("p_mv_sink", 2))},
	}
	for _, p := range points {
		t.Run(p.name, func(t *testing.T) {
			tg, dir := newTarget(t, emulator.Latency(300*time.Millisecond)), pipelineTree(t)
			tg.mustDeploy(t, dir, "--dir", dir)
			tg.feed(t, 1000)
			changeAggregate(t, dir, 2)
			args := []string{"pipeline", "deploy", dir, "--table-name", "p_fct_sink", "--may-start-descendants", "--emulator", tg.url}
			killAt(t, tg, args, func(context.Context, *confluent.Client) bool { return p.at(tg) })
			tg.feed(t, 500) // records keep coming while nobody deploys
			if r := shiftleft(t, nil, args...); r.code != exitOK {
				t.Fatalf("re-run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			tg.feed(t, 500)
			tg.blueGreen(t, dir)
			for name, n := range tg.creates() {
				if n != 1 {
					t.Errorf("%s created %d times", name, n)
				}
			}
			for _, name := range []string{ddlAt("p_fct_sink", 3), ddlAt("p_mv_sink", 3)} {
				if _, err := tg.client.GetStatement(context.Background(), name); err == nil {
					t.Errorf("%s: a third version was made", name)
				}
			}
		})
	}
}

// TestVersionsAndRetire: versions lists the live and old physical tables;
// retire stops an old version, and drops it only with --drop and
// permission, once nothing running reads it; the live one is never
// retired.
func TestVersionsAndRetire(t *testing.T) {
	tg, dir := newTarget(t), pipelineTree(t)
	tg.mustDeploy(t, dir, "--dir", dir)
	tg.feed(t, 1000)
	changeAggregate(t, dir, 2)
	tg.mustDeploy(t, dir, "--table-name", "p_fct_sink", "--may-start-descendants")
	tg.feed(t, 1000)
	cli := func(a ...string) result {
		return shiftleft(t, nil, append(append([]string{"pipeline"}, a...), "--emulator", tg.url)...)
	}
	phase := func(name string) confluent.Phase {
		st, err := tg.client.GetStatement(context.Background(), name)
		if err != nil {
			return ""
		}
		return st.Status.Phase
	}
	steps := []struct {
		name     string
		args     []string
		code     int
		out      []string // in stdout (exit 0) or stderr
		check    func(t *testing.T)
		mutating bool
	}{
		{"versions of every table", []string{"versions"}, exitOK,
			[]string{"p_fct_sink 2 p_fct_sink_v2 live", "p_fct_sink 1 p_fct_sink old", "p_mv_sink 2 p_mv_sink_v2 live", "mid 1 mid live"}, nil, false},
		{"versions of one table", []string{"versions", "p_mv_sink"}, exitOK, []string{"p_mv_sink 2 p_mv_sink_v2 live", "p_mv_sink 1 p_mv_sink old"}, nil, false},
		{"versions of an unknown table", []string{"versions", "nope"}, exitError, []string{"nope: no statement"}, nil, false},
		{"the live version", []string{"retire", "p_fct_sink", dir, "--version", "2"}, exitError, []string{"version 2 (p_fct_sink_v2) is the live version"}, nil, false},
		{"a version that does not exist", []string{"retire", "p_fct_sink", dir, "--version", "7"}, exitError, []string{"has no version 7 (it has 1, 2)"}, nil, false},
		{"no version given", []string{"retire", "p_fct_sink", dir}, exitUsage, []string{"--version is required"}, nil, false},
		{"drop without permission", []string{"retire", "p_mv_sink", dir, "--version", "1", "--drop"}, exitError,
			[]string{"topic p_mv_sink (retire: ", "--allow-drop"}, nil, false},
		{"drop while a running statement reads it", []string{"retire", "p_fct_sink", dir, "--version", "1", "--drop", "--allow-drop"}, exitError,
			[]string{"p_fct_sink is read by " + dml("p_mv_sink", "p")}, nil, false},
		{"stop the old view", []string{"retire", "p_mv_sink", dir, "--version", "1"}, exitOK, []string{"data: stops the statements of p_mv_sink"},
			func(t *testing.T) {
				if p := phase(dml("p_mv_sink", "p")); p != confluent.PhaseStopped {
					t.Errorf("old view: %s, want STOPPED", p)
				}
				if s := tg.topic("p_mv_sink"); !s.Exists || s.Deleted != 0 {
					t.Errorf("p_mv_sink: %+v, want kept", s)
				}
			}, true},
		{"drop the old aggregate once nothing reads it", []string{"retire", "p_fct_sink", dir, "--version", "1", "--drop", "--allow-drop"}, exitOK,
			[]string{"data: drops topic p_fct_sink (its records and schema)"},
			func(t *testing.T) {
				if s := tg.topic("p_fct_sink"); s.Deleted != 1 {
					t.Errorf("p_fct_sink: %+v, want dropped once", s)
				}
				for _, name := range []string{dml("p_fct_sink", "p"), ddl("p_fct_sink", "p"), "drop-p-fct-sink"} {
					if p := phase(name); p != "" {
						t.Errorf("%s: %s, want deleted", name, p)
					}
				}
				if s := tg.topic("p_fct_sink_v2"); s.Deleted != 0 || s.DistinctOrigins != 2000 {
					t.Errorf("p_fct_sink_v2: %+v, want untouched", s)
				}
			}, true},
		{"versions after the retire", []string{"versions", "p_fct_sink"}, exitOK, []string{"p_fct_sink 2 p_fct_sink_v2 live"},
			func(t *testing.T) {
				if r := cli("versions", "p_fct_sink"); strings.Contains(r.stdout, "old") {
					t.Errorf("an old version is listed after the drop:\n%s", r.stdout)
				}
			}, false},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			before := tg.mutating()
			r := cli(s.args...)
			out := r.stdout
			if s.code != exitOK {
				out = r.stderr
			}
			out = strings.Join(strings.Fields(out), " ") // tables' columns align by their widths
			if r.code != s.code {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, s.code, r.stdout, r.stderr)
			}
			for _, want := range s.out {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			if n := tg.mutating() - before; !s.mutating && n != 0 {
				t.Errorf("%d requests that change something", n)
			}
			if s.check != nil {
				s.check(t)
			}
		})
	}
	tg.inSync(t, dir, "src", "mid", "p_fct_sink", "p_mv_sink")
}
