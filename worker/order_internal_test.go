package worker

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/shiftleft/shiftleft/jobs"
)

// restartable is an embedded NATS server on a TCP port, which a test
// stops and starts again on the same store and port, as JetStream goes
// away and comes back for a client.
type restartable struct {
	t         *testing.T
	dir, addr string
	srv       *jobs.Server
}

func startRestartable(t *testing.T) *restartable {
	t.Helper()
	r := &restartable{t: t, dir: t.TempDir(), addr: "127.0.0.1:0"}
	r.start()
	r.addr = r.srv.ClientURL()[len("nats://"):]
	t.Cleanup(func() {
		if r.srv != nil {
			r.srv.Shutdown()
		}
	})
	return r
}

func (r *restartable) start() {
	r.t.Helper()
	srv, err := jobs.StartEmbedded(r.dir, jobs.WithListen(r.addr))
	if err != nil {
		r.t.Fatal(err)
	}
	r.srv = srv
}

func (r *restartable) stop() {
	r.srv.Shutdown()
	r.srv = nil
}

// TestKeepLock: refreshes that fail for a while (JetStream away) do not
// stop the job; a lock lost, or not refreshed within its TTL, does.
func TestKeepLock(t *testing.T) {
	const ttl = 8 * time.Second // refreshed every 2.7 s, each try 0.8 s at most, given up after 7.2 s
	tests := []struct {
		name string
		// meanwhile does something to the lock or the server while it is
		// kept, and waits until it had its effect.
		meanwhile func(t *testing.T, srv *restartable, lock *jobs.Lock, logs *observer.ObservedLogs)
		wantLine  string // the line that says why the job stops
	}{
		{
			name: "refreshes fail for a while",
			meanwhile: func(t *testing.T, srv *restartable, _ *jobs.Lock, logs *observer.ObservedLogs) {
				srv.stop()
				waitLine(t, logs, "lock refresh failed; retrying within its TTL")
				srv.start()
				waitLine(t, logs, "lock refreshed again")
			},
		},
		{
			name: "lock lost",
			meanwhile: func(t *testing.T, _ *restartable, lock *jobs.Lock, _ *observer.ObservedLogs) {
				// Released behind the holder's back, as when it expired.
				if err := lock.Release(context.Background()); err != nil {
					t.Fatal(err)
				}
			},
			wantLine: "lock lost; stopping",
		},
		{
			name: "JetStream away longer than the TTL",
			meanwhile: func(t *testing.T, srv *restartable, _ *jobs.Lock, _ *observer.ObservedLogs) {
				srv.stop()
			},
			wantLine: "lock not refreshed within its TTL; stopping, as another worker may take it",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startRestartable(t)
			nc, err := jobs.Connect("nats://" + srv.addr)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(nc.Close)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			q, err := jobs.NewQueue(ctx, nc)
			if err != nil {
				t.Fatal(err)
			}
			lock, err := q.Lock(ctx, "acme/flink@env", ttl)
			if err != nil {
				t.Fatal(err)
			}
			core, logs := observer.New(zap.InfoLevel)
			w := &Worker{cfg: Config{LockTTL: ttl}.withDefaults()}
			kept := time.Now()
			jobCtx, stop := w.keepLock(ctx, lock, zap.New(core))
			defer stop()

			tt.meanwhile(t, srv, lock, logs)
			if tt.wantLine == "" {
				// Kept through the outage, and past the TTL of the refresh
				// before it.
				select {
				case <-jobCtx.Done():
					t.Fatalf("the job was cancelled: %v", logs.All())
				case <-time.After(time.Until(kept.Add(ttl))):
				}
				if n := logs.FilterMessage("lock refreshed again").Len(); n != 1 {
					t.Errorf("%d recoveries logged, want 1", n)
				}
				return
			}
			select {
			case <-jobCtx.Done():
			case <-time.After(2 * ttl):
				t.Fatalf("the job still runs %s later: %v", 2*ttl, logs.All())
			}
			if n := logs.FilterMessage(tt.wantLine).Len(); n != 1 {
				t.Errorf("%q logged %d times, want once: %v", tt.wantLine, n, logs.All())
			}
		})
	}
}

func waitLine(t *testing.T, logs *observer.ObservedLogs, msg string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); logs.FilterMessage(msg).Len() == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in 30 s: %v", msg, logs.All())
		}
	}
}
