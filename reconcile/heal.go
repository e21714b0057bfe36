package reconcile

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/jobs"
	"github.com/shiftleft/shiftleft/planner"
)

// maxHealTables bounds the tables of one heal job, whose record and message
// must stay well within a NATS message; the others wait for the next pass.
const maxHealTables = 200

// healable says whether self-heal redeploys a table in state s. A degraded
// table runs the tree's SQL (a redeploy would not make Flink healthier), a
// pending one is on its way, and an unmanaged statement is someone else's:
// they are reported only. Orphaned statements are deleted only with
// pruning on.
func (r *Reconciler) healable(s planner.SyncState) bool {
	switch s {
	case planner.Missing, planner.Failed, planner.Stopped, planner.Changed:
		return true
	case planner.Orphaned:
		return r.o.prune
	}
	return false
}

// heal queues one deploy job of the deployed commit for the drifted tables
// of report, unless a heal of the branch is still queued or running. A
// table healed the heal limit's times within the heal window is left
// alone, and says so in the report.
func (r *Reconciler) heal(ctx context.Context, repo Repo, deployed string, report *Report) {
	if prev, err := r.q.HealJob(ctx, repo.Name, repo.Branch); err == nil && !prev.Status.Finished() {
		for i := range report.Tables {
			if r.healable(report.Tables[i].State) {
				report.Tables[i].Heal = "heal job " + prev.ID + " is " + string(prev.Status)
			}
		}
		return
	} else if err != nil && !errors.Is(err, jobs.ErrNotFound) {
		r.note(repo.Name, "heal", "cannot read the last heal job: "+err.Error())
		return
	}
	now := time.Now()
	var heal []jobs.Drifted
	var picked []int
	r.mu.Lock()
	for i := range report.Tables {
		t := &report.Tables[i]
		if !r.healable(t.State) {
			continue
		}
		if len(heal) == maxHealTables {
			t.Heal = "waits for the next pass: a heal job takes " + strconv.Itoa(maxHealTables) + " tables at most"
			continue
		}
		key := t.key(repo.Name)
		recent := r.heals[key][:0]
		for _, at := range r.heals[key] {
			if now.Sub(at) < HealWindow {
				recent = append(recent, at)
			}
		}
		r.heals[key] = recent
		if len(recent) >= r.o.healLimit {
			t.Heal = fmt.Sprintf("left alone: healed %d times in the last %s (--heal-limit %d)", len(recent), HealWindow, r.o.healLimit)
			if !r.holding[key] {
				r.holding[key] = true
				r.log.Warn("table keeps drifting: heal limit reached, left alone", zap.String("repo", repo.Name),
					zap.String("table", t.Table), zap.String("state", string(t.State)), zap.String("detail", t.Detail))
			}
			continue
		}
		delete(r.holding, key)
		heal = append(heal, jobs.Drifted{Table: t.Table, State: string(t.State), Statement: t.Statement, Detail: t.Detail})
		picked = append(picked, i)
	}
	r.mu.Unlock()
	if len(heal) == 0 {
		return
	}
	job := &jobs.Job{Kind: jobs.KindDeploy, Source: jobs.SourceSelfHeal, Repo: repo.Name, CloneURL: repo.CloneURL,
		Ref: "refs/heads/" + repo.Branch, Before: deployed, After: deployed, DeliveryID: deliveryID("self-heal", deployed),
		Options: jobs.Options{Heal: heal}}
	err := r.q.Publish(ctx, job)
	switch {
	case errors.Is(err, jobs.ErrDuplicate):
		return // another heal got there first; this pass counts nothing
	case err != nil:
		r.note(repo.Name, "heal", "self-heal job not queued: "+err.Error())
		return
	}
	r.note(repo.Name, "heal", "")
	r.m.queued.WithLabelValues(string(jobs.SourceSelfHeal)).Inc()
	r.mu.Lock()
	for _, i := range picked {
		t := &report.Tables[i]
		key := t.key(repo.Name)
		r.heals[key] = append(r.heals[key], now)
		t.Heal = "queued in job " + job.ID
	}
	r.mu.Unlock()
	r.log.Info("self-heal: redeploy of drifted tables queued", zap.String("repo", repo.Name), zap.String("job_id", job.ID),
		zap.Int("tables", len(heal)))
}
