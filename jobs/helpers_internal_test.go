package jobs

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// testLogger records every line; a failed test prints them, and so does
// every test with JOBS_TEST_LOGS=1.
func testLogger(t testing.TB) *zap.Logger {
	t.Helper()
	log, _ := observedLogger(t)
	return log
}

// observedLogger is testLogger with its lines at hand, for a test that
// counts them.
func observedLogger(t testing.TB) (*zap.Logger, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	t.Cleanup(func() {
		if !t.Failed() && os.Getenv("JOBS_TEST_LOGS") == "" {
			return
		}
		for _, e := range logs.All() {
			var fields []string
			for k, v := range e.ContextMap() {
				fields = append(fields, fmt.Sprintf("%s=%v", k, v))
			}
			t.Logf("%s %s %s %s", e.Time.Format("15:04:05.000"), e.Level, e.Message, strings.Join(fields, " "))
		}
	})
	return zap.New(core), logs
}

// startServer starts an embedded server in a fresh directory, shut down at
// the end of the test.
func startServer(t testing.TB, opts ...ServerOption) *Server {
	t.Helper()
	return startServerIn(t, t.TempDir(), opts...)
}

func startServerIn(t testing.TB, dir string, opts ...ServerOption) *Server {
	t.Helper()
	srv, err := StartEmbedded(dir, opts...)
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	t.Cleanup(srv.Shutdown)
	return srv
}

// connectTo opens a connection closed at the end of the test.
func connectTo(t testing.TB, srv *Server) *nats.Conn {
	t.Helper()
	nc, err := srv.Connect(WithConnectLogger(testLogger(t)))
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// fast makes retries and redeliveries quick enough for tests.
func fast(t testing.TB) []Option {
	return []Option{WithAckWait(time.Second), WithBackoff(50 * time.Millisecond), WithMaxDeliver(3), WithLogger(testLogger(t))}
}

func newQueue(t testing.TB, nc *nats.Conn, opts ...Option) *Queue {
	t.Helper()
	q, err := NewQueue(testCtx(t), nc, opts...)
	if err != nil {
		t.Fatalf("NewQueue: %v", err)
	}
	return q
}

// newTestQueue is a queue with fast retries on a server of its own.
func newTestQueue(t testing.TB, opts ...Option) (*Queue, *Server) {
	t.Helper()
	srv := startServer(t)
	return newQueue(t, connectTo(t, srv), append(fast(t), opts...)...), srv
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func publish(t testing.TB, q *Queue, job *Job) *Job {
	t.Helper()
	if err := q.Publish(testCtx(t), job); err != nil {
		t.Fatalf("Publish(%s): %v", job.DeliveryID, err)
	}
	return job
}

// consume runs handler until the end of the test.
func consume(t testing.TB, q *Queue, handler Handler, concurrency int) *Consumer {
	t.Helper()
	c, err := q.Consume(testCtx(t), handler, concurrency)
	if err != nil {
		t.Fatalf("Consume: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c.Stop(ctx)
	})
	return c
}

// eventually polls cond until it holds or the deadline passes; cond says
// what it saw, for the failure message.
func eventually(t testing.TB, within time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, saw := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, saw)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitStatus waits until job id has the status and returns its record.
func waitStatus(t testing.TB, q *Queue, id string, want Status) *Job {
	t.Helper()
	var job *Job
	ctx := testCtx(t)
	eventually(t, 15*time.Second, func() (bool, string) {
		var err error
		job, err = q.Get(ctx, id)
		if err != nil {
			return false, err.Error()
		}
		return job.Status == want, fmt.Sprintf("job %s is %s (attempts %d, error %q), want %s", id, job.Status, job.Attempts, job.Error, want)
	})
	return job
}

func waitPending(t testing.TB, q *Queue, want int) {
	t.Helper()
	ctx := testCtx(t)
	eventually(t, 15*time.Second, func() (bool, string) {
		n, err := q.Pending(ctx)
		if err != nil {
			return false, err.Error()
		}
		return n == want, fmt.Sprintf("%d pending, want %d", n, want)
	})
}

// signal is a channel closed once.
type signal struct {
	ch   chan struct{}
	done atomic.Bool
}

func newSignal() *signal { return &signal{ch: make(chan struct{})} }

func (s *signal) fire() {
	if s.done.CompareAndSwap(false, true) {
		close(s.ch)
	}
}

func (s *signal) wait(t testing.TB, what string) {
	t.Helper()
	select {
	case <-s.ch:
	case <-time.After(15 * time.Second):
		t.Fatalf("no %s within 15s", what)
	}
}
