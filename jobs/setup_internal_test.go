package jobs

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/shiftleft/shiftleft/internal/natscluster"
)

func TestUnavailable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"no meta leader", &jetstream.APIError{Code: 503, ErrorCode: 10008, Description: "JetStream system temporarily unavailable"}, true},
		{"no JetStream answering", jetstream.ErrJetStreamNotEnabled, true},
		{"peers still joining", &jetstream.APIError{Code: 400, ErrorCode: 10005, Description: "no suitable peers for placement"}, true},
		{"an attempt timed out", fmt.Errorf("create stream: %w", context.DeadlineExceeded), true},
		{"no responders", nats.ErrNoResponders, true},
		{"reconnecting", nats.ErrConnectionReconnecting, true},
		{"bad configuration", &jetstream.APIError{Code: 500, ErrorCode: 10052, Description: "replicas > 1 not supported in non-clustered mode"}, false},
		{"name in use", jetstream.ErrStreamNameAlreadyInUse, false},
		{"no such stream", jetstream.ErrStreamNotFound, false},
		{"connection closed", nats.ErrConnectionClosed, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := unavailable(tt.err); got != tt.want {
				t.Errorf("unavailable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

// TestReplicasAlone: a server in no cluster holds one replica; asking for
// more fails at once with the server's reason, without retrying.
func TestReplicasAlone(t *testing.T) {
	srv := startServer(t)
	nc := connectTo(t, srv)
	q := newQueue(t, nc, WithLogger(testLogger(t)))
	if got := replicasOf(t, q.js, DefaultStream); got != 1 {
		t.Errorf("stream replicas %d, want 1", got)
	}
	start := time.Now()
	_, err := NewQueue(testCtx(t), nc, WithReplicas(3), WithStream("R3", "r3.jobs"), WithBuckets("r3j", "r3l", "r3d"))
	if err == nil {
		t.Fatal("a queue of 3 replicas on a lone server was set up")
	}
	if took := time.Since(start); took > setupAttempt {
		t.Errorf("failed after %s: the refusal was retried", took)
	}
	t.Logf("refused: %v", err)
}

// TestReplicasOnCluster: on a cluster of 3 JetStream servers the stream and
// every bucket get 3 replicas by default, a queue set up with 1 before is
// scaled up, and an explicit setting wins, down too.
func TestReplicasOnCluster(t *testing.T) {
	c := natscluster.Start(t, 3)
	nc := connectCluster(t, c.URL())
	tests := []struct {
		name   string
		before []Option // a queue set up first, as an earlier version did
		opts   []Option
		want   int
	}{
		{name: "default on a fresh cluster", want: 3},
		{name: "one replica scaled up by default", before: []Option{WithReplicas(1)}, want: 3},
		{name: "explicit setting scales down", before: []Option{WithReplicas(3)}, opts: []Option{WithReplicas(1)}, want: 1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			names := []Option{WithStream(fmt.Sprintf("S%d", i), fmt.Sprintf("s%d.jobs", i)),
				WithBuckets(fmt.Sprintf("j%d", i), fmt.Sprintf("l%d", i), fmt.Sprintf("d%d", i)), WithLogger(testLogger(t))}
			if tt.before != nil {
				newQueue(t, nc, append(names, tt.before...)...)
			}
			q := newQueue(t, nc, append(names, tt.opts...)...)
			for _, s := range []string{q.opts.stream, kvStream(q.opts.jobsBucket), kvStream(q.opts.locksBucket), kvStream(q.opts.deployedBucket)} {
				if got := replicasOf(t, q.js, s); got != tt.want {
					t.Errorf("%s: %d replicas, want %d", s, got, tt.want)
				}
			}
		})
	}
}

// TestNewQueueOnFreshCluster: four processes set the queue up as a fresh
// cluster starts, before it has elected its leaders; each one waits for
// the cluster instead of failing, and the queue ends with 3 replicas.
func TestNewQueueOnFreshCluster(t *testing.T) {
	c := natscluster.Launch(t, 3)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	queues := make([]*Queue, 4)
	for i := range errs {
		// Each process is given the nodes in another order.
		node := c.Nodes[i%len(c.Nodes)]
		nc := connectCluster(t, node.URL()+","+c.URL())
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			queues[i], errs[i] = NewQueue(ctx, nc, WithLogger(testLogger(t)))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("process %d: %v", i, err)
		}
	}
	q := queues[0]
	for _, s := range []string{DefaultStream, kvStream(DefaultJobsBucket), kvStream(DefaultLocksBucket), kvStream(DefaultDeployedBucket)} {
		if got := replicasOf(t, q.js, s); got != 3 {
			t.Errorf("%s: %d replicas, want 3", s, got)
		}
	}
}

// connectCluster connects to url (a list of nodes), waiting for one to
// listen: the processes of a fresh cluster may not yet.
func connectCluster(t testing.TB, url string) *nats.Conn {
	t.Helper()
	var nc *nats.Conn
	eventually(t, 30*time.Second, func() (bool, string) {
		var err error
		nc, err = connect(url, []ConnectOption{WithConnectLogger(testLogger(t))})
		return err == nil, fmt.Sprint(err)
	})
	t.Cleanup(nc.Close)
	return nc
}

func replicasOf(t testing.TB, js jetstream.JetStream, stream string) int {
	t.Helper()
	s, err := js.Stream(testCtx(t), stream)
	if err != nil {
		t.Fatalf("stream %s: %v", stream, err)
	}
	return s.CachedInfo().Config.Replicas
}
