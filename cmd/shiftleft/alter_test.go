package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shiftleft/shiftleft/config"
	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/confluent/emulator"
	"github.com/shiftleft/shiftleft/planner"
)

// srcDDL is src's DDL with a watermark of the given delay in seconds.
func srcDDL(delay string) string {
	return "CREATE TABLE IF NOT EXISTS src (id STRING, WATERMARK FOR `$rowtime` AS `$rowtime` - INTERVAL '" + delay + "' SECOND);"
}

// watermarkTree is goodTree whose source declares a watermark.
func watermarkTree(t *testing.T) string {
	t.Helper()
	dir := pipelineTree(t)
	writeTree(t, dir, map[string]string{"sources/p/src/sql-scripts/ddl.src.sql": srcDDL("5")})
	return dir
}

func writeSrcDDL(t *testing.T, dir, sql string) {
	t.Helper()
	must(t, os.WriteFile(filepath.Join(dir, "sources/p/src/sql-scripts/ddl.src.sql"), []byte(sql), 0o644))
}

// TestWatermarkChangeAltersTheTable: a watermark change is applied with
// ALTER TABLE, its topic kept; src's DML and its reader mid carry over
// their offsets into their next versions (running statements keep the
// catalog they started with); every sink holds each record once and no
// topic is deleted. A re-run has nothing to do.
// The command line has no deployed commit to read a table's DDL from: it
// keeps the DDL statements (--keep-ddl) to plan an ALTER TABLE against.
func TestWatermarkChangeAltersTheTable(t *testing.T) {
	tg, dir := newTarget(t), watermarkTree(t)
	tg.mustDeploy(t, dir, "--dir", dir, "--keep-ddl")
	tg.feed(t, 1000)
	writeSrcDDL(t, dir, srcDDL("10"))
	before := tg.mutating()
	plan := tg.dryRunPlan(t, dir, "--table-name", "src")
	if n := tg.mutating() - before; n != 0 {
		t.Errorf("--dry-run sent %d requests that change something", n)
	}
	a, _ := plan.Action("src")
	if a.Kind != planner.Alter || !strings.HasPrefix(a.Consequence, "ALTER TABLE, readers restarted with carry-over: ALTER TABLE src MODIFY WATERMARK FOR `$rowtime` AS `$rowtime` - INTERVAL '10' SECOND") {
		t.Fatalf("src: %s %q, want an ALTER TABLE of its watermark", a.Kind, a.Consequence)
	}
	if m, _ := plan.Action("mid"); m.Kind != planner.CarryOver {
		t.Errorf("mid: %s %q, want its DML carried over (it reads src)", m.Kind, m.Reason)
	}
	if plan.Work() != 2 {
		t.Errorf("%d tables to deploy, want src and its reader mid: mid's readers have nothing to rebuild", plan.Work())
	}
	tg.mustDeploy(t, dir, "--table-name", "src", "--keep-ddl")
	tg.feed(t, 1000)
	tg.lossless(t, 2000)
	if s := tg.emu.Schema(config.EmulatorEnvironment, "src"); s == nil || s.Watermark == nil || !strings.Contains(s.Watermark.Expr, "'10'") {
		t.Errorf("src's schema %+v, want the new watermark", s)
	}
	helper := planner.AlterName(ddl("src", "p"), 1)
	if st := tg.statement(t, helper); st.Status.Phase != confluent.PhaseCompleted || !strings.HasPrefix(st.Spec.Statement, "ALTER TABLE src MODIFY WATERMARK") {
		t.Errorf("%s: %s %q", helper, st.Status.Phase, st.Spec.Statement)
	}
	for _, n := range []string{"src", "mid"} {
		base := dml(n, "p")
		if st := tg.statement(t, planner.DMLVersion(base, 2)); st.Status.Phase != confluent.PhaseRunning || st.Spec.Properties["sql.tables.initial-offset-from"] != base {
			t.Errorf("%s v2: %s from %q, want RUNNING from %s", n, st.Status.Phase, st.Spec.Properties["sql.tables.initial-offset-from"], base)
		}
	}
	tg.inSync(t, dir, "src", "mid", "p_fct_sink", "p_mv_sink")
	if plan := tg.dryRunPlan(t, dir, "--table-name", "src"); plan.Work() != 0 {
		t.Errorf("a re-run plans %+v, want nothing", plan.Actions)
	}
	// The next watermark change compares with the DDL the ALTER recorded.
	writeSrcDDL(t, dir, strings.Replace(srcDDL("10"), ", WATERMARK FOR `$rowtime` AS `$rowtime` - INTERVAL '10' SECOND", "", 1))
	tg.mustDeploy(t, dir, "--table-name", "src", "--keep-ddl")
	tg.feed(t, 1000)
	tg.lossless(t, 3000)
	if s := tg.emu.Schema(config.EmulatorEnvironment, "src"); s == nil || s.Watermark != nil {
		t.Errorf("src's schema %+v, want its watermark dropped", s)
	}
	tg.inSync(t, dir, "src", "mid", "p_fct_sink", "p_mv_sink")
}

// TestAlterKilledAtEveryStepResumes kills the deploy of a watermark change
// at each of its steps; the re-run finishes it with no ALTER TABLE run
// twice, no statement created twice (the DDL statement is made again once,
// to record the new DDL), and every sink holds each record once.
func TestAlterKilledAtEveryStepResumes(t *testing.T) {
	helper, srcDDLName := planner.AlterName(ddl("src", "p"), 1), ddl("src", "p")
	srcV2, midV2 := planner.DMLVersion(dml("src", "p"), 2), planner.DMLVersion(dml("mid", "p"), 2)
	gone := func(tg *target, name string) bool {
		_, err := tg.client.GetStatement(context.Background(), name)
		return errors.Is(err, confluent.ErrStatementNotFound)
	}
	points := []struct {
		name string
		at   func(tg *target) bool
	}{
		{"ALTER TABLE submitted", func(tg *target) bool { return tg.creates()[helper] == 1 }},
		{"old DDL statement deleted", func(tg *target) bool { return tg.creates()[helper] == 1 && gone(tg, srcDDLName) }},
		{"DDL recorded", func(tg *target) bool { return tg.creates()[srcDDLName] == 2 }},
		{"src's DML carrying over", func(tg *target) bool { return tg.creates()[srcV2] == 1 }},
		{"mid's DML carrying over", func(tg *target) bool { return tg.creates()[midV2] == 1 }},
	}
	for _, p := range points {
		t.Run(p.name, func(t *testing.T) {
			tg, dir := newTarget(t, emulator.Latency(300*time.Millisecond)), watermarkTree(t)
			tg.mustDeploy(t, dir, "--dir", dir, "--keep-ddl")
			tg.feed(t, 1000)
			writeSrcDDL(t, dir, srcDDL("10"))
			args := []string{"pipeline", "deploy", dir, "--table-name", "src", "--keep-ddl", "--emulator", tg.url}
			killAt(t, tg, args, func(context.Context, *confluent.Client) bool { return p.at(tg) })
			tg.feed(t, 500) // records keep coming while nobody deploys
			if r := shiftleft(t, nil, args...); r.code != exitOK {
				t.Fatalf("re-run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			tg.feed(t, 500)
			tg.lossless(t, 2000)
			for name, n := range tg.creates() {
				if want := map[bool]int{true: 2, false: 1}[name == srcDDLName]; n != want {
					t.Errorf("%s created %d times, want %d", name, n, want)
				}
			}
			if st := tg.statement(t, helper); st.Status.Phase != confluent.PhaseCompleted {
				t.Errorf("%s: %s %s", helper, st.Status.Phase, st.Status.Detail)
			}
			if s := tg.emu.Schema(config.EmulatorEnvironment, "src"); s == nil || s.Watermark == nil || !strings.Contains(s.Watermark.Expr, "'10'") {
				t.Errorf("src's schema %+v, want the new watermark", s)
			}
			tg.inSync(t, dir, "src", "mid", "p_fct_sink", "p_mv_sink")
		})
	}
}

// TestColumnTypeChangeIsNoAlter: a column type is nothing ALTER TABLE
// changes: the plan builds a new version of the table (the default, with
// --dry-run here: nothing sent); with --strategy recreate it is a recreate,
// refused without --allow-drop before any request that changes anything,
// naming the topic.
func TestColumnTypeChangeIsNoAlter(t *testing.T) {
	tg, dir := newTarget(t), watermarkTree(t)
	tg.mustDeploy(t, dir, "--dir", dir, "--keep-ddl")
	tg.feed(t, 1000)
	writeSrcDDL(t, dir, strings.Replace(srcDDL("5"), "id STRING", "id VARCHAR(10)", 1))
	before := tg.mutating()
	if a, _ := tg.dryRunPlan(t, dir, "--table-name", "src").Action("src"); a.Kind != planner.NewVersion {
		t.Errorf("src: %s %q, want a new version", a.Kind, a.Reason)
	}
	r := tg.deploy(t, dir, "--table-name", "src", "--strategy", "recreate")
	if r.code != exitError || !strings.Contains(r.stderr, "topic src (recreate: ") || !strings.Contains(r.stderr, "--allow-drop") {
		t.Errorf("exit %d, want 1 naming topic src\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n := tg.mutating() - before; n != 0 {
		t.Errorf("%d requests that change something were sent by a dry run and a refused deploy", n)
	}
	tg.lossless(t, 1000)
}
