package worker_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/deployments"
	"github.com/shiftleft/shiftleft/jobs"
	"github.com/shiftleft/shiftleft/worker"
)

// commitLog records, per repository, the order of the commits whose
// statements are created: two deploys of one repository overlapping would
// interleave their commits.
type commitLog struct {
	deployments.Client
	mu     sync.Mutex
	orders map[string][]string
}

func (c *commitLog) CreateStatement(ctx context.Context, r confluent.StatementRequest) (*confluent.Statement, error) {
	repo := strings.SplitN(r.Labels["shiftleft.table"], "_", 2)[0]
	c.mu.Lock()
	if seq := c.orders[repo]; len(seq) == 0 || seq[len(seq)-1] != r.Labels["shiftleft.commit"] {
		c.orders[repo] = append(seq, r.Labels["shiftleft.commit"])
	}
	c.mu.Unlock()
	return c.Client.CreateStatement(ctx, r)
}

// interleaved reports a repository whose deploys overlapped.
func (c *commitLog) interleaved() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for repo, seq := range c.orders {
		seen := map[string]bool{}
		for _, sha := range seq {
			if seen[sha] {
				return fmt.Sprintf("%s: %v", repo, seq)
			}
			seen[sha] = true
		}
	}
	return ""
}

// TestTwoWorkersManyPushes: two workers, 20 pushes across 3 repositories;
// every job ends well and deploys of one repository never overlap.
func TestTwoWorkersManyPushes(t *testing.T) {
	var log *commitLog
	s := newServiceWith(t, 1, 2, func(c deployments.Client) deployments.Client {
		log = &commitLog{Client: c, orders: map[string][]string{}}
		return log
	}, worker.Config{})
	repos := make([]*repo, 3)
	for i := range repos {
		p := fmt.Sprintf("r%d", i)
		repos[i] = newRepo(t, func(dir string) {
			for name, sql := range map[string]string{
				"sources/" + p + "/src/sql-scripts/ddl." + p + "_src.sql": "CREATE TABLE IF NOT EXISTS " + p + "_src (id STRING);",
				"sources/" + p + "/src/sql-scripts/dml." + p + "_src.sql": "INSERT INTO " + p + "_src SELECT id FROM ext_" + p + ";",
				"facts/" + p + "/agg/sql-scripts/ddl." + p + "_agg.sql":   "CREATE TABLE IF NOT EXISTS " + p + "_agg (id STRING, n BIGINT);",
				"facts/" + p + "/agg/sql-scripts/dml." + p + "_agg.sql":   "INSERT INTO " + p + "_agg SELECT id, COUNT(*) FROM " + p + "_src GROUP BY id;",
			} {
				path := filepath.Join(dir, "pipelines", filepath.FromSlash(name))
				must(t, mkdirWrite(path, sql))
			}
		})
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
		if before == "" {
			before = strings.Repeat("0", 40)
		}
		heads[k] = repos[k].commit("main", fmt.Sprintf("push %d", i))
		j := &jobs.Job{Version: jobs.Version, Kind: jobs.KindDeploy, Status: jobs.StatusQueued, Repo: "acme/" + p,
			CloneURL: repos[k].bare, Ref: "refs/heads/main", Before: before, After: heads[k],
			DeliveryID: fmt.Sprintf("push-%d", i), CreatedAt: time.Now().UTC()}
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
	if bad := log.interleaved(); bad != "" {
		t.Errorf("deploys of one repository overlapped: %s", bad)
	}
	for k, r := range repos {
		sha, ok, err := s.q.DeployedCommit(ctx, fmt.Sprintf("acme/r%d", k), "main")
		must(t, err)
		if !ok || sha != heads[k] {
			t.Errorf("repo %d: deployed %s, want its last commit %s (%s)", k, sha, heads[k], r.bare)
		}
	}
	t.Logf("outcomes: %v", outcomes)
}

// TestReplayChangesNothing: replaying a finished deploy reruns it and
// leaves alone what already runs.
func TestReplayChangesNothing(t *testing.T) {
	s := newService(t, 1)
	r := newRepo(t, func(dir string) {
		must(t, mkdirWrite(filepath.Join(dir, "pipelines/sources/p/src/sql-scripts/ddl.src.sql"), "CREATE TABLE src (id STRING);"))
		must(t, mkdirWrite(filepath.Join(dir, "pipelines/sources/p/src/sql-scripts/dml.src.sql"), "INSERT INTO src SELECT id FROM ext_topic;"))
	})
	sha := r.commit("main", "first")
	j := s.run(t, &jobs.Job{Kind: jobs.KindDeploy, Repo: "acme/flink", CloneURL: r.bare, Ref: "refs/heads/main",
		Before: strings.Repeat("0", 40), After: sha, DeliveryID: "push-1"})
	if j.Status != jobs.StatusSucceeded {
		t.Fatalf("deploy: %s %s", j.Status, j.Error)
	}
	before := creates(s)
	replay, err := s.q.Replay(context.Background(), j.ID, jobs.Options{})
	must(t, err)
	got := s.wait(t, replay.ID)
	if got.Status != jobs.StatusSucceeded || got.ReplayOf != j.ID {
		t.Fatalf("replay: %s %s (replay of %q)", got.Status, got.Error, got.ReplayOf)
	}
	if c := changed(before, creates(s)); len(c) != 0 {
		t.Errorf("the replay created %v", c)
	}
}
