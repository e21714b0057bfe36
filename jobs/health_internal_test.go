package jobs

import (
	"testing"

	"github.com/nats-io/nats.go"
)

// TestCheckWrite: the check writes to its own bucket, never the jobs
// stream, and fails while the client is still connected to a server that
// cannot store anything.
func TestCheckWrite(t *testing.T) {
	srv := startServer(t)
	nc := connectTo(t, srv)
	q := newQueue(t, nc, fast(t)...)
	ctx := testCtx(t)
	for range 2 {
		if err := q.CheckWrite(ctx); err != nil {
			t.Fatalf("CheckWrite on a healthy server: %v", err)
		}
	}
	e, err := q.health.Get(ctx, escapeKey(q.holder))
	if err != nil || e.Revision() != 2 {
		t.Errorf("the health key: %v, %v; want this process's key at revision 2", e, err)
	}
	if n, err := q.Pending(ctx); err != nil || n != 0 {
		t.Errorf("jobs stream holds %d messages (%v); the check must not publish jobs", n, err)
	}

	if err := srv.ns.DisableJetStream(); err != nil {
		t.Fatal(err)
	}
	if nc.Status() != nats.CONNECTED {
		t.Fatalf("the client is %s; the test needs it connected", nc.Status())
	}
	if err := q.CheckWrite(ctx); err == nil {
		t.Error("CheckWrite succeeded with JetStream off")
	}
}

func TestMaxClients(t *testing.T) {
	srv := startServer(t, WithListen("127.0.0.1:0"), WithMaxClients(1))
	first, err := Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(first.Close)
	if second, err := nats.Connect(srv.ClientURL(), nats.NoReconnect()); err == nil {
		second.Close()
		t.Error("a second client was accepted beyond WithMaxClients(1)")
	}
}
