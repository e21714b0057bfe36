package worker_test

import (
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/githubstatus"
	"github.com/shiftleft/shiftleft/jobs"
	"github.com/shiftleft/shiftleft/worker"
)

// TestPlanComment: the pull request's comment for a plan that changes a
// table, for SQL that does not build, and the comment left alone by the plan
// of a push the pull request has moved past.
func TestPlanComment(t *testing.T) {
	s := newService(t, 1)
	r := newRepo(t, twoTables(t, "p"))
	base := r.commit("main", "first")
	if j := s.run(t, deployJob(r, "", base, "push-1")); j.Status != jobs.StatusSucceeded {
		t.Fatalf("deploy: %s %s", j.Status, j.Error)
	}
	r.git("checkout", "-q", "-b", "feature")
	r.write(aggDML, groupedAgg)
	changeAgg := r.commit("feature", "change p_agg")
	// The DML writes a table its DDL does not create.
	r.write(aggDML, "INSERT INTO p_other SELECT id, COUNT(*) AS n FROM p_src GROUP BY id;")
	broken := r.commit("feature", "break p_agg")

	tests := []struct {
		name       string
		head       string // the job's
		prHead     string // the pull request's, as GitHub has it
		wantStatus jobs.Status
		// wantIn are parts of the comment after the job; wantCommentOf is
		// the head whose plan the comment shows.
		wantIn        []string
		wantNotIn     []string
		wantCommentOf string
		// wantCheck is the head's plan status, state and a part of its
		// description.
		wantCheck [2]string
	}{
		{name: "change", head: changeAgg, prHead: changeAgg, wantStatus: jobs.StatusSucceeded, wantIn: []string{
			"| `p_agg` (p) | recreate |",
			"```mermaid\nflowchart",
			"<details><summary>Unchanged tables (2)</summary>", "| `p_src` (p) | already runs",
		}, wantCommentOf: changeAgg, wantCheck: [2]string{"success", "1 tables would change"}},
		{name: "does not build", head: broken, prHead: broken, wantStatus: jobs.StatusFailed, wantIn: []string{
			"**The pipelines do not build** (1 error)", "pipelines/facts/p/agg/sql-scripts/ddl.p_agg.sql (table p_other)",
			"creates p_agg but dml.p_agg.sql writes p_other",
		}, wantNotIn: []string{"No Flink statement would change"}, wantCommentOf: broken,
			wantCheck: [2]string{"failure", "do not build: 1 error, first pipelines/facts/p/agg/sql-scripts/ddl.p_agg.sql"}},
		{name: "superseded", head: changeAgg, prHead: broken, wantStatus: jobs.StatusSuperseded,
			wantCommentOf: broken, wantCheck: [2]string{"success", "1 tables would change"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.gh.push(7, tt.prHead)
			_, editsBefore := s.gh.pullComments(7)
			j := s.run(t, &jobs.Job{Kind: jobs.KindPlan, Repo: "acme/flink", CloneURL: r.bare, Ref: "feature",
				Before: base, After: tt.head, PullRequest: 7, DeliveryID: "pr-" + tt.name})
			if j.Status != tt.wantStatus {
				t.Errorf("job %s %q (%s), want %s", j.Status, j.Summary, j.Error, tt.wantStatus)
			}
			comments, edits := s.gh.pullComments(7)
			if len(comments) != 1 {
				t.Fatalf("%d comments, want one", len(comments))
			}
			wantEdits := editsBefore + 1
			if i == 0 || tt.wantStatus == jobs.StatusSuperseded {
				wantEdits = editsBefore // created, or left alone
			}
			if edits != wantEdits {
				t.Errorf("%d edits, want %d", edits-editsBefore, wantEdits-editsBefore)
			}
			for _, body := range comments {
				if want := "shiftleft plan for `" + tt.wantCommentOf[:7] + "`"; !strings.Contains(body, want) {
					t.Errorf("the comment is not the plan of %s:\n%s", tt.wantCommentOf[:7], body)
				}
				if !strings.HasPrefix(body, githubstatus.Marker) {
					t.Errorf("the comment has no marker:\n%s", body)
				}
				checkComment(t, body, tt.wantIn, tt.wantNotIn)
			}
			if state, desc := s.gh.status(tt.head, worker.PlanContext); state != tt.wantCheck[0] || !strings.Contains(desc, tt.wantCheck[1]) {
				t.Errorf("plan status of %s: %s %q, want %s saying %q", tt.head[:7], state, desc, tt.wantCheck[0], tt.wantCheck[1])
			}
		})
	}
}

// checkComment fails the test unless the comment holds every part of wantIn
// and none of wantNotIn.
func checkComment(t *testing.T, body string, wantIn, wantNotIn []string) {
	t.Helper()
	for _, want := range wantIn {
		if !strings.Contains(body, want) {
			t.Errorf("the comment lacks %q:\n%s", want, body)
		}
	}
	for _, unwanted := range wantNotIn {
		if strings.Contains(body, unwanted) {
			t.Errorf("the comment says %q:\n%s", unwanted, body)
		}
	}
}
