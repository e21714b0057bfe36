package worker_test

import (
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/config"
	"github.com/shiftleft/shiftleft/jobs"
	"github.com/shiftleft/shiftleft/planner"
	"github.com/shiftleft/shiftleft/worker"
)

// TestPushesLoseNothing is the service path with the default strategy: a
// push changing a stateless DML carries its offsets over, one changing a
// stateful table without a key builds a new version beside it; with
// strategy recreate, such a push is refused before anything changes,
// naming the topic its recreate would drop; the pull request's comment
// shows the same consequences as the job record.
func TestPushesLoseNothing(t *testing.T) {
	s := newServiceWith(t, 1, 1, nil, worker.Config{}, planner.Options{})
	r := newRepo(t, twoTables(t, "p"))
	first := r.commit("main", "first")
	if j := s.run(t, deployJob(r, "", first, "push-1")); j.Status != jobs.StatusSucceeded {
		t.Fatalf("first deploy: %s %s", j.Status, j.Error)
	}
	s.feed(t)
	const srcDML = "pipelines/sources/p/src/sql-scripts/dml.p_src.sql"
	from := "dev-usw2-p-dml-p-src"

	// The pull request's plan, then the push.
	r.git("checkout", "-q", "-b", "feature")
	r.write(srcDML, "INSERT INTO p_src SELECT id FROM ext_p WHERE id IS NOT NULL;")
	stateless := r.commit("feature", "filter p_src")
	s.gh.push(3, stateless)
	plan := s.run(t, &jobs.Job{Kind: jobs.KindPlan, Repo: "acme/flink", CloneURL: r.bare, Ref: "feature",
		Before: first, After: stateless, PullRequest: 3, DeliveryID: "pr-3"})
	consequence := "carries over offsets from " + from
	if c := comment(s, 3); plan.Status != jobs.StatusSucceeded || !strings.Contains(c, "| carry-over | ") || !strings.Contains(c, consequence) {
		t.Errorf("plan job %s; comment:\n%s", plan.Status, c)
	}
	r.git("checkout", "-q", "main")
	r.git("merge", "-q", "--ff-only", "feature")
	r.git("push", "-q", "origin", "HEAD:refs/heads/main")
	j := s.run(t, deployJob(r, first, stateless, "push-2"))
	if j.Status != jobs.StatusSucceeded || planOf(j) != "p_src:carry-over" || !strings.HasPrefix(j.Plan[0].Consequence, consequence) {
		t.Fatalf("stateless push: %s %q %+v (%s)", j.Status, planOf(j), j.Plan, j.Error)
	}
	s.feed(t)
	for _, n := range []string{"p_src", "p_agg"} {
		if st := s.emu.Topic(config.EmulatorEnvironment, n); st.DistinctOrigins != 2000 || st.Duplicates != 0 || st.Missing != 0 || st.Deleted != 0 {
			t.Errorf("%s: %+v, want the 2,000 records once", n, st)
		}
	}

	// A stateful change of a table without a primary key: a new version.
	r.write(aggDML, "INSERT INTO p_agg SELECT id, COUNT(*) + 1 AS n FROM p_src GROUP BY id;")
	stateful := r.commit("main", "change p_agg")
	s.gh.push(4, stateful)
	plan = s.run(t, &jobs.Job{Kind: jobs.KindPlan, Repo: "acme/flink", CloneURL: r.bare, Ref: "main",
		Before: stateless, After: stateful, PullRequest: 4, DeliveryID: "pr-4"})
	consequence = "new version p_agg_v2 beside p_agg; rebuilds from the earliest offset"
	if c := comment(s, 4); plan.Status != jobs.StatusSucceeded || !strings.Contains(c, "| new-version | ") || !strings.Contains(c, consequence) {
		t.Errorf("plan job %s; comment:\n%s", plan.Status, c)
	}
	j = s.run(t, deployJob(r, stateless, stateful, "push-3"))
	if j.Status != jobs.StatusSucceeded || planOf(j) != "p_agg:new-version" || !strings.HasPrefix(j.Plan[0].Consequence, consequence) {
		t.Fatalf("stateful push: %s %q %+v (%s)", j.Status, planOf(j), j.Plan, j.Error)
	}
	s.feed(t)
	for _, n := range []string{"p_src", "p_agg", "p_agg_v2"} {
		if st := s.emu.Topic(config.EmulatorEnvironment, n); st.DistinctOrigins != 3000 || st.Duplicates != 0 || st.Missing != 0 || st.Deleted != 0 {
			t.Errorf("%s: %+v, want the 3,000 records once", n, st)
		}
	}

	// With strategy recreate, the same kind of change needs a drop.
	r.write(aggDML, "INSERT INTO p_agg SELECT id, COUNT(*) + 2 AS n FROM p_src GROUP BY id;")
	r.write(strings.TrimSuffix(aggDML, ".sql")+".properties", "strategy: recreate\n")
	recreate := r.commit("main", "change p_agg again, by a recreate")
	s.gh.push(5, recreate)
	plan = s.run(t, &jobs.Job{Kind: jobs.KindPlan, Repo: "acme/flink", CloneURL: r.bare, Ref: "main",
		Before: stateful, After: recreate, PullRequest: 5, DeliveryID: "pr-5"})
	if c := comment(s, 5); !strings.Contains(c, "**Merging would not deploy**") || !strings.Contains(c, "drops topic p_agg_v2 (its records and schema)") {
		t.Errorf("plan job %s; comment:\n%s", plan.Status, c)
	}
	before := mutating(s)
	j = s.run(t, deployJob(r, stateful, recreate, "push-4"))
	if j.Status != jobs.StatusFailed || !strings.Contains(j.Error, "topic p_agg_v2 (recreate: ") {
		t.Errorf("recreate push: %s %q, want failed naming topic p_agg_v2", j.Status, j.Error)
	}
	if n := mutating(s) - before; n != 0 {
		t.Errorf("the refused push sent %d requests that change something", n)
	}
	for _, n := range []string{"p_agg", "p_agg_v2"} {
		if st := s.emu.Topic(config.EmulatorEnvironment, n); st.Deleted != 0 {
			t.Errorf("%s: %+v, deleted", n, st)
		}
	}
}

func comment(s *service, pr int) string {
	comments, _ := s.gh.pullComments(pr)
	for _, c := range comments {
		return c
	}
	return ""
}

// mutating counts the emulator's requests that change something.
func mutating(s *service) int {
	n := 0
	for route, c := range s.emu.Counters().Requests {
		if !strings.HasPrefix(route, "GET ") {
			n += c
		}
	}
	return n
}
