package worker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/deployments"
	"github.com/shiftleft/shiftleft/jobs"
	"github.com/shiftleft/shiftleft/planner"
)

// A self-heal job (the reconciler's, with self-heal on) is a deploy job of
// the deployed commit whose options name the drifted tables: they are the
// plan's start tables, so the deploy rules decide what each needs (a
// failed stateless DML restarts, a missing table is created...), under the
// repository's lock and with the commit's statuses, each action's reason
// led by the drift. Orphaned statements it names are deleted, with pruning
// on only.

// isHeal reports whether j is a self-heal job.
func isHeal(j *jobs.Job) bool { return len(j.Options.Heal) > 0 }

// healBase checks that the deployed commit is still the one the heal was
// queued for: else the drift it names is stale (a deploy ran since), and
// the job is superseded. It returns the diff's base: the commit itself,
// so that nothing but the drifted tables is in scope.
func healBase(j *jobs.Job, deployed string, hasDeployed bool, log *zap.Logger) (string, bool) {
	if hasDeployed && deployed == j.After {
		return j.After, false
	}
	j.Status, j.Summary = jobs.StatusSuperseded, "superseded: "+short(deployed)+" was deployed since the drift was seen"
	log.Info("self-heal job superseded: another commit was deployed", zap.String("deployed", deployed))
	return "", true
}

// healRequest adds the drifted tables of the head commit to req; orphans
// are no table of it.
func healRequest(req *planner.Request, heal []jobs.Drifted, has func(string) bool) {
	for _, d := range heal {
		if d.State != string(planner.Orphaned) && has(d.Table) && !slices.Contains(req.Tables, d.Table) {
			req.Tables = append(req.Tables, d.Table)
		}
	}
}

// healReasons leads the reasons of the healed tables' actions with their
// drift.
func healReasons(p *planner.Plan, heal []jobs.Drifted) {
	why := map[string]string{}
	for _, d := range heal {
		w := "self-heal, " + d.State
		if d.Detail != "" {
			w += " (" + d.Detail + ")"
		}
		why[d.Table] = w
	}
	for i := range p.Actions {
		if w, ok := why[p.Actions[i].Table]; ok {
			p.Actions[i].Reason = w + ": " + p.Actions[i].Reason
		}
	}
}

// dropOrphans deletes the orphaned statements a self-heal job names, with
// pruning on, when they are still shiftleft's statements of a table the
// commit does not have: DML first, so that nothing writes into a table
// whose other statements go. Deleting a statement drops no table and no
// topic. It returns how many it deleted.
func (w *Worker) dropOrphans(ctx context.Context, j *jobs.Job, desired []planner.Desired, log *zap.Logger) (int, error) {
	if !w.cfg.Prune {
		return 0, nil
	}
	wanted := map[string]bool{}
	for _, d := range desired {
		wanted[d.DDL], wanted[d.DML], wanted[d.Drop] = true, true, true
	}
	live, err := deployments.ReadLive(ctx, w.target.Client)
	if err != nil {
		return 0, fmt.Errorf("read what runs: %w", err)
	}
	var names []string
	for _, d := range j.Options.Heal {
		st, ok := live.Statements[d.Statement]
		if d.State == string(planner.Orphaned) && ok && st.Table != "" && !wanted[d.Statement] {
			names = append(names, d.Statement)
		}
	}
	rank := func(name string) int {
		if isDML(live.Statements[name]) {
			return 0
		}
		return 1
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Or(cmp.Compare(rank(a), rank(b)), strings.Compare(a, b)) })
	for i, name := range names {
		err := w.target.Client.DeleteStatement(ctx, name)
		if err == nil {
			err = w.target.Client.WaitForDeletion(ctx, name)
		}
		if err != nil && !errors.Is(err, confluent.ErrStatementNotFound) {
			return i, fmt.Errorf("delete orphaned statement %s: %w", name, err)
		}
		log.Info("orphaned statement deleted (self-heal, pruning on)", zap.String("statement", name))
	}
	return len(names), nil
}

// isDML: a statement of a table that is not its DDL or drop helper runs
// its DML (shiftleft's names say which).
func isDML(st planner.Statement) bool { return strings.Contains(st.Name, "-dml-") }

// healed finishes a self-heal job whose deploy succeeded: the orphaned
// statements go, and the summary says it was a heal.
func (w *Worker) healed(ctx context.Context, j *jobs.Job, c *change, log *zap.Logger) error {
	n, err := w.dropOrphans(ctx, j, planner.DesiredState(c.head.inv, w.target.Plan.Naming), log)
	if err != nil {
		return err
	}
	var tables []string
	for _, d := range j.Options.Heal {
		tables = append(tables, d.Table+" "+d.State)
	}
	j.Summary = "self-heal of " + strings.Join(tables, ", ") + ": " + j.Summary
	if n > 0 {
		j.Summary += fmt.Sprintf("; %d orphaned statements deleted", n)
	}
	return nil
}
