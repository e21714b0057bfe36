package worker_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/confluent/emulator"
	"github.com/shiftleft/shiftleft/deployments"
	"github.com/shiftleft/shiftleft/githubstatus"
	"github.com/shiftleft/shiftleft/internal/emulatortest"
	"github.com/shiftleft/shiftleft/internal/natscluster"
	"github.com/shiftleft/shiftleft/jobs"
	"github.com/shiftleft/shiftleft/planner"
	"github.com/shiftleft/shiftleft/worker"
)

// createLog records the statements created, in order, with the commit
// label of the deployment that created each.
type createLog struct {
	deployments.Client
	mu      sync.Mutex
	created []created
}

type created struct{ name, commit string }

func (c *createLog) CreateStatement(ctx context.Context, r confluent.StatementRequest) (*confluent.Statement, error) {
	st, err := c.Client.CreateStatement(ctx, r)
	if err == nil {
		c.mu.Lock()
		c.created = append(c.created, created{r.Name, r.Labels["shiftleft.commit"]})
		c.mu.Unlock()
	}
	return st, err
}

func (c *createLog) all() []created {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.created)
}

// The lines a worker logs when the jobs stream becomes unavailable and when
// it is back.
const (
	outageStarted = "jobs unavailable: fetching less often until JetStream answers"
	outageEnded   = "jobs available again"
)

// TestClusterLeaderKilled: a 3-node cluster, streams and buckets R3 by
// default, two workers (each its own connection, as two processes), pushes
// to one repository queued one after another; the node leading the jobs
// stream, its consumer and every bucket is killed with SIGKILL during the
// pushes, and started again later. Every push ends deployed or superseded
// by a newer one that deployed, none is lost, no statement is created twice
// for one commit, no commit is deployed after a newer one, the last push
// is what runs, and each worker logs the outage once at most.
//
// make test runs a few pushes; make test-full (-tags full) runs 20.
func TestClusterLeaderKilled(t *testing.T) {
	const (
		ackWait = 10 * time.Second // a lost ack is redelivered within it
		workers = 2
	)
	c := natscluster.Start(t, 3)
	rig := emulatortest.Start(t, nil)
	// Deploys last a while, as against Confluent Cloud: pushes overlap them.
	must(t, rig.Emulator.SetFaults(emulator.Faults{SlowMS: 20}))
	log := &createLog{Client: rig.Client}
	gh := newGitHub(t)
	reporter, err := githubstatus.New(githubstatus.WithBaseURL(gh.URL+"/"), githubstatus.WithToken("gh-test-token"))
	must(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	queue := func(name string, logger *zap.Logger) *jobs.Queue {
		nc, err := jobs.Connect(c.URL(), jobs.WithClientName(name), jobs.WithConnectLogger(logger),
			jobs.WithNATSOptions(nats.DontRandomize()))
		must(t, err)
		t.Cleanup(nc.Close)
		q, err := jobs.NewQueue(ctx, nc, jobs.WithAckWait(ackWait), jobs.WithBackoff(200*time.Millisecond),
			jobs.WithMaxAckPending(workers), jobs.WithLogger(logger))
		must(t, err)
		return q
	}
	publisher := queue("webhook", zap.NewNop())
	for _, s := range []string{jobs.DefaultStream, "KV_" + jobs.DefaultJobsBucket, "KV_" + jobs.DefaultLocksBucket, "KV_" + jobs.DefaultDeployedBucket} {
		if n := replicas(t, c, s); n != 3 {
			t.Fatalf("%s has %d replicas, want 3", s, n)
		}
	}

	// The victim leads everything the workers need; leaders are moved
	// before the workers start, which would see the moves.
	idle, err := publisher.Consume(ctx, func(context.Context, *jobs.Delivery) error { return nil }, 1)
	must(t, err)
	idle.Stop(ctx) // the consumer exists now
	admin, err := nats.Connect(c.URL())
	must(t, err)
	defer admin.Close()
	victim := c.Leader(admin, jobs.DefaultStream, "")
	c.MoveLeader(admin, victim, jobs.DefaultStream, jobs.DefaultConsumer)
	for _, b := range []string{jobs.DefaultJobsBucket, jobs.DefaultLocksBucket, jobs.DefaultDeployedBucket} {
		c.MoveLeader(admin, victim, "KV_"+b, "")
	}
	var workerLogs []*observer.ObservedLogs
	for i := range workers {
		core, logs := observer.New(zapcore.InfoLevel)
		workerLogs = append(workerLogs, logs)
		q := queue(fmt.Sprintf("worker-%d", i), zap.New(core))
		startWorker(t, q, reporter, log, rig.Emulator, worker.Config{LockTTL: ackWait}, planner.Options{}, 1, zap.New(core))
	}

	r := newRepo(t, twoTables(t, "p"))
	var shas []string
	var ids []string
	before := ""
	for i := range clusterPushes {
		r.write("pipelines/sources/p/src/sql-scripts/dml.p_src.sql",
			fmt.Sprintf("INSERT INTO p_src SELECT id FROM ext_p WHERE id <> 'push %d';", i))
		sha := r.commit("main", fmt.Sprintf("push %d", i))
		j := deployJob(r, before, sha, fmt.Sprintf("push-%d", i))
		j.Version, j.Status, j.CreatedAt = jobs.Version, jobs.StatusQueued, time.Now().UTC()
		ids = append(ids, publishAgain(t, ctx, publisher, j))
		shas, before = append(shas, sha), sha
		switch i {
		case clusterKillAt:
			c.Node(victim).Kill()
			t.Logf("push %d queued; %s killed", i, victim)
		case clusterRestartAt:
			c.Node(victim).Start()
			t.Logf("push %d queued; %s started again", i, victim)
		}
		// The next push comes once a worker took this one.
		waitFor(t, ctx, publisher, ids[i], func(s jobs.Status) bool { return s != jobs.StatusQueued })
	}

	// Every push ends: deployed, or superseded by a newer one.
	final := map[jobs.Status]int{}
	for i, id := range ids {
		j := waitFor(t, ctx, publisher, id, jobs.Status.Finished)
		final[j.Status]++
		if j.Status != jobs.StatusSucceeded && j.Status != jobs.StatusSuperseded {
			t.Errorf("push %d: %s %q %s", i, j.Status, j.Summary, j.Error)
		}
		if i == len(ids)-1 && j.Status != jobs.StatusSucceeded {
			t.Errorf("the last push: %s %q, want it deployed", j.Status, j.Summary)
		}
	}
	t.Logf("outcomes: %v", final)

	// No statement created twice by one commit's deployment, and the
	// deployments in the order of the pushes.
	index := map[string]int{}
	for i, sha := range shas {
		index[sha] = i
	}
	seen, last := map[created]bool{}, -1
	for _, cr := range log.all() {
		i, ok := index[cr.commit]
		if !ok {
			t.Fatalf("%s created with commit label %q, no push's", cr.name, cr.commit)
		}
		if seen[cr] {
			t.Errorf("%s created twice for push %d", cr.name, i)
		}
		seen[cr] = true
		if i < last {
			t.Errorf("%s created for push %d after push %d deployed: an older commit over a newer one", cr.name, i, last)
		}
		last = max(last, i)
	}
	deployed, ok, err := publisher.DeployedCommit(ctx, "acme/flink", "main")
	if err != nil || !ok || deployed != shas[len(shas)-1] {
		t.Errorf("deployed commit %s (%v), want the last push's %s", deployed, err, shas[len(shas)-1])
	}
	st, err := rig.Client.GetStatement(ctx, statementNamed(t, log, "dml-p-src"))
	must(t, err)
	if want := fmt.Sprintf("'push %d'", len(shas)-1); !strings.Contains(st.Spec.Statement, want) {
		t.Errorf("running p_src: %q, want the last push's (%s)", st.Spec.Statement, want)
	}

	// Each worker logs the outage once at most, and its end as often;
	// the workers fetching when the leader died saw it.
	saw := 0
	for i, logs := range workerLogs {
		started, ended := logs.FilterMessage(outageStarted).Len(), logs.FilterMessage(outageEnded).Len()
		if started > 1 || ended != started {
			t.Errorf("worker %d logged the outage %d times and its end %d times, want once each at most", i, started, ended)
		}
		saw += started
		if n := logs.FilterLevelExact(zapcore.WarnLevel).Len() + logs.FilterLevelExact(zapcore.ErrorLevel).Len(); n > 50 {
			t.Errorf("worker %d logged %d warnings and errors", i, n)
		}
		for _, e := range logs.All() {
			if e.Level >= zapcore.WarnLevel {
				t.Logf("worker %d: %s %s %v", i, e.Level, e.Message, e.ContextMap())
			}
		}
	}
	if saw == 0 {
		t.Error("no worker saw the outage: the test killed nothing that mattered")
	}
}

// publishAgain publishes j until JetStream takes it, as an operator
// redelivers a webhook answered 503; it returns the job's id.
func publishAgain(t *testing.T, ctx context.Context, q *jobs.Queue, j *jobs.Job) string {
	t.Helper()
	for {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		err := q.Publish(cctx, j)
		cancel()
		var dup *jobs.DuplicateError
		switch {
		case err == nil:
			return j.ID
		case errors.As(err, &dup):
			return dup.JobID
		case ctx.Err() != nil:
			t.Fatalf("publish %s: %v", j.DeliveryID, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitFor polls job id until its status satisfies ok; reads failing during
// the outage are tried again.
func waitFor(t *testing.T, ctx context.Context, q *jobs.Queue, id string, ok func(jobs.Status) bool) *jobs.Job {
	t.Helper()
	for {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		j, err := q.Get(cctx, id)
		cancel()
		if err == nil && ok(j.Status) {
			return j
		}
		if ctx.Err() != nil {
			t.Fatalf("job %s: %v (last read: %+v)", id, err, j)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// callTimeout bounds one request of the test's, as a webhook's is: one
// sent to a server as it died may get no answer at all.
const callTimeout = 5 * time.Second

func replicas(t *testing.T, c *natscluster.Cluster, stream string) int {
	t.Helper()
	nc, err := nats.Connect(c.URL())
	must(t, err)
	defer nc.Close()
	return c.Replicas(nc, stream)
}

// statementNamed is the name of the last statement created whose name ends
// with suffix, or with a version of it (suffix-v2...).
func statementNamed(t *testing.T, log *createLog, suffix string) string {
	t.Helper()
	name := ""
	for _, cr := range log.all() {
		// The last one made: a changed DML is a new version, -v2, -v3...
		if _, version, _ := strings.Cut(cr.name, suffix); strings.HasSuffix(cr.name, suffix) || strings.HasPrefix(version, "-v") {
			name = cr.name
		}
	}
	if name == "" {
		t.Fatalf("no statement %s created", suffix)
	}
	return name
}
