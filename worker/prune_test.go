package worker_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/jobs"
	"github.com/shiftleft/shiftleft/worker"
)

// pruneTree is a small pipeline: int_old and fct_gone are deleted by the
// second commit, and fct_c, which read int_old, no longer reads it.
var pruneTree = map[string]string{
	"sources/p/src_a/sql-scripts/ddl.src_a.sql":           "CREATE TABLE src_a (id STRING, v INT);",
	"sources/p/src_a/sql-scripts/dml.src_a.sql":           "INSERT INTO src_a SELECT id, v FROM raw_events;",
	"intermediates/p/int_b/sql-scripts/ddl.int_b.sql":     "CREATE TABLE int_b (id STRING, v INT);",
	"intermediates/p/int_b/sql-scripts/dml.int_b.sql":     "INSERT INTO int_b SELECT id, v FROM src_a WHERE v > 0;",
	"intermediates/p/int_old/sql-scripts/ddl.int_old.sql": "CREATE TABLE int_old (id STRING, w INT);",
	"intermediates/p/int_old/sql-scripts/dml.int_old.sql": "INSERT INTO int_old SELECT id, v * 2 FROM src_a;",
	"facts/p/fct_c/sql-scripts/ddl.fct_c.sql":             "CREATE TABLE fct_c (id STRING, v INT);",
	"facts/p/fct_c/sql-scripts/dml.fct_c.sql":             "INSERT INTO fct_c SELECT id, v FROM int_b UNION ALL SELECT id, w FROM int_old;",
	"facts/p/fct_gone/sql-scripts/ddl.fct_gone.sql":       "CREATE TABLE fct_gone (id STRING, v INT);",
	"facts/p/fct_gone/sql-scripts/dml.fct_gone.sql":       "INSERT INTO fct_gone SELECT id, v FROM int_b;",
}

// TestPrune: a push that deletes tables drops them with pruning on — after
// the table that read one is redeployed without it — and leaves them
// running, reported, with pruning off.
func TestPrune(t *testing.T) {
	tests := []struct {
		prune       bool
		wantPlan    string
		wantSummary string
		// gone: the deleted tables' statements no longer exist.
		gone bool
	}{
		{prune: true, wantPlan: "fct_c:restart-dml fct_gone:drop int_old:drop",
			wantSummary: "1 tables deployed, 2 running unchanged, 2 deleted and dropped; verified", gone: true},
		{prune: false, wantPlan: "fct_c:restart-dml fct_gone:deleted int_old:deleted",
			wantSummary: "1 tables deployed, 2 running unchanged, 2 deleted (not dropped); verified"},
	}
	for _, tt := range tests {
		name := "pruning off"
		if tt.prune {
			name = "pruning on"
		}
		t.Run(name, func(t *testing.T) {
			r := newRepo(t, func(dir string) {
				for rel, content := range pruneTree {
					must(t, mkdirWrite(filepath.Join(dir, "pipelines", filepath.FromSlash(rel)), content))
				}
			})
			first := r.commit("main", "pipelines")
			s := newServiceWith(t, 1, 1, nil, worker.Config{Prune: tt.prune})
			deploy := func(before, after, delivery string) *jobs.Job {
				j := s.run(t, &jobs.Job{Kind: jobs.KindDeploy, Repo: "acme/flink", CloneURL: r.bare, Ref: "refs/heads/main",
					Before: before, After: after, DeliveryID: delivery})
				if j.Status != jobs.StatusSucceeded {
					t.Fatalf("deploy %s: %s %s\n%+v", delivery, j.Status, j.Error, j.Results)
				}
				return j
			}
			deploy(strings.Repeat("0", 40), first, "push-1")

			r.git("rm", "-q", "-r", "pipelines/intermediates/p/int_old", "pipelines/facts/p/fct_gone")
			r.write("pipelines/facts/p/fct_c/sql-scripts/dml.fct_c.sql", "INSERT INTO fct_c SELECT id, v FROM int_b;")
			second := r.commit("main", "retire int_old and fct_gone")
			j := deploy(first, second, "push-2")

			var plan []string
			for _, a := range j.Plan {
				plan = append(plan, a.Table+":"+a.Action)
			}
			if got := strings.Join(plan, " "); got != tt.wantPlan {
				t.Errorf("plan %q, want %q", got, tt.wantPlan)
			}
			if j.Summary != tt.wantSummary {
				t.Errorf("summary %q, want %q", j.Summary, tt.wantSummary)
			}
			ctx := context.Background()
			// int_old's DDL statement was deleted once its DML ran (one
			// statement a table): its DML alone says it is there.
			for _, name := range []string{"dev-usw2-p-dml-int-old", "dev-usw2-p-dml-fct-gone"} {
				st, err := s.client.GetStatement(ctx, name)
				var apiErr *confluent.APIError
				notFound := errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound
				switch {
				case tt.gone && !notFound:
					t.Errorf("%s after the prune: %v %v, want not found", name, st, err)
				case !tt.gone && (err != nil || (strings.Contains(name, "-dml-") && st.Status.Phase != confluent.PhaseRunning)):
					t.Errorf("%s without pruning: %v %v, want it running", name, st, err)
				}
			}
			// fct_c was restarted before int_old went: it runs.
			if st, err := s.client.GetStatement(ctx, "dev-usw2-p-dml-fct-c"); err != nil || st.Status.Phase != confluent.PhaseRunning {
				t.Errorf("fct_c: %v %v, want RUNNING", st, err)
			}
			if got := s.gh.lastState(second); got != "success" {
				t.Errorf("commit status %q, want success", got)
			}

		})
	}
}
