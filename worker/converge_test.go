package worker_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/confluent/emulator"
	"github.com/shiftleft/shiftleft/jobs"
)

// manyTables writes n independent tables p_t0..p_t<n-1>, each reading the
// topic ext_p.
func manyTables(t *testing.T, n int) func(dir string) {
	return func(dir string) {
		r := &repo{t: t, work: dir}
		for i := range n {
			writeTable(r, i, "")
		}
	}
}

func writeTable(r *repo, i int, where string) {
	name := fmt.Sprintf("p_t%d", i)
	r.write("pipelines/sources/p/"+name+"/sql-scripts/ddl."+name+".sql", "CREATE TABLE IF NOT EXISTS "+name+" (id STRING);")
	r.write("pipelines/sources/p/"+name+"/sql-scripts/dml."+name+".sql", "INSERT INTO "+name+" SELECT id FROM ext_p"+where+";")
}

// runsTree checks every table of the tree runs its DML.
func runsTree(t *testing.T, s *service, n int) {
	t.Helper()
	for i := range n {
		name := fmt.Sprintf("dev-usw2-p-dml-p-t%d", i)
		st, err := s.client.GetStatement(context.Background(), name)
		if err != nil || st.Status.Phase != confluent.PhaseRunning {
			t.Errorf("%s: %v %+v", name, err, st)
		}
	}
}

// TestFirstDeployOfARepositoryIsItsWholeTree: the second push of a
// repository is delivered before its first. With no commit deployed yet the
// whole tree of the second push is deployed, not only what it changed since
// a before that never was; the first push, older, is then superseded.
func TestFirstDeployOfARepositoryIsItsWholeTree(t *testing.T) {
	const n = 12
	s := newService(t, 1)
	r := newRepo(t, manyTables(t, n))
	first := r.commit("main", "first")
	writeTable(r, 3, " WHERE id <> ''")
	second := r.commit("main", "change p_t3")

	j := s.run(t, deployJob(r, first, second, "push-2"))
	if j.Status != jobs.StatusSucceeded || !strings.Contains(j.Summary, fmt.Sprintf("%d tables deployed", n)) {
		t.Fatalf("the later push, delivered first: %s %q %s", j.Status, j.Summary, j.Error)
	}
	runsTree(t, s, n)
	if old := s.run(t, deployJob(r, "", first, "push-1")); old.Status != jobs.StatusSuperseded {
		t.Errorf("the first push, delivered last: %s %q, want superseded", old.Status, old.Summary)
	}
	if next := s.run(t, deployJob(r, first, second, "push-2-again")); !strings.Contains(next.Summary, "already deployed") {
		t.Errorf("the second push again: %q", next.Summary)
	}
}

// TestForcePushDeploysFromTheDeployedCommit: after a force push the push's
// before is a commit the repository no longer has; the deploy diffs from
// the deployed commit, and never needs the before.
func TestForcePushDeploysFromTheDeployedCommit(t *testing.T) {
	const n = 4
	s := newService(t, 1)
	r := newRepo(t, manyTables(t, n))
	first := r.commit("main", "first")
	if j := s.run(t, deployJob(r, "", first, "push-1")); j.Status != jobs.StatusSucceeded {
		t.Fatalf("first deploy: %s %s", j.Status, j.Error)
	}
	// A commit pushed, never deployed, then rewritten away: its SHA is in
	// no repository any more.
	gone := strings.Repeat("ab", 20)
	writeTable(r, 1, " WHERE id <> 'x'")
	rewritten := r.commit("main", "rewritten history")
	j := s.run(t, deployJob(r, gone, rewritten, "force-push"))
	if j.Status != jobs.StatusSucceeded {
		t.Fatalf("force push: %s %q %s", j.Status, j.Summary, j.Error)
	}
	if got := planOf(j); got != "p_t1:restart-dml" {
		t.Errorf("plan %q, want p_t1 restarted only", got)
	}
	if s.gh.lastState(rewritten) != "success" {
		t.Errorf("statuses of the force push: %v", s.gh.states(rewritten))
	}
	runsTree(t, s, n)
}

// TestReplayRepairsWhatItFindsNotRunning: after a push deployed p_src's
// change (and p_agg, which reads it), p_agg's DML fails. A replay of that
// push finds p_src in sync, and still walks its lineage: p_agg, failed, is
// deployed again. (Its DML is what says its table exists, its DDL
// statement deleted once the DML ran: it fails here rather than being
// deleted by hand, which would leave no record of the table.)
func TestReplayRepairsWhatItFindsNotRunning(t *testing.T) {
	s := newService(t, 1)
	r := newRepo(t, twoTables(t, "p"))
	first := r.commit("main", "first")
	if j := s.run(t, deployJob(r, "", first, "push-1")); j.Status != jobs.StatusSucceeded {
		t.Fatalf("first deploy: %s %s", j.Status, j.Error)
	}
	r.write("pipelines/sources/p/src/sql-scripts/dml.p_src.sql", "INSERT INTO p_src SELECT id FROM ext_p WHERE id <> '';")
	second := r.commit("main", "filter p_src")
	pushed := s.run(t, deployJob(r, first, second, "push-2"))
	if pushed.Status != jobs.StatusSucceeded {
		t.Fatalf("second deploy: %s %s", pushed.Status, pushed.Error)
	}
	ctx := context.Background()
	agg := statement(t, s, "dml-p-agg")
	must(t, s.emu.SetFaults(emulator.Faults{FailStatements: map[string]string{agg: "scripted: out of memory"}}))
	if _, err := s.client.WaitForPhase(ctx, agg, confluent.PhaseFailing, confluent.PhaseFailed); err != nil {
		t.Fatalf("p_agg's DML did not fail: %v", err)
	}
	must(t, s.emu.SetFaults(emulator.Faults{}))

	j, err := s.replay(t, pushed.ID, jobs.Options{})
	must(t, err)
	if j.Status != jobs.StatusSucceeded || planOf(j) != "p_agg:recreate" {
		t.Fatalf("replay: %s %q plan %q %s", j.Status, j.Summary, planOf(j), j.Error)
	}
	if st, err := s.client.GetStatement(ctx, agg); err != nil || st.Status.Phase != confluent.PhaseRunning {
		t.Errorf("p_agg's DML: %v %+v", err, st)
	}
}
