package worker_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/confluent/emulator"
	"github.com/shiftleft/shiftleft/jobs"
)

// twoTables writes the pipelines of a repository prefixed p: p_src reads the
// topic ext_p, which seeds/external_tables.json declares, and p_agg,
// stateful, reads p_src.
func twoTables(t *testing.T, p string) func(dir string) {
	return func(dir string) {
		for name, sql := range map[string]string{
			"seeds/external_tables.json":                              `{"tables": [{"table_name": "ext_` + p + `", "kafka_topic": "ext_` + p + `"}]}`,
			"sources/" + p + "/src/sql-scripts/ddl." + p + "_src.sql": "CREATE TABLE IF NOT EXISTS " + p + "_src (id STRING);",
			"sources/" + p + "/src/sql-scripts/dml." + p + "_src.sql": "INSERT INTO " + p + "_src SELECT id FROM ext_" + p + ";",
			"facts/" + p + "/agg/sql-scripts/ddl." + p + "_agg.sql":   "CREATE TABLE IF NOT EXISTS " + p + "_agg (id STRING, n BIGINT);",
			"facts/" + p + "/agg/sql-scripts/dml." + p + "_agg.sql":   "INSERT INTO " + p + "_agg SELECT id, COUNT(*) FROM " + p + "_src GROUP BY id;",
		} {
			must(t, mkdirWrite(filepath.Join(dir, "pipelines", filepath.FromSlash(name)), sql))
		}
	}
}

const (
	aggDML = "pipelines/facts/p/agg/sql-scripts/dml.p_agg.sql"
	// groupedAgg is the change most tests push: p_agg's DML, now stateful.
	groupedAgg = "INSERT INTO p_agg SELECT id, COUNT(*) AS n FROM p_src GROUP BY id;"
)

// deployJob is a push of after onto before to main.
func deployJob(r *repo, before, after, delivery string) *jobs.Job {
	if before == "" {
		before = strings.Repeat("0", 40)
	}
	return &jobs.Job{Kind: jobs.KindDeploy, Repo: "acme/flink", CloneURL: r.bare, Ref: "refs/heads/main",
		Before: before, After: after, DeliveryID: delivery}
}

func planOf(j *jobs.Job) string {
	var out []string
	for _, a := range j.Plan {
		out = append(out, a.Table+":"+a.Action)
	}
	return strings.Join(out, " ")
}

// TestReplay: a replay of the deployed push plans it again against what
// runs: without options nothing changes, --force recreates the tables the
// push changed, --force --dml-only restarts their DML only. A duplicate of
// the push (no replay, no options) is a no-op without a plan.
func TestReplay(t *testing.T) {
	s := newService(t, 1)
	r := newRepo(t, twoTables(t, "p"))
	first := r.commit("main", "first")
	if j := s.run(t, deployJob(r, "", first, "push-1")); j.Status != jobs.StatusSucceeded {
		t.Fatalf("first deploy: %s %s", j.Status, j.Error)
	}
	r.write(aggDML, groupedAgg)
	second := r.commit("main", "change p_agg")
	pushed := s.run(t, deployJob(r, first, second, "push-2"))
	if pushed.Status != jobs.StatusSucceeded {
		t.Fatalf("second deploy: %s %s", pushed.Status, pushed.Error)
	}

	tests := []struct {
		name string
		run  func() (*jobs.Job, error)
		// wantPlan is the job's plan; wantSummary a part of its summary.
		wantPlan, wantSummary string
		// wantCreated are the statements created anew, by kind and table.
		wantCreated []string
	}{
		{name: "duplicate push", run: func() (*jobs.Job, error) {
			return s.run(t, deployJob(r, first, second, "push-2-again")), nil
		}, wantSummary: "already deployed"},
		{name: "replay", run: func() (*jobs.Job, error) { return s.replay(t, pushed.ID, jobs.Options{}) },
			wantSummary: "0 tables deployed, 2 running unchanged"},
		{name: "replay --dml-only", run: func() (*jobs.Job, error) { return s.replay(t, pushed.ID, jobs.Options{DMLOnly: true}) },
			wantSummary: "0 tables deployed, 2 running unchanged"},
		{name: "replay --force", run: func() (*jobs.Job, error) { return s.replay(t, pushed.ID, jobs.Options{Force: true}) },
			wantPlan: "p_agg:recreate", wantSummary: "1 tables deployed", wantCreated: []string{"ddl-p-agg", "dml-p-agg", "drop-p-agg"}},
		{name: "replay --force --dml-only", run: func() (*jobs.Job, error) {
			return s.replay(t, pushed.ID, jobs.Options{Force: true, DMLOnly: true})
		}, wantPlan: "p_agg:restart-dml", wantSummary: "1 tables deployed", wantCreated: []string{"dml-p-agg"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := creates(s)
			j, err := tt.run()
			must(t, err)
			if j.Status != jobs.StatusSucceeded {
				t.Fatalf("%s %s", j.Status, j.Error)
			}
			if got := planOf(j); got != tt.wantPlan {
				t.Errorf("plan %q, want %q", got, tt.wantPlan)
			}
			if !strings.Contains(j.Summary, tt.wantSummary) {
				t.Errorf("summary %q, want it to say %q", j.Summary, tt.wantSummary)
			}
			var created []string
			for _, name := range changed(before, creates(s)) {
				created = append(created, statementKind(name))
			}
			slices.Sort(created)
			if !slices.Equal(created, tt.wantCreated) {
				t.Errorf("created %v, want %v", created, tt.wantCreated)
			}
		})
	}
}

// statementKind cuts the environment and product prefix off a statement
// name: "dev-usw2-p-dml-p-agg" is "dml-p-agg".
func statementKind(name string) string {
	for _, kind := range []string{"ddl-", "dml-", "drop-"} {
		if i := strings.Index(name, kind); i >= 0 {
			return name[i:]
		}
	}
	return name
}

// replay replays a finished job and waits for the replay to finish.
func (s *service) replay(t *testing.T, id string, opts jobs.Options) (*jobs.Job, error) {
	t.Helper()
	j, err := s.q.Replay(context.Background(), id, opts)
	if err != nil {
		return nil, err
	}
	got := s.wait(t, j.ID)
	if got.ReplayOf != id {
		t.Errorf("replay of %q, want %q", got.ReplayOf, id)
	}
	return got, nil
}

// statement returns the name of the statement whose name ends with suffix
// ("dml-p-agg"), as the first deploy created it.
func statement(t *testing.T, s *service, suffix string) string {
	t.Helper()
	for name := range creates(s) {
		if strings.HasSuffix(name, suffix) {
			return name
		}
	}
	t.Fatalf("no statement %s in %v", suffix, creates(s))
	return ""
}

// TestFailedDeploy: a deploy posts pending, then success or failure; a
// failed deploy does not become the deployed commit, so the next push is
// diffed from the last good one and redoes the failed change too.
func TestFailedDeploy(t *testing.T) {
	s := newService(t, 1)
	r := newRepo(t, twoTables(t, "p"))
	first := r.commit("main", "first")
	if j := s.run(t, deployJob(r, "", first, "push-1")); j.Status != jobs.StatusSucceeded {
		t.Fatalf("first deploy: %s %s", j.Status, j.Error)
	}
	if got := s.gh.states(first); !slices.Equal(got, []string{"pending", "success"}) {
		t.Errorf("statuses of the first push %v, want pending then success", got)
	}

	dml := statement(t, s, "dml-p-agg")
	must(t, s.emu.SetFaults(emulator.Faults{FailStatements: map[string]string{dml: "scripted: out of memory"}}))
	r.write(aggDML, groupedAgg)
	second := r.commit("main", "change p_agg")
	j := s.run(t, deployJob(r, first, second, "push-2"))
	if j.Status != jobs.StatusFailed || !strings.Contains(j.Error, "out of memory") {
		t.Errorf("failing deploy: %s %q, want failed with the statement's error", j.Status, j.Error)
	}
	if got := s.gh.states(second); !slices.Equal(got, []string{"pending", "failure"}) {
		t.Errorf("statuses of the failing push %v, want pending then failure", got)
	}
	if sha, _, err := s.q.DeployedCommit(context.Background(), "acme/flink", "main"); err != nil || sha != first {
		t.Errorf("deployed commit %s (%v) after a failed deploy, want still %s", short(sha), err, short(first))
	}

	// The fault is fixed; a push changing p_src only is diffed from the
	// first commit: p_agg's change is deployed with it.
	must(t, s.emu.SetFaults(emulator.Faults{}))
	r.write("pipelines/sources/p/src/sql-scripts/dml.p_src.sql", "INSERT INTO p_src SELECT id FROM ext_p WHERE id IS NOT NULL;")
	third := r.commit("main", "change p_src")
	j = s.run(t, deployJob(r, second, third, "push-3"))
	if j.Status != jobs.StatusSucceeded {
		t.Fatalf("third deploy: %s %s", j.Status, j.Error)
	}
	if got := planOf(j); !strings.Contains(got, "p_agg:recreate") || !strings.Contains(got, "p_src:") {
		t.Errorf("plan of the push after a failed one %q: want p_agg recreated along p_src", got)
	}
}

// TestSupersededDeploy: a job for a commit older than the deployed one
// deploys nothing: it would roll the newer one back.
func TestSupersededDeploy(t *testing.T) {
	s := newService(t, 1)
	r := newRepo(t, twoTables(t, "p"))
	first := r.commit("main", "first")
	r.write(aggDML, groupedAgg)
	second := r.commit("main", "change p_agg")
	if j := s.run(t, deployJob(r, "", second, "push-2")); j.Status != jobs.StatusSucceeded {
		t.Fatalf("deploy of the newer commit: %s %s", j.Status, j.Error)
	}
	before := creates(s)
	j := s.run(t, deployJob(r, "", first, "push-1-late"))
	if j.Status != jobs.StatusSuperseded {
		t.Errorf("job of the older commit: %s %q, want superseded", j.Status, j.Summary)
	}
	if c := changed(before, creates(s)); len(c) != 0 {
		t.Errorf("the superseded job created %v", c)
	}
	if sha, _, err := s.q.DeployedCommit(context.Background(), "acme/flink", "main"); err != nil || sha != second {
		t.Errorf("deployed commit %s (%v), want still %s", short(sha), err, short(second))
	}
}
