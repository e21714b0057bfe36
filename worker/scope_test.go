package worker_test

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/deployments"
	"github.com/shiftleft/shiftleft/inventory"
	"github.com/shiftleft/shiftleft/jobs"
	"github.com/shiftleft/shiftleft/planner"
	"github.com/shiftleft/shiftleft/worker"
)

// listCounter counts the listings of every statement (a list by label
// reads one table's).
type listCounter struct {
	deployments.Client
	lists *atomic.Int64
}

func (c listCounter) ListStatements(ctx context.Context, o confluent.ListOptions) ([]confluent.Statement, error) {
	if o.LabelSelector == "" {
		c.lists.Add(1)
	}
	return c.Client.ListStatements(ctx, o)
}

// TestAPushReadsWhatItsTablesRun: in an environment of 40 tables, a push
// changing one is planned on that table's statements: the
// only listing of every statement is the verification after the run. The
// first deploy, the whole tree, reads everything.
func TestAPushReadsWhatItsTablesRun(t *testing.T) {
	const n = 40
	var lists atomic.Int64
	s := newServiceWith(t, 1, 1, func(c deployments.Client) deployments.Client { return listCounter{c, &lists} }, worker.Config{})
	r := newRepo(t, manyTables(t, n))
	first := r.commit("main", "first")
	if j := s.run(t, deployJob(r, "", first, "push-1")); j.Status != jobs.StatusSucceeded {
		t.Fatalf("first deploy: %s %s", j.Status, j.Error)
	}
	if got := lists.Load(); got != 2 {
		t.Errorf("the first deploy listed every statement %d times, want 2 (its plan, its verification)", got)
	}
	lists.Store(0)
	writeTable(r, 7, " WHERE id <> ''")
	second := r.commit("main", "change p_t7")
	j := s.run(t, deployJob(r, first, second, "push-2"))
	if j.Status != jobs.StatusSucceeded {
		t.Fatalf("second deploy: %s %s", j.Status, j.Error)
	}
	if got := planOf(j); got != "p_t7:restart-dml" {
		t.Errorf("plan %q, want p_t7 restarted only", got)
	}
	if got := lists.Load(); got != 1 {
		t.Errorf("a push of one table listed every statement %d times, want 1 (the verification)", got)
	}
	// Every table of the tree runs its SQL, p_t7 its new version.
	live, err := deployments.ReadLive(context.Background(), s.client)
	if err != nil {
		t.Fatal(err)
	}
	inv, _, err := inventory.Build(os.DirFS(filepath.Join(r.work, "pipelines")), inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range planner.Status(planner.DesiredState(inv, planner.Naming{}), live) {
		if st.State != planner.InSync {
			t.Errorf("after the push: %s", st)
		}
	}
}
