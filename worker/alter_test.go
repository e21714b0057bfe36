package worker_test

import (
	"context"
	"errors"
	"github.com/shiftleft/shiftleft/confluent"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/config"
	"github.com/shiftleft/shiftleft/jobs"
	"github.com/shiftleft/shiftleft/planner"
	"github.com/shiftleft/shiftleft/worker"
)

const srcDDL = "pipelines/sources/p/src/sql-scripts/ddl.p_src.sql"

func watermarkDDL(delay string) string {
	return "CREATE TABLE IF NOT EXISTS p_src (id STRING, WATERMARK FOR `$rowtime` AS `$rowtime` - INTERVAL '" + delay + "' SECOND);"
}

// TestPushAltersTheTable is the service path of a DDL change ALTER TABLE
// applies: the pull request's comment and the push's job say "ALTER TABLE,
// readers restarted with carry-over", the push alters p_src and carries
// p_src's and p_mid's DML over, and every topic holds each record once.
func TestPushAltersTheTable(t *testing.T) {
	s := newServiceWith(t, 1, 1, nil, worker.Config{}, planner.Options{})
	r := newRepo(t, func(dir string) {
		for name, sql := range map[string]string{
			"sources/p/src/sql-scripts/ddl.p_src.sql":       watermarkDDL("5"),
			"sources/p/src/sql-scripts/dml.p_src.sql":       "INSERT INTO p_src SELECT id FROM ext_p;",
			"intermediates/p/mid/sql-scripts/ddl.p_mid.sql": "CREATE TABLE IF NOT EXISTS p_mid (id STRING);",
			"intermediates/p/mid/sql-scripts/dml.p_mid.sql": "INSERT INTO p_mid SELECT id FROM p_src;",
		} {
			must(t, mkdirWrite(filepath.Join(dir, "pipelines", filepath.FromSlash(name)), sql))
		}
	})
	first := r.commit("main", "first")
	if j := s.run(t, deployJob(r, "", first, "push-1")); j.Status != jobs.StatusSucceeded {
		t.Fatalf("first deploy: %s %s", j.Status, j.Error)
	}
	s.feed(t)
	r.write(srcDDL, watermarkDDL("10"))
	altered := r.commit("main", "p_src: a longer watermark delay")
	s.gh.push(5, altered)
	plan := s.run(t, &jobs.Job{Kind: jobs.KindPlan, Repo: "acme/flink", CloneURL: r.bare, Ref: "main",
		Before: first, After: altered, PullRequest: 5, DeliveryID: "pr-5"})
	const consequence = "ALTER TABLE, readers restarted with carry-over"
	if c := comment(s, 5); plan.Status != jobs.StatusSucceeded || !strings.Contains(c, "| alter | ") || !strings.Contains(c, consequence) {
		t.Errorf("plan job %s; comment:\n%s", plan.Status, c)
	}
	j := s.run(t, deployJob(r, first, altered, "push-2"))
	if j.Status != jobs.StatusSucceeded || planOf(j) != "p_src:alter p_mid:carry-over" || !strings.HasPrefix(j.Plan[0].Consequence, consequence) {
		t.Fatalf("push: %s %q %+v (%s)", j.Status, planOf(j), j.Plan, j.Error)
	}
	s.feed(t)
	once(t, s, 2000, "p_src", "p_mid")
	if sc := s.emu.Schema(config.EmulatorEnvironment, "p_src"); sc == nil || sc.Watermark == nil || !strings.Contains(sc.Watermark.Expr, "'10'") {
		t.Errorf("p_src's schema %+v, want the new watermark", sc)
	}

	// Without its DDL statement (deleted once its DML ran), the table's
	// DDL is the deployed commit's.
	client := s.client
	if err := client.DeleteStatement(context.Background(), "dev-usw2-p-ddl-p-src"); err != nil && !errors.Is(err, confluent.ErrStatementNotFound) {
		t.Fatal(err)
	}
	must(t, client.WaitForDeletion(context.Background(), "dev-usw2-p-ddl-p-src"))
	r.write(srcDDL, watermarkDDL("20"))
	again := r.commit("main", "p_src: longer still")
	j = s.run(t, deployJob(r, altered, again, "push-3"))
	if j.Status != jobs.StatusSucceeded || planOf(j) != "p_src:alter p_mid:carry-over" {
		t.Fatalf("push without the DDL statement: %s %q %+v (%s)", j.Status, planOf(j), j.Plan, j.Error)
	}
	s.feed(t)
	once(t, s, 3000, "p_src", "p_mid")
	if sc := s.emu.Schema(config.EmulatorEnvironment, "p_src"); sc == nil || sc.Watermark == nil || !strings.Contains(sc.Watermark.Expr, "'20'") {
		t.Errorf("p_src's schema %+v, want the newest watermark", sc)
	}
}

// once checks that each table holds the records of ext_p once: none read
// twice or skipped, the topic never deleted.
func once(t *testing.T, s *service, records uint64, tables ...string) {
	t.Helper()
	for _, n := range tables {
		if st := s.emu.Topic(config.EmulatorEnvironment, n); st.DistinctOrigins != records || st.Duplicates != 0 || st.Missing != 0 || st.Deleted != 0 {
			t.Errorf("%s: %+v, want the %d records once", n, st, records)
		}
	}
}
