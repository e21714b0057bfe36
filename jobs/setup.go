package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/internal/backoff"
)

// Setting the queue up (stream, buckets, consumer) meets a cluster that may
// still be electing leaders: several processes started with a fresh cluster
// ask before it can answer. Each call is retried while JetStream is
// unavailable, until the caller's context ends.
const (
	// setupAttempt bounds one call: a request to a group that lost its
	// leader gets no answer at all, and the caller's context may allow
	// minutes of retries.
	setupAttempt = 2 * time.Second
	// setupTimeout bounds the retries when the caller's context has no
	// deadline, as jetstream bounds a call without one.
	setupTimeout = time.Minute
	// The wait between attempts grows from setupRetryMin to setupRetryMax.
	setupRetryMin = 100 * time.Millisecond
	setupRetryMax = 2 * time.Second
)

// jsErrCodeNoPeers: "no suitable peers for placement", while the servers of
// a fresh cluster are still joining.
const jsErrCodeNoPeers jetstream.ErrorCode = 10005

// unavailable reports an error JetStream gives while it cannot serve a
// request yet (no leader, too few servers, no JetStream answering, a
// connection being re-established), rather than one a retry cannot fix (a
// bad configuration, a name taken).
func unavailable(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return apiErr.Code == http.StatusServiceUnavailable || apiErr.Code == http.StatusRequestTimeout ||
			apiErr.ErrorCode == jsErrCodeNoPeers
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse) ||
		errors.Is(err, nats.ErrConnectionReconnecting) || errors.Is(err, nats.ErrDisconnected)
}

// setupContext is ctx, bounded by setupTimeout when it has no deadline:
// one bound for all the steps of a setup.
func setupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, setupTimeout)
}

// retry calls fn, each call bounded by setupAttempt, until it succeeds,
// fails with an error a retry cannot fix, or ctx ends: then the last error
// is returned. The first failure is logged, and the success after it.
func retry(ctx context.Context, log *zap.Logger, step string, fn func(context.Context) error) error {
	start := time.Now()
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, setupAttempt)
		err := fn(actx)
		cancel()
		if err == nil {
			if attempt > 1 {
				log.Info("JetStream answered", zap.String("step", step), zap.Int("attempts", attempt),
					zap.Duration("after", time.Since(start)))
			}
			return nil
		}
		if !unavailable(err) || ctx.Err() != nil {
			return err
		}
		if attempt == 1 {
			log.Warn("JetStream unavailable; retrying", zap.String("step", step), zap.Error(err))
		}
		if backoff.Sleep(ctx, backoff.Jitter(setupRetryMin, setupRetryMax, attempt)) != nil {
			return err
		}
	}
}

// clusterReplicas is the default number of replicas: 3, once the cluster
// has that many JetStream servers to hold them.
const clusterReplicas = 3

// serversWait bounds how long jetStreamServers waits for the servers of a
// cluster to answer (it stops as soon as enough have); serversPing spaces
// its pings, for a server whose route is still being set up.
const (
	serversWait = 2 * time.Second
	serversPing = 200 * time.Millisecond
)

// jetStreamServers counts the JetStream servers of the cluster nc is
// connected to, up to enough: every server answers an account's STATZ ping
// (an import every account has) with its own description.
func jetStreamServers(ctx context.Context, nc *nats.Conn, enough int) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, serversWait)
	defer cancel()
	replies := make(chan *nats.Msg, 64)
	sub, err := nc.ChanSubscribe(nc.NewRespInbox(), replies)
	if err != nil {
		return 0, err
	}
	defer func() { _ = sub.Unsubscribe() }()
	req, err := json.Marshal(struct {
		Cluster       string `json:"cluster"`
		ExactMatch    bool   `json:"exact_match"`
		IncludeUnused bool   `json:"include_unused"`
	}{nc.ConnectedClusterName(), true, true})
	if err != nil {
		return 0, err
	}
	ping := time.NewTicker(serversPing)
	defer ping.Stop()
	seen := map[string]bool{}
	for len(seen) < enough {
		if err := nc.PublishRequest("$SYS.REQ.ACCOUNT.PING.STATZ", sub.Subject, req); err != nil {
			return 0, err
		}
	answers:
		for len(seen) < enough {
			select {
			case <-ctx.Done():
				return len(seen), nil
			case <-ping.C:
				break answers
			case m := <-replies:
				var res struct {
					Server struct {
						ID        string `json:"id"`
						JetStream bool   `json:"jetstream"`
					} `json:"server"`
				}
				if json.Unmarshal(m.Data, &res) == nil && res.Server.JetStream {
					seen[res.Server.ID] = true
				}
			}
		}
	}
	return len(seen), nil
}

// clusterDefault is the replicas [WithReplicas] defaults to on the server
// or cluster nc is connected to: [clusterReplicas] on a cluster with that
// many JetStream servers, else 1. A server in no cluster is alone, without
// asking.
func (q *Queue) clusterDefault(ctx context.Context, nc *nats.Conn) (int, error) {
	cluster := nc.ConnectedClusterName()
	if cluster == "" {
		return 1, nil
	}
	// Once JetStream answers, the meta group has a leader: a fresh cluster
	// has routed most of its servers, and the ping reaches them.
	if err := retry(ctx, q.log, "JetStream", func(ctx context.Context) error {
		_, err := q.js.AccountInfo(ctx)
		return err
	}); err != nil {
		return 0, err
	}
	servers, err := jetStreamServers(ctx, nc, clusterReplicas)
	if err != nil {
		return 0, fmt.Errorf("count the JetStream servers of cluster %s: %w", cluster, err)
	}
	n := 1
	if servers >= clusterReplicas {
		n = clusterReplicas
	}
	if servers == 0 {
		// Permissions that forbid the ping, or servers without events.
		q.log.Warn("no server of the cluster answered the count of its JetStream servers; set the replicas",
			zap.String("cluster", cluster))
	}
	q.log.Info("jobs queue replicas by default", zap.String("cluster", cluster), zap.Int("jetstream_servers", servers),
		zap.Int("replicas", n))
	return n, nil
}

// replicasFor is the replicas to give stream (the jobs stream, or a
// bucket's): the option's, else the default, but never fewer than the
// stream has already. A process that started as the cluster was forming may
// have counted fewer servers; only an explicit setting scales down.
func (q *Queue) replicasFor(ctx context.Context, stream string, byDefault int) (int, error) {
	if q.opts.replicas > 0 {
		return q.opts.replicas, nil
	}
	s, err := q.js.Stream(ctx, stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return byDefault, nil
	}
	if err != nil {
		return 0, err
	}
	return max(byDefault, s.CachedInfo().Config.Replicas), nil
}
