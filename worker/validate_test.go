package worker_test

import (
	"maps"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/config"
	"github.com/shiftleft/shiftleft/jobs"
	"github.com/shiftleft/shiftleft/worker"
)

// TestPlanValidatesSQL: a plan job dry-runs the pull request's new and
// changed statements against the target and puts Flink's answer in the
// comment, per table, with the file and line; an invalid statement, or a
// table nothing has, fails the plan status. The dry runs create nothing.
func TestPlanValidatesSQL(t *testing.T) {
	s := newService(t, 1)
	r := newRepo(t, twoTables(t, "p"))
	base := r.commit("main", "first")
	if j := s.run(t, deployJob(r, "", base, "push-1")); j.Status != jobs.StatusSucceeded {
		t.Fatalf("deploy: %s %s", j.Status, j.Error)
	}
	const (
		newDDL = "pipelines/facts/p/fct/sql-scripts/ddl.p_fct.sql"
		newDML = "pipelines/facts/p/fct/sql-scripts/dml.p_fct.sql"
	)
	tests := []struct {
		name  string
		files map[string]string
		// wantIn are parts of the comment; wantState the plan status.
		wantIn     []string
		wantNotIn  []string
		wantState  string
		wantStatus jobs.Status
		wantDesc   string
	}{
		{name: "valid", files: map[string]string{
			aggDML: groupedAgg,
			newDDL: "CREATE TABLE IF NOT EXISTS p_fct (id STRING, n BIGINT);",
			newDML: "INSERT INTO p_fct\nSELECT id, n FROM p_agg;",
		}, wantIn: []string{
			"#### SQL validation", "Each of the 3 new or changed statements validated against the target",
			"| `p_agg` | dml `" + aggDML + ":1` | valid |",
			"| `p_fct` | ddl `" + newDDL + ":1` | valid |",
			"| `p_fct` | dml `" + newDML + ":1` | valid |",
		}, wantNotIn: []string{"invalid", "[!CAUTION]"}, wantState: "success", wantStatus: jobs.StatusSucceeded, wantDesc: "2 tables would change"},
		{name: "a Flink error in one DML", files: map[string]string{
			aggDML: groupedAgg,
			newDDL: "CREATE TABLE IF NOT EXISTS p_fct (id STRING, n BIGINT);",
			newDML: "INSERT INTO p_fct\nSELECT id, n\nFROM p_agg\nWHERE nn > 1;",
		}, wantIn: []string{
			"**1 problem found by the dry runs against the target**",
			"| `p_agg` | dml `" + aggDML + ":1` | valid |",
			"| `p_fct` | ddl `" + newDDL + ":1` | valid |",
			"| `p_fct` | dml `" + newDML + ":4` | **invalid**: SQL validation failed. From line 4, column 7 to line 4, column 8: Column 'nn' not found in any table |",
		}, wantState: "failure", wantStatus: jobs.StatusFailed, wantDesc: "1 invalid: p_fct (dml.p_fct.sql:4)"},
		{name: "a misspelt table", files: map[string]string{
			newDDL: "CREATE TABLE IF NOT EXISTS p_fct (id STRING, n BIGINT);",
			newDML: "INSERT INTO p_fct SELECT id, n FROM p_agq;",
		}, wantIn: []string{
			"Table `p_agq`, read by `p_fct`, is defined neither in the pipelines nor on the target",
			"| `p_fct` | dml `" + newDML + ":1` | **invalid**: Table (or view) 'p_agq' does not exist",
		}, wantState: "failure", wantStatus: jobs.StatusFailed, wantDesc: "2 invalid: table p_agq unknown, p_fct (dml.p_fct.sql:1)"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			branch := "feature-" + string(rune('a'+i))
			r.git("checkout", "-q", "-b", branch, base)
			for name, sql := range tt.files {
				r.write(name, sql)
			}
			head := r.commit(branch, tt.name)
			pr := 20 + i
			s.gh.push(pr, head)
			creates := maps.Clone(s.emu.Counters().Creates)
			j := s.run(t, &jobs.Job{Kind: jobs.KindPlan, Repo: "acme/flink", CloneURL: r.bare, Ref: branch,
				Before: base, After: head, PullRequest: pr, DeliveryID: "pr-" + tt.name})
			if j.Status != tt.wantStatus {
				t.Errorf("job %s %q (%s), want %s", j.Status, j.Summary, j.Error, tt.wantStatus)
			}
			comments, _ := s.gh.pullComments(pr)
			if len(comments) != 1 {
				t.Fatalf("%d comments, want one", len(comments))
			}
			for _, body := range comments {
				checkComment(t, body, tt.wantIn, tt.wantNotIn)
			}
			if tt.name == "a misspelt table" && !strings.Contains(planOf(j), "p_agq:unknown") {
				t.Errorf("the job's plan %q does not name p_agq unknown", planOf(j))
			}
			if state, desc := s.gh.status(head, worker.PlanContext); state != tt.wantState || !strings.Contains(desc, tt.wantDesc) {
				t.Errorf("plan status: %s %q, want %s saying %q", state, desc, tt.wantState, tt.wantDesc)
			}
			if after := s.emu.Counters().Creates; !maps.Equal(after, creates) {
				t.Errorf("the plan created statements: %v, before %v", after, creates)
			}
			for _, table := range []string{"p_fct", "p_agq"} {
				if s.emu.Topic(config.EmulatorEnvironment, table).Exists {
					t.Errorf("the plan made table %s", table)
				}
			}
		})
	}
}
