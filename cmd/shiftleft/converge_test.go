package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/confluent/emulator"
	"github.com/shiftleft/shiftleft/planner"
)

// statefulChain is src_a -> int_b -> fct_c, each stateful, src_a reading
// the external raw_topic.
var statefulChain = map[string]string{
	"sources/p/src_a/sql-scripts/ddl.src_a.sql":       "CREATE TABLE IF NOT EXISTS src_a (id STRING, n BIGINT);",
	"sources/p/src_a/sql-scripts/dml.src_a.sql":       "INSERT INTO src_a SELECT id, COUNT(*) FROM raw_topic GROUP BY id;",
	"intermediates/p/int_b/sql-scripts/ddl.int_b.sql": "CREATE TABLE IF NOT EXISTS int_b (id STRING, n BIGINT);",
	"intermediates/p/int_b/sql-scripts/dml.int_b.sql": "INSERT INTO int_b SELECT id, MAX(n) FROM src_a GROUP BY id;",
	"facts/p/fct_c/sql-scripts/ddl.fct_c.sql":         "CREATE TABLE IF NOT EXISTS fct_c (id STRING, n BIGINT);",
	"facts/p/fct_c/sql-scripts/dml.fct_c.sql":         "INSERT INTO fct_c SELECT id, SUM(n) FROM int_b GROUP BY id;",
}

func treeOf(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "pipelines")
	writeTree(t, dir, files)
	return dir
}

// current is the last version of a table's DML statement.
func (tg *target) current(t *testing.T, table string) *confluent.Statement {
	t.Helper()
	for k := 20; k > 1; k-- {
		if st, err := tg.client.GetStatement(context.Background(), planner.DMLVersion(dml(table, "p"), k)); err == nil {
			return st
		}
	}
	return tg.statement(t, dml(table, "p"))
}

// running checks every table's DML runs the tree's SQL, as the emulator
// says.
func (tg *target) inSync(t *testing.T, dir string, tables ...string) {
	t.Helper()
	plan := tg.dryRunPlan(t, dir, "--table-list-file-name", writeFile(t, "all.txt", strings.Join(tables, "\n")))
	if n := plan.Work(); n != 0 {
		t.Errorf("%d tables still to deploy: %+v", n, plan.Actions)
	}
	for _, n := range tables {
		if st := tg.current(t, n); st.Status.Phase != confluent.PhaseRunning {
			t.Errorf("%s: %s %s", st.Name, st.Status.Phase, st.Status.Detail)
		}
	}
}

// TestDeployKilledInADescendantsRecreateIsFinishedByTheRerun: deploy
// src_a -> int_b -> fct_c, change src_a's DML, deploy it with its
// descendants and kill -9 the deploy at points of int_b's recreate; the same
// command again finishes it: int_b and fct_c run again, recreated after
// src_a, and no statement is created twice.
func TestDeployKilledInADescendantsRecreateIsFinishedByTheRerun(t *testing.T) {
	intDML, intDDL, helper := dml("int_b", "p"), ddl("int_b", "p"), "drop-int-b"
	points := []struct {
		name string
		at   func(ctx context.Context, c *confluent.Client) bool
	}{
		{"int_b's DML deleted", func(ctx context.Context, c *confluent.Client) bool {
			_, err := c.GetStatement(ctx, intDML)
			return errors.Is(err, confluent.ErrStatementNotFound)
		}},
		{"int_b's table dropped", func(ctx context.Context, c *confluent.Client) bool {
			st, err := c.GetStatement(ctx, helper)
			return err == nil && st.Status != nil && st.Status.Phase == confluent.PhaseCompleted
		}},
		{"int_b's new DDL created", func(ctx context.Context, c *confluent.Client) bool {
			h, err := c.GetStatement(ctx, helper)
			if err != nil {
				return false
			}
			d, err := c.GetStatement(ctx, intDDL)
			return err == nil && d.Metadata.CreatedAt.After(*h.Metadata.CreatedAt)
		}},
	}
	for _, p := range points {
		t.Run(p.name, func(t *testing.T) {
			tg, dir := newTarget(t, emulator.Latency(25*time.Millisecond)).shiftLeft(), treeOf(t, statefulChain)
			tg.mustDeploy(t, dir, "--table-name", "fct_c")
			writeTree(t, dir, map[string]string{"sources/p/src_a/sql-scripts/dml.src_a.sql": "INSERT INTO src_a SELECT id, COUNT(*) FROM raw_topic WHERE id <> '' GROUP BY id;"})
			args := append([]string{"pipeline", "deploy", dir, "--table-name", "src_a", "--may-start-descendants", "--emulator", tg.url}, tg.flags...)
			killAt(t, tg, args, p.at)

			r := tg.mustDeploy(t, dir, "--table-name", "src_a", "--may-start-descendants")
			c := tg.creates()
			for _, n := range []string{"int_b", "fct_c"} {
				if c[dml(n, "p")] != 2 || c[ddl(n, "p")] != 2 {
					t.Errorf("%s: DDL created %d times, DML %d: want twice each (deployed, then recreated once)\n%s", n, c[ddl(n, "p")], c[dml(n, "p")], r.stdout)
				}
				if c["drop-"+strings.ReplaceAll(n, "_", "-")] != 1 {
					t.Errorf("%s dropped %d times, want once", n, c["drop-"+strings.ReplaceAll(n, "_", "-")])
				}
			}
			ctx := context.Background()
			src := tg.statement(t, dml("src_a", "p"))
			for _, n := range []string{"int_b", "fct_c"} {
				if st := tg.statement(t, dml(n, "p")); !st.Metadata.CreatedAt.After(*src.Metadata.CreatedAt) {
					t.Errorf("%s's DML is older than src_a's: not restarted", n)
				}
			}
			if _, err := tg.client.GetStatement(ctx, helper); !errors.Is(err, confluent.ErrStatementNotFound) {
				t.Errorf("the drop's helper is left: %v", err)
			}
			tg.inSync(t, dir, "src_a", "int_b", "fct_c")
		})
	}
}

// killAt runs the command line as a process and kills it with SIGKILL as
// soon as at says so; the test fails if it finished first.
func killAt(t *testing.T, tg *target, args []string, at func(context.Context, *confluent.Client) bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	must(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for !at(ctx, tg.client) {
		select {
		case err := <-exited:
			t.Fatalf("the deploy ended (%v) before the kill point", err)
		case <-ctx.Done():
			_ = cmd.Process.Kill()
			t.Fatal("the kill point never came")
		case <-time.After(2 * time.Millisecond):
		}
	}
	must(t, cmd.Process.Kill())
	<-exited
}

// TestDeployRedeploysAReaderFirstMetAsARunningAncestor: src_b's recreate
// drops the table int_c1 reads; int_c1 entered the plan first as a running
// ancestor of int_c, which src_a impacts. It must restart after src_b, or
// its DML fails.
func TestDeployRedeploysAReaderFirstMetAsARunningAncestor(t *testing.T) {
	tree := map[string]string{
		"sources/p/src_a/sql-scripts/ddl.src_a.sql":         "CREATE TABLE IF NOT EXISTS src_a (id STRING, n BIGINT);",
		"sources/p/src_a/sql-scripts/dml.src_a.sql":         "INSERT INTO src_a SELECT id, COUNT(*) FROM raw_topic GROUP BY id;",
		"sources/p/src_b/sql-scripts/ddl.src_b.sql":         "CREATE TABLE IF NOT EXISTS src_b (id STRING, n BIGINT);",
		"sources/p/src_b/sql-scripts/dml.src_b.sql":         "INSERT INTO src_b SELECT id, COUNT(*) FROM raw_topic GROUP BY id;",
		"intermediates/p/int_c1/sql-scripts/ddl.int_c1.sql": "CREATE TABLE IF NOT EXISTS int_c1 (id STRING, n BIGINT);",
		"intermediates/p/int_c1/sql-scripts/dml.int_c1.sql": "INSERT INTO int_c1 SELECT id, n FROM src_b;",
		"intermediates/p/int_c/sql-scripts/ddl.int_c.sql":   "CREATE TABLE IF NOT EXISTS int_c (id STRING, n BIGINT);",
		"intermediates/p/int_c/sql-scripts/dml.int_c.sql":   "INSERT INTO int_c SELECT id, n FROM src_a UNION ALL SELECT id, n FROM int_c1;",
		"facts/p/fct_d/sql-scripts/ddl.fct_d.sql":           "CREATE TABLE IF NOT EXISTS fct_d (id STRING, n BIGINT);",
		"facts/p/fct_d/sql-scripts/dml.fct_d.sql":           "INSERT INTO fct_d SELECT id, n FROM int_c;",
	}
	tg, dir := newTarget(t).shiftLeft(), treeOf(t, tree)
	tg.mustDeploy(t, dir, "--table-name", "fct_d")
	writeTree(t, dir, map[string]string{
		"sources/p/src_a/sql-scripts/dml.src_a.sql": "INSERT INTO src_a SELECT id, COUNT(*) FROM raw_topic WHERE id <> 'a' GROUP BY id;",
		"sources/p/src_b/sql-scripts/dml.src_b.sql": "INSERT INTO src_b SELECT id, COUNT(*) FROM raw_topic WHERE id <> 'b' GROUP BY id;",
	})
	r := tg.mustDeploy(t, dir, "--table-list-file-name", writeFile(t, "sources.txt", "src_a\nsrc_b\n"), "--may-start-descendants")
	if !strings.Contains(r.stdout, "int_c1") || !strings.Contains(r.stdout, "verified") {
		t.Errorf("int_c1 not in the result, or the run not verified:\n%s", r.stdout)
	}
	tg.inSync(t, dir, "src_a", "src_b", "int_c1", "int_c", "fct_d")
}

// TestDeployOfAStatefulTableRedeploysItsReadersWithoutTheFlag: without
// --may-start-descendants, recreating p_fct_sink drops the table p_mv_sink
// reads; p_mv_sink is redeployed all the same.
func TestDeployOfAStatefulTableRedeploysItsReadersWithoutTheFlag(t *testing.T) {
	tg, dir := newTarget(t).shiftLeft(), pipelineTree(t)
	tg.mustDeploy(t, dir, "--table-name", "p_mv_sink")
	writeTree(t, dir, newStatefulSQL)
	r := tg.mustDeploy(t, dir, "--table-name", "p_fct_sink")
	if !strings.Contains(r.stdout, "DROP TABLE fails its readers") {
		t.Errorf("the plan does not say why p_mv_sink restarts:\n%s", r.stdout)
	}
	tg.inSync(t, dir, "src", "mid", "p_fct_sink", "p_mv_sink")
}

// TestDeployRefusesToDropATableAnExcludedTableReads: excluding a reader of
// the recreated table would leave it FAILED: the plan is refused. (The
// default builds a new version instead, which the old reader does not
// mind.)
func TestDeployRefusesToDropATableAnExcludedTableReads(t *testing.T) {
	tg, dir := newTarget(t).shiftLeft(), pipelineTree(t)
	tg.mustDeploy(t, dir, "--table-name", "p_mv_sink")
	writeTree(t, dir, newStatefulSQL)
	before := tg.creates()
	r := tg.deploy(t, dir, "--table-name", "p_fct_sink", "--exclude-table-file-name", writeFile(t, "x.txt", "p_mv_sink\n"))
	if r.code != exitError || !strings.Contains(r.stderr, "p_mv_sink reads p_fct_sink") {
		t.Errorf("exit %d, want 1 naming the excluded reader\n%s%s", r.code, r.stdout, r.stderr)
	}
	if after := tg.creates(); total(after) != total(before) {
		t.Errorf("statements created although the plan was refused: %v", after)
	}
}

// TestDeployFailsWhenATableFailsBeforeTheEnd: src, which p_fct_sink
// needs, fails while p_fct_sink deploys: every step succeeds, and the
// deploy fails all the same, naming src with Flink's detail.
func TestDeployFailsWhenATableFailsBeforeTheEnd(t *testing.T) {
	tg, dir := newTarget(t, emulator.Latency(100*time.Millisecond)), pipelineTree(t)
	tg.mustDeploy(t, dir, "--table-name", "mid")
	done := make(chan result, 1)
	go func() { done <- tg.deploy(t, dir, "--table-name", "p_fct_sink") }()
	ctx := context.Background()
	for {
		if _, err := tg.client.GetStatement(ctx, dml("p_fct_sink", "p")); err == nil {
			break
		}
		select {
		case r := <-done:
			t.Fatalf("the deploy ended before p_fct_sink's DML was created: exit %d\n%s", r.code, r.stdout)
		case <-time.After(time.Millisecond):
		}
	}
	must(t, tg.emu.SetFaults(emulator.Faults{FailStatements: map[string]string{dml("src", "p"): "Kafka topic raw_topic: authorization failed"}}))
	r := <-done
	if r.code != exitError || !strings.Contains(r.stdout, "src: failed") || !strings.Contains(r.stdout, "authorization failed") ||
		!strings.Contains(r.stderr, "not in sync after the run: src failed") {
		t.Errorf("exit %d, want 1 naming src and Flink's detail\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestDeploySendsTheSETsOfAFileAsProperties: a DML opening with SET
// statements deploys as one statement with those properties, as Confluent
// Cloud's shell submits it (its API takes one statement per request).
func TestDeploySendsTheSETsOfAFileAsProperties(t *testing.T) {
	tg, dir := newTarget(t), pipelineTree(t)
	writeTree(t, dir, map[string]string{"intermediates/p/mid/sql-scripts/dml.mid.sql": "SET 'sql.state-ttl' = '1 d';\n\nINSERT INTO mid SELECT id FROM src;"})
	tg.mustDeploy(t, dir, "--table-name", "p_mv_sink")
	st := tg.statement(t, dml("mid", "p"))
	if st.Status.Phase != confluent.PhaseRunning || st.Spec.Properties["sql.state-ttl"] != "1 d" || strings.Contains(st.Spec.Statement, "SET") {
		t.Errorf("mid's DML: %s %v %q", st.Status.Phase, st.Spec.Properties, st.Spec.Statement)
	}
}
