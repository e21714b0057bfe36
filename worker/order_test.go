package worker_test

import (
	"context"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/jobs"
)

// TestOnlyTheTipDeploys: a deploy job deploys its commit only while it is
// its branch's tip, whatever the record of the deployed commit says; a
// rollback by force push is the tip, and deploys.
func TestOnlyTheTipDeploys(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// run pushes commits and runs jobs on a repository whose main holds
		// c0 (p_agg stateless, deployed) then c1 (p_agg grouped); the last
		// job it runs, with s.counted, is the one checked.
		run         func(t *testing.T, s *service, r *repo, c0, c1 string) (*jobs.Job, int)
		wantStatus  jobs.Status
		wantSummary string
		// wantRunning is in the SQL of the running p_agg: c0's "COUNT(*)
		// FROM", c1's "COUNT(*) AS n" or a later commit's.
		wantRunning string
		// wantDeployed: the checked job created statements.
		wantDeployed bool
	}{
		{
			// The newest push deployed but its record was lost (a leader
			// election as it was written); an older push comes back after
			// the outage.
			name: "older push after a deploy whose record was lost",
			run: func(t *testing.T, s *service, r *repo, c0, c1 string) (*jobs.Job, int) {
				r.write(aggDML, "INSERT INTO p_agg SELECT id, COUNT(*) AS total FROM p_src GROUP BY id;")
				c2 := r.commit("main", "change p_agg again")
				if j := s.run(t, deployJob(r, c0, c2, "push-c2")); j.Status != jobs.StatusSucceeded {
					t.Fatalf("deploy of c2: %s %s", j.Status, j.Error)
				}
				must(t, s.q.SetDeployedCommit(ctx, "acme/flink", "main", c0))
				return s.counted(t, func() *jobs.Job { return s.run(t, deployJob(r, c0, c1, "push-c1-late")) })
			},
			wantStatus: jobs.StatusSuperseded, wantSummary: "main is at", wantRunning: "AS total",
		},
		{
			name: "rollback by force push",
			run: func(t *testing.T, s *service, r *repo, c0, c1 string) (*jobs.Job, int) {
				if j := s.run(t, deployJob(r, c0, c1, "push-c1")); j.Status != jobs.StatusSucceeded {
					t.Fatalf("deploy of c1: %s %s", j.Status, j.Error)
				}
				r.git("push", "-q", "--force", "origin", c0+":refs/heads/main")
				return s.counted(t, func() *jobs.Job { return s.run(t, deployJob(r, c1, c0, "push-rollback")) })
			},
			wantStatus: jobs.StatusSucceeded, wantSummary: "1 tables deployed", wantRunning: "COUNT(*) FROM", wantDeployed: true,
		},
		{
			name: "replay of a commit the branch moved past",
			run: func(t *testing.T, s *service, r *repo, c0, c1 string) (*jobs.Job, int) {
				if j := s.run(t, deployJob(r, c0, c1, "push-c1")); j.Status != jobs.StatusSucceeded {
					t.Fatalf("deploy of c1: %s %s", j.Status, j.Error)
				}
				old, err := s.q.List(ctx, jobs.Filter{Repo: "acme/flink"})
				must(t, err)
				return s.counted(t, func() *jobs.Job {
					j, err := s.replay(t, old[len(old)-1].ID, jobs.Options{Force: true})
					must(t, err)
					return j
				})
			},
			wantStatus: jobs.StatusSuperseded, wantSummary: "main is at", wantRunning: "COUNT(*) AS n",
		},
		{
			name: "branch deleted",
			run: func(t *testing.T, s *service, r *repo, c0, c1 string) (*jobs.Job, int) {
				r.git("push", "-q", "origin", c1+":refs/heads/release")
				r.git("push", "-q", "origin", ":refs/heads/release")
				j := deployJob(r, c0, c1, "push-release")
				j.Ref = "refs/heads/release"
				return s.counted(t, func() *jobs.Job { return s.run(t, j) })
			},
			wantStatus: jobs.StatusSuperseded, wantSummary: "no longer exists", wantRunning: "COUNT(*) FROM",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(t, 1)
			r := newRepo(t, twoTables(t, "p"))
			c0 := r.commit("main", "first")
			if j := s.run(t, deployJob(r, "", c0, "push-c0")); j.Status != jobs.StatusSucceeded {
				t.Fatalf("deploy of c0: %s %s", j.Status, j.Error)
			}
			r.write(aggDML, groupedAgg)
			c1 := r.commit("main", "change p_agg")
			j, created := tt.run(t, s, r, c0, c1)
			if j.Status != tt.wantStatus || !strings.Contains(j.Summary, tt.wantSummary) {
				t.Errorf("job: %s %q, want %s and a summary saying %q", j.Status, j.Summary, tt.wantStatus, tt.wantSummary)
			}
			st, err := s.client.GetStatement(ctx, statement(t, s, "dml-p-agg"))
			must(t, err)
			if !strings.Contains(st.Spec.Statement, tt.wantRunning) {
				t.Errorf("running p_agg: %q, want the one saying %q", st.Spec.Statement, tt.wantRunning)
			}
			if (created > 0) != tt.wantDeployed {
				t.Errorf("the job created %d statements, want some: %v", created, tt.wantDeployed)
			}
		})
	}
}

// counted runs a job with run and counts the statements created meanwhile.
func (s *service) counted(t *testing.T, run func() *jobs.Job) (*jobs.Job, int) {
	t.Helper()
	before := total(creates(s))
	j := run()
	return j, total(creates(s)) - before
}

func total(counts map[string]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}
