package worker_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/confluent/emulator"
	"github.com/shiftleft/shiftleft/deployments"
	"github.com/shiftleft/shiftleft/jobs"
	"github.com/shiftleft/shiftleft/worker"
)

// deployLog records when each deploy, a repository's commit, creates
// statements: from the start of its first create to the end of its last.
type deployLog struct {
	deployments.Client
	mu    sync.Mutex
	spans map[[2]string]*span // by repository and commit
}

type span struct{ from, to time.Time }

func (c *deployLog) CreateStatement(ctx context.Context, r confluent.StatementRequest) (*confluent.Statement, error) {
	key := [2]string{strings.SplitN(r.Labels["shiftleft.table"], "_", 2)[0], r.Labels["shiftleft.commit"]}
	start := time.Now()
	st, err := c.Client.CreateStatement(ctx, r)
	end := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.spans[key]
	if s == nil {
		s = &span{start, end}
		c.spans[key] = s
	}
	if start.Before(s.from) {
		s.from = start
	}
	if end.After(s.to) {
		s.to = end
	}
	return st, err
}

// overlaps returns pairs of deploys that ran at the same time: of one
// repository, and of different ones.
func (c *deployLog) overlaps() (sameRepo, acrossRepos []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var keys [][2]string
	for k := range c.spans {
		keys = append(keys, k)
	}
	for i, a := range keys {
		for _, b := range keys[i+1:] {
			sa, sb := c.spans[a], c.spans[b]
			if !sa.from.Before(sb.to) || !sb.from.Before(sa.to) {
				continue
			}
			pair := fmt.Sprintf("%s@%s and %s@%s", a[0], short(a[1]), b[0], short(b[1]))
			if a[0] == b[0] {
				sameRepo = append(sameRepo, pair)
			} else {
				acrossRepos = append(acrossRepos, pair)
			}
		}
	}
	return sameRepo, acrossRepos
}

func short(sha string) string { return sha[:min(7, len(sha))] }

// TestTwoWorkersManyPushes: two workers running two jobs each, 20 pushes
// across 3 repositories; every job ends well, deploys of different
// repositories do run at the same time, and deploys of one repository never
// overlap.
func TestTwoWorkersManyPushes(t *testing.T) {
	var log *deployLog
	s := newServiceWith(t, 2, 2, func(c deployments.Client) deployments.Client {
		log = &deployLog{Client: c, spans: map[[2]string]*span{}}
		return log
	}, worker.Config{})
	// Every API answer takes a while, as Confluent Cloud's do: deploys last
	// long enough for those of different repositories to meet.
	must(t, s.emu.SetFaults(emulator.Faults{SlowMS: 25}))
	repos := make([]*repo, 3)
	for i := range repos {
		repos[i] = newRepo(t, twoTables(t, fmt.Sprintf("r%d", i)))
	}
	heads := make([]string, 3)
	var published []*jobs.Job
	ctx := context.Background()
	for i := range 20 {
		k := i % 3
		p := fmt.Sprintf("r%d", k)
		repos[k].write("pipelines/sources/"+p+"/src/sql-scripts/dml."+p+"_src.sql",
			fmt.Sprintf("INSERT INTO %s_src SELECT id FROM ext_%s WHERE id <> '%d';", p, p, i))
		before := heads[k]
		heads[k] = repos[k].commit("main", fmt.Sprintf("push %d", i))
		j := deployJob(repos[k], before, heads[k], fmt.Sprintf("push-%d", i))
		j.Repo, j.Version, j.Status, j.CreatedAt = "acme/"+p, jobs.Version, jobs.StatusQueued, time.Now().UTC()
		must(t, s.q.Publish(ctx, j))
		published = append(published, j)
	}
	outcomes := map[jobs.Status]int{}
	for _, j := range published {
		got := s.wait(t, j.ID)
		outcomes[got.Status]++
		// A push whose newer successor already deployed is superseded: the
		// newer commit carries its changes.
		if got.Status != jobs.StatusSucceeded && got.Status != jobs.StatusSuperseded {
			t.Errorf("job %s (%s): %s %s", got.ID, got.DeliveryID, got.Status, got.Error)
		}
	}
	same, across := log.overlaps()
	if len(same) > 0 {
		t.Errorf("deploys of one repository overlapped: %v", same)
	}
	if len(across) == 0 {
		t.Errorf("no two deploys of different repositories ran at the same time")
	}
	for k, r := range repos {
		sha, ok, err := s.q.DeployedCommit(ctx, fmt.Sprintf("acme/r%d", k), "main")
		must(t, err)
		if !ok || sha != heads[k] {
			t.Errorf("repo %d: deployed %s, want its last commit %s (%s)", k, sha, heads[k], r.bare)
		}
	}
	t.Logf("outcomes: %v; %d overlaps across repositories", outcomes, len(across))
}
