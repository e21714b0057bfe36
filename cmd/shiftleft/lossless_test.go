package main

import (
	"context"
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

// The tables of goodTree below its source: a stateless intermediate, a
// stateful aggregate and a stateless view.
var sinks = []string{"mid", "p_fct_sink", "p_mv_sink"}

// feed appends n records to raw_topic and lets every running statement
// read them.
func (tg *target) feed(t *testing.T, n int64) {
	t.Helper()
	_, err := tg.emu.AppendRecords(config.EmulatorEnvironment, "raw_topic", n)
	must(t, err)
	tg.emu.Tick(config.EmulatorEnvironment)
}

func (tg *target) topic(table string) emulator.TopicStats {
	return tg.emu.Topic(config.EmulatorEnvironment, table)
}

// lossless checks that every sink holds each origin of raw_topic once: no
// record read twice, none skipped, no topic deleted.
func (tg *target) lossless(t *testing.T, records uint64) {
	t.Helper()
	for _, n := range append([]string{"src"}, sinks...) {
		s := tg.topic(n)
		if s.Duplicates != 0 || s.Missing != 0 || s.Deleted != 0 || s.DistinctOrigins != records {
			t.Errorf("%s: %+v, want %d origins, no duplicate, none missing, never deleted", n, s, records)
		}
	}
}

// mutating counts the requests that change something.
func (tg *target) mutating() int {
	n := 0
	for route, c := range tg.emu.Counters().Requests {
		if !strings.HasPrefix(route, "GET ") {
			n += c
		}
	}
	return n
}

// changeMid gives mid another stateless DML.
func changeMid(t *testing.T, dir string, k int) {
	t.Helper()
	file := filepath.Join(dir, "intermediates/p/mid/sql-scripts/dml.mid.sql")
	must(t, os.WriteFile(file, []byte("INSERT INTO mid SELECT id FROM src WHERE id <> 'v"+string(rune('0'+k))+"';"), 0o644))
}

// TestStatelessChangeCarriesOverOffsets is the default strategy on a
// stateless DML change: the new version starts at the running statement's
// offsets, which is stopped and kept as the rollback point; every sink
// holds each record once, and no topic is deleted.
func TestStatelessChangeCarriesOverOffsets(t *testing.T) {
	tg, dir := newTarget(t), pipelineTree(t)
	tg.mustDeploy(t, dir, "--dir", dir)
	tg.feed(t, 1000)
	base := dml("mid", "p")
	for k := 2; k <= 3; k++ {
		changeMid(t, dir, k)
		before := tg.mutating()
		plan := tg.dryRunPlan(t, dir, "--table-name", "mid", "--may-start-descendants")
		if n := tg.mutating() - before; n != 0 {
			t.Errorf("--dry-run sent %d requests that change something", n)
		}
		a, _ := plan.Action("mid")
		from := planner.DMLVersion(base, k-1)
		if a.Kind != planner.CarryOver || !strings.HasPrefix(a.Consequence, "carries over offsets from "+from) {
			t.Fatalf("mid: %s %q, want a carry-over from %s", a.Kind, a.Consequence, from)
		}
		if plan.Work() != 1 {
			t.Errorf("%d tables to deploy, want mid alone: its readers have nothing to rebuild", plan.Work())
		}
		tg.mustDeploy(t, dir, "--table-name", "mid", "--may-start-descendants")
		tg.feed(t, 1000)
		tg.lossless(t, uint64(1000*k))
		if st := tg.statement(t, planner.DMLVersion(base, k)); st.Status.Phase != confluent.PhaseRunning || st.Spec.Properties["sql.tables.initial-offset-from"] != from {
			t.Errorf("v%d: %s from %q", k, st.Status.Phase, st.Spec.Properties["sql.tables.initial-offset-from"])
		}
		if st := tg.statement(t, from); st.Status.Phase != confluent.PhaseStopped {
			t.Errorf("%s: %s, want STOPPED (the rollback point)", from, st.Status.Phase)
		}
	}
	// --keep-stopped 1: the oldest went when v3 came.
	if _, err := tg.client.GetStatement(context.Background(), base); err == nil {
		t.Errorf("%s is kept: one rollback point only", base)
	}
	tg.inSync(t, dir, "src", "mid", "p_fct_sink", "p_mv_sink")
}

// TestCarryOverKilledAtEveryStepResumes kills the deploy of a stateless
// change at each of its steps; the re-run finishes it with no statement
// created twice, and every sink holds each record once.
func TestCarryOverKilledAtEveryStepResumes(t *testing.T) {
	base := dml("mid", "p")
	v2 := planner.DMLVersion(base, 2)
	points := []struct {
		name string
		at   func(tg *target) bool
	}{
		{"new version created, old one running", func(tg *target) bool { return tg.creates()[v2] == 1 }},
		{"old one stopping", func(tg *target) bool {
			st, err := tg.client.GetStatement(context.Background(), base)
			return err == nil && st.Status.Phase == confluent.PhaseStopping
		}},
		{"old one stopped, new one pending", func(tg *target) bool {
			st, err := tg.client.GetStatement(context.Background(), base)
			return err == nil && st.Status.Phase == confluent.PhaseStopped
		}},
	}
	for _, p := range points {
		t.Run(p.name, func(t *testing.T) {
			tg, dir := newTarget(t, emulator.Latency(300*time.Millisecond)), pipelineTree(t)
			tg.mustDeploy(t, dir, "--dir", dir)
			tg.feed(t, 1000)
			changeMid(t, dir, 2)
			args := []string{"pipeline", "deploy", dir, "--table-name", "mid", "--emulator", tg.url}
			killAt(t, tg, args, func(context.Context, *confluent.Client) bool { return p.at(tg) })
			tg.feed(t, 500) // records keep coming while nobody deploys
			if r := shiftleft(t, nil, args...); r.code != exitOK {
				t.Fatalf("re-run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			tg.feed(t, 500)
			tg.lossless(t, 2000)
			for name, n := range tg.creates() {
				if n != 1 {
					t.Errorf("%s created %d times", name, n)
				}
			}
			if _, err := tg.client.GetStatement(context.Background(), planner.DMLVersion(base, 3)); err == nil {
				t.Error("a third version was made")
			}
			tg.inSync(t, dir, "src", "mid", "p_fct_sink", "p_mv_sink")
		})
	}
}

// TestRecreateNeedsPermissionToDrop: with --strategy recreate a stateful
// change drops its topic (the default builds a new version:
// versions_test.go): refused without --allow-drop before any request
// that changes anything, naming the topic; with it, shift_left's recreate,
// the readers redeployed and running.
func TestRecreateNeedsPermissionToDrop(t *testing.T) {
	tg, dir := newTarget(t), pipelineTree(t)
	tg.mustDeploy(t, dir, "--dir", dir)
	tg.feed(t, 1000)
	file := filepath.Join(dir, "facts/p/sink/sql-scripts/dml.p_fct_sink.sql")
	must(t, os.WriteFile(file, []byte("INSERT INTO p_fct_sink SELECT id, COUNT(*) + 0 FROM mid GROUP BY id;"), 0o644))
	before := tg.mutating()
	for _, flags := range [][]string{{"--strategy", "recreate"}} {
		r := tg.deploy(t, dir, append(flags, "--table-name", "p_fct_sink", "--may-start-descendants")...)
		if r.code != exitError || !strings.Contains(r.stderr, "topic p_fct_sink (recreate: ") || !strings.Contains(r.stderr, "--allow-drop") {
			t.Errorf("%v: exit %d, want 1 naming topic p_fct_sink and why\n%s%s", flags, r.code, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stdout, "data: drops topic p_fct_sink (its records and schema)") {
			t.Errorf("%v: the plan does not state the drop:\n%s", flags, r.stdout)
		}
	}
	if n := tg.mutating() - before; n != 0 {
		t.Errorf("%d requests that change something were sent by refused deploys", n)
	}
	if s := tg.topic("p_fct_sink"); s.Deleted != 0 {
		t.Errorf("p_fct_sink deleted: %+v", s)
	}
	tg.mustDeploy(t, dir, "--table-name", "p_fct_sink", "--may-start-descendants", "--strategy", "recreate", "--allow-drop")
	if s := tg.topic("p_fct_sink"); s.Deleted != 1 {
		t.Errorf("p_fct_sink: %+v, want deleted once", s)
	}
	for _, n := range []string{"p_fct_sink", "p_mv_sink"} {
		if st := tg.statement(t, dml(n, "p")); st.Status.Phase != confluent.PhaseRunning {
			t.Errorf("%s: %s, want RUNNING", n, st.Status.Phase)
		}
	}
	tg.inSync(t, dir, "src", "mid", "p_fct_sink", "p_mv_sink")
}

// upsertTree is goodTree whose aggregate has a primary key and asks for
// in-place upgrades.
func upsertTree(t *testing.T) string {
	t.Helper()
	dir := pipelineTree(t)
	writeTree(t, dir, map[string]string{
		"facts/p/sink/sql-scripts/ddl.p_fct_sink.sql":        "CREATE TABLE IF NOT EXISTS p_fct_sink (id STRING, n BIGINT, PRIMARY KEY (id) NOT ENFORCED);",
		"facts/p/sink/sql-scripts/dml.p_fct_sink.properties": "strategy: in-place\n",
	})
	return dir
}

func changeAggregate(t *testing.T, dir string, k int) {
	t.Helper()
	file := filepath.Join(dir, "facts/p/sink/sql-scripts/dml.p_fct_sink.sql")
	must(t, os.WriteFile(file, []byte("INSERT INTO p_fct_sink SELECT id, COUNT(*) + "+string(rune('0'+k))+" FROM mid GROUP BY id;"), 0o644))
}

// upserted checks an upsert table after its DML reprocessed into it: every
// origin there (every key), none missing, the topic never deleted.
func (tg *target) upserted(t *testing.T, table string, records uint64) {
	t.Helper()
	if s := tg.topic(table); s.DistinctOrigins != records || s.Missing != 0 || s.Deleted != 0 {
		t.Errorf("%s: %+v, want %d origins, none missing, never deleted", table, s, records)
	}
}

// TestUpsertTableInPlace: a stateful change of a table with a primary key
// and strategy: in-place reprocesses into the same table: the old DML is
// stopped (the rollback point), the new one reads from the earliest offset,
// every key is there and no topic is deleted; its reader is not restarted.
func TestUpsertTableInPlace(t *testing.T) {
	tg, dir := newTarget(t), upsertTree(t)
	tg.mustDeploy(t, dir, "--dir", dir)
	tg.feed(t, 1000)
	changeAggregate(t, dir, 2)
	plan := tg.dryRunPlan(t, dir, "--table-name", "p_fct_sink", "--may-start-descendants")
	if a, _ := plan.Action("p_fct_sink"); a.Kind != planner.InPlace || !strings.HasPrefix(a.Consequence, "in place: reprocesses") {
		t.Fatalf("p_fct_sink: %s %q, want in-place", a.Kind, a.Consequence)
	}
	if plan.Work() != 1 {
		t.Errorf("%d tables to deploy, want p_fct_sink alone", plan.Work())
	}
	tg.mustDeploy(t, dir, "--table-name", "p_fct_sink", "--may-start-descendants")
	tg.feed(t, 1000)
	for _, n := range []string{"src", "mid"} {
		if s := tg.topic(n); s.Duplicates != 0 || s.Missing != 0 || s.DistinctOrigins != 2000 {
			t.Errorf("%s: %+v", n, s)
		}
	}
	tg.upserted(t, "p_fct_sink", 2000)
	tg.upserted(t, "p_mv_sink", 2000)
	base := dml("p_fct_sink", "p")
	if st := tg.statement(t, base); st.Status.Phase != confluent.PhaseStopped {
		t.Errorf("%s: %s, want STOPPED (the rollback point)", base, st.Status.Phase)
	}
	tg.inSync(t, dir, "src", "mid", "p_fct_sink", "p_mv_sink")
}

// TestInPlaceKilledAtEveryStepResumes kills the in-place deploy at each
// step; the re-run finishes it, no statement created twice.
func TestInPlaceKilledAtEveryStepResumes(t *testing.T) {
	base := dml("p_fct_sink", "p")
	v2 := planner.DMLVersion(base, 2)
	phase := func(tg *target, name string, want confluent.Phase) bool {
		st, err := tg.client.GetStatement(context.Background(), name)
		return err == nil && st.Status.Phase == want
	}
	points := []struct {
		name string
		at   func(tg *target) bool
	}{
		{"old one stopping", func(tg *target) bool { return phase(tg, base, confluent.PhaseStopping) }},
		{"old one stopped", func(tg *target) bool { return phase(tg, base, confluent.PhaseStopped) }},
		{"new one pending", func(tg *target) bool { return tg.creates()[v2] == 1 }},
	}
	for _, p := range points {
		t.Run(p.name, func(t *testing.T) {
			tg, dir := newTarget(t, emulator.Latency(300*time.Millisecond)), upsertTree(t)
			tg.mustDeploy(t, dir, "--dir", dir)
			tg.feed(t, 1000)
			changeAggregate(t, dir, 2)
			args := []string{"pipeline", "deploy", dir, "--table-name", "p_fct_sink", "--emulator", tg.url}
			killAt(t, tg, args, func(context.Context, *confluent.Client) bool { return p.at(tg) })
			if r := shiftleft(t, nil, args...); r.code != exitOK {
				t.Fatalf("re-run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			tg.feed(t, 1000)
			tg.upserted(t, "p_fct_sink", 2000)
			for name, n := range tg.creates() {
				if n != 1 {
					t.Errorf("%s created %d times", name, n)
				}
			}
			tg.inSync(t, dir, "src", "mid", "p_fct_sink", "p_mv_sink")
		})
	}
}
