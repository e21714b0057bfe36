package main

import (
	"fmt"

	"github.com/shiftleft/shiftleft/webhook"
)

// The process's file descriptors are shared by the HTTP servers' clients,
// the embedded NATS server's clients and everything else: JetStream's store
// above all (a descriptor per open message block of each stream and bucket,
// its directory and lock files), git mirrors, connections to GitHub and
// Confluent, the emulator's state. A flood of HTTP clients must never take
// the store's: JetStream then fails its writes ("too many open files") and
// every deploy waiting on a lock hangs. So the bounds on clients are taken
// from the open-file limit at start, leaving storeReserve for the rest, and
// a limit too low for them is an error before anything starts.
const (
	// storeReserve is kept for everything but the servers' clients. A
	// `shiftleft serve` deploying shift_left's 39-table sample, then taking
	// 1,000 pushes from 8 clients into a store of 1,001 jobs, held at most
	// 31 descriptors, its webhook clients' included (JetStream closes idle
	// message blocks): more than tenfold room.
	storeReserve = 512
	// maxNATSClients bounds the clients of an embedded NATS server that
	// listens: worker processes and `shiftleft jobs` calls, a handful each.
	maxNATSClients = 1024
	// minConnections is the least an HTTP server can serve with.
	minConnections = 64
)

// descriptorPlan is how the open-file limit is shared out.
type descriptorPlan struct {
	limit uint64 // 0: unknown
	// conns bounds each HTTP server's connections; natsClients the embedded
	// NATS server's clients (0: nats-server's default, for a server that
	// does not listen).
	conns, natsClients int
}

// planDescriptors shares limit (0: unknown) among servers HTTP servers, each
// with conns connections (0: as many as fit, up to the default), and the
// clients of an embedded NATS server when it listens.
func planDescriptors(limit uint64, servers int, natsListens bool, conns int) (descriptorPlan, error) {
	p := descriptorPlan{limit: limit, conns: conns}
	if p.conns == 0 {
		p.conns = webhook.DefaultMaxConnections
	}
	if limit == 0 {
		if natsListens {
			p.natsClients = maxNATSClients
		}
		return p, nil
	}
	avail := int(min(limit, 1<<30)) - storeReserve
	if natsListens {
		p.natsClients = max(minConnections, min(maxNATSClients, avail/8))
		avail -= p.natsClients
	}
	if servers == 0 {
		return p, p.check(0)
	}
	if conns == 0 {
		// The largest n with webhook.Descriptors(n) <= avail/servers, and
		// at least what a server needs: a limit lower fails the check.
		p.conns = max(minConnections, min(webhook.DefaultMaxConnections, avail/servers-webhook.Descriptors(0)))
	}
	return p, p.check(servers)
}

// check fails when the plan for n HTTP servers does not fit the limit.
func (p descriptorPlan) check(n int) error {
	need := n*webhook.Descriptors(p.conns) + p.natsClients + storeReserve
	if uint64(need) <= p.limit {
		return nil
	}
	return fmt.Errorf("the open-file limit (ulimit -n) is %d, and this process needs %d descriptors: %d for %d HTTP server(s) of %d connections, %d for NATS clients, %d for its store, git and outbound connections; raise the limit or lower --max-connections",
		p.limit, need, n*webhook.Descriptors(p.conns), n, p.conns, p.natsClients, storeReserve)
}
