package worker_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/shiftleft/shiftleft/config"
	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/deployments"
	"github.com/shiftleft/shiftleft/githubstatus"
	"github.com/shiftleft/shiftleft/gitrepo"
	"github.com/shiftleft/shiftleft/internal/emulatortest"
	"github.com/shiftleft/shiftleft/inventory"
	"github.com/shiftleft/shiftleft/jobs"
	"github.com/shiftleft/shiftleft/worker"
)

// TestDeepNestingFailsTheJob: a pushed DML with 1,000,000 nested
// parentheses, which once overflowed the worker's stack and killed the
// service on every redelivery, fails its job at once, naming the file and
// its table; the same workers then deploy the fix.
func TestDeepNestingFailsTheJob(t *testing.T) {
	s := newService(t, 1)
	r := newRepo(t, twoTables(t, "p"))
	first := r.commit("main", "first")
	if j := s.run(t, deployJob(r, "", first, "push-1")); j.Status != jobs.StatusSucceeded {
		t.Fatalf("first deploy: %s %s", j.Status, j.Error)
	}
	const deep = 1_000_000
	r.write(aggDML, "INSERT INTO p_agg SELECT "+strings.Repeat("(", deep)+"id"+strings.Repeat(")", deep)+", 1 FROM p_src;")
	hostile := r.commit("main", "a million parentheses")
	j := s.run(t, deployJob(r, first, hostile, "push-2"))
	if j.Status != jobs.StatusFailed || j.Attempts != 1 {
		t.Fatalf("hostile push: %s after %d attempts: %s", j.Status, j.Attempts, j.Error)
	}
	for _, want := range []string{aggDML + " (table p_agg)", "line 1, column 1026", "nested deeper than 1000 levels"} {
		if !strings.Contains(j.Error, want) {
			t.Errorf("error %q does not name %q", j.Error, want)
		}
	}
	if got := s.gh.lastState(hostile); got != "failure" {
		t.Errorf("commit status %q, want failure", got)
	}

	r.write(aggDML, groupedAgg)
	fixed := r.commit("main", "fix")
	j = s.run(t, deployJob(r, first, fixed, "push-3"))
	if j.Status != jobs.StatusSucceeded || j.Reading != "" {
		t.Fatalf("the fix: %s %s (reading %q)", j.Status, j.Error, j.Reading)
	}
}

// panickyPools panics listing compute pools, as a bug met while planning
// would.
type panickyPools struct{ deployments.Client }

func (panickyPools) ListComputePools(context.Context) ([]confluent.ComputePool, error) {
	panic("pool listing bug")
}

// TestPanicWhilePlanningFailsTheJob: a panic while a job plans fails it at
// once instead of retrying it into a dead job, and the worker goes on.
func TestPanicWhilePlanningFailsTheJob(t *testing.T) {
	s := newServiceWith(t, 1, 1, func(c deployments.Client) deployments.Client { return panickyPools{c} }, worker.Config{})
	r := newRepo(t, twoTables(t, "p"))
	sha := r.commit("main", "first")
	for _, delivery := range []string{"push-1", "push-1-again"} {
		j := s.run(t, deployJob(r, "", sha, delivery))
		if j.Status != jobs.StatusFailed || j.Attempts != 1 || !strings.Contains(j.Error, "internal error while parsing or planning") ||
			!strings.Contains(j.Error, "pool listing bug") {
			t.Errorf("%s: %s after %d attempts: %s", delivery, j.Status, j.Attempts, j.Error)
		}
	}
}

// dyingQueue stands for a worker process that a file kills as it reads it,
// as an out-of-memory would: once the job record says it reads the
// pipelines (in parallel) or the poisoned file, its connection closes, no
// write or ack of it goes out any more, and the job is redelivered.
type dyingQueue struct {
	*jobs.Queue
	nc     *nats.Conn
	poison string
	died   chan<- struct{}
	// buried closes when the test ends: until then a dead process does
	// nothing more (its build must not go on into a shared cache).
	buried <-chan struct{}
}

func (q dyingQueue) Update(ctx context.Context, j *jobs.Job) error {
	if err := q.Queue.Update(ctx, j); err != nil {
		return err
	}
	if j.Reading == q.poison || strings.HasPrefix(j.Reading, "the pipelines at ") {
		q.nc.Close()
		q.died <- struct{}{}
		<-ctx.Done() // the consumer cancels it once the connection is closed
		<-q.buried
		return ctx.Err()
	}
	return nil
}

// TestJobKillingItsWorkersDiesNamingTheFile: a job whose file kills each
// worker that reads it is redelivered, read one file at a time (the base
// commit's files, then the pushed commit's), and marked dead after its
// deliveries naming that file: whether each restarted worker has a cache
// of its own, or they all share one (as a disk store shares what the dead
// ones parsed), which the poisoned file never enters.
func TestJobKillingItsWorkersDiesNamingTheFile(t *testing.T) {
	for _, tc := range []struct {
		name   string
		shared *inventory.Cache
	}{{"a cache each", nil}, {"a shared cache", inventory.NewCache(64<<20, nil)}} {
		t.Run(tc.name, func(t *testing.T) { testJobKillingItsWorkers(t, tc.shared) })
	}
}

func testJobKillingItsWorkers(t *testing.T, shared *inventory.Cache) {
	srv, err := jobs.StartEmbedded(t.TempDir())
	must(t, err)
	t.Cleanup(srv.Shutdown)
	const maxDeliver = 3
	// poison is only in the pushed commit, read after the base commit.
	const poison = "pipelines/facts/p/bad/sql-scripts/dml.p_bad.sql"
	ctx := context.Background()
	queue := func(nc *nats.Conn) *jobs.Queue {
		q, err := jobs.NewQueue(ctx, nc, jobs.WithAckWait(time.Second), jobs.WithMaxDeliver(maxDeliver),
			jobs.WithBackoff(50*time.Millisecond))
		must(t, err)
		return q
	}
	rig := emulatortest.Start(t, nil)
	reporter, err := githubstatus.New(githubstatus.WithBaseURL(newGitHub(t).URL+"/"), githubstatus.WithToken("gh-test-token"))
	must(t, err)
	died := make(chan struct{}, maxDeliver+1)
	// process starts a worker on a connection of its own, as a service
	// restarted after its last one died.
	process := func() {
		nc, err := srv.Connect()
		must(t, err)
		t.Cleanup(nc.Close)
		cache, err := gitrepo.NewCache(t.TempDir())
		must(t, err)
		q := queue(nc)
		buried := make(chan struct{})
		w, err := worker.New(dyingQueue{Queue: q, nc: nc, poison: poison, died: died, buried: buried}, cache, reporter, worker.Target{
			Client: rig.Client, Environment: config.EmulatorEnvironment,
			DeclareTables: func(_ context.Context, tables []string) error {
				return rig.Emulator.AddTables(config.EmulatorEnvironment, tables...)
			},
			ExternalTables: declaredTopics,
		}, worker.Config{LockTTL: 5 * time.Second, Inventories: shared}, nil)
		must(t, err)
		consumer, err := q.Consume(ctx, w.Handle, 1)
		must(t, err)
		t.Cleanup(func() {
			stop, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			consumer.Stop(stop)
		})
		t.Cleanup(func() { close(buried) })
	}

	r := newRepo(t, twoTables(t, "p"))
	first := r.commit("main", "first")
	r.write(poison, "INSERT INTO p_bad SELECT * FROM p_src;")
	r.write("pipelines/facts/p/bad/sql-scripts/ddl.p_bad.sql", "CREATE TABLE p_bad (id STRING);")
	j := deployJob(r, first, r.commit("main", "the poisoned file"), "push-2")
	j.ID, j.Version, j.Status, j.CreatedAt = "killer", jobs.Version, jobs.StatusQueued, time.Now().UTC()
	nc, err := srv.Connect()
	must(t, err)
	t.Cleanup(nc.Close)
	q := queue(nc)
	must(t, q.Publish(ctx, j))
	process()
	for range maxDeliver {
		select {
		case <-died:
		case <-time.After(60 * time.Second):
			t.Fatal("no worker died reading the job")
		}
		process()
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		got, err := q.Get(ctx, j.ID)
		must(t, err)
		if got.Status.Finished() {
			want := "no outcome after 3 runs: its worker stopped each time, the last time while reading " + poison
			if got.Status != jobs.StatusDead || got.Error != want {
				t.Errorf("job %s: %q, want dead: %q", got.Status, got.Error, want)
			}
			if shared != nil && shared.Stats().Hits == 0 {
				t.Error("the later deliveries found nothing in the shared cache")
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s, not finished: %+v", got.Status, got)
		}
	}
}
