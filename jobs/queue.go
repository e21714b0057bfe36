package jobs

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// limitMarkerTTL keeps the marker JetStream leaves when a lock's TTL removes
// it; per-key TTLs need it set on the bucket.
const limitMarkerTTL = time.Minute

// deployedHistory keeps the previous deployed commits of a branch, for an
// operator looking at `nats kv history`.
const deployedHistory = 10

// Queue is the job queue on JetStream: a work-queue stream of job messages,
// a durable consumer shared by every worker, and KV buckets for job records,
// locks and deployed commits. It is safe for concurrent use; the connection
// stays the caller's to close.
type Queue struct {
	opts     *options
	js       jetstream.JetStream
	stream   jetstream.Stream
	records  jetstream.KeyValue
	locks    jetstream.KeyValue
	deployed jetstream.KeyValue
	log      *zap.Logger
	holder   string // this process, as lock values name it

	healthMu sync.Mutex
	health   jetstream.KeyValue // created by the first CheckWrite
}

// NewQueue creates (or updates to this configuration) the stream and the KV
// buckets, so every process can start first. While JetStream cannot answer
// yet (a fresh cluster electing its leaders) it retries until ctx ends, or
// for a minute when ctx has no deadline.
func NewQueue(ctx context.Context, nc *nats.Conn, opts ...Option) (*Queue, error) {
	return openQueue(ctx, nc, opts, true)
}

// OpenQueue opens the stream and the KV buckets a service created, leaving
// their configuration as the service set it: for tools that read jobs or
// replay them, such as `shiftleft jobs`. It fails when they do not exist.
func OpenQueue(ctx context.Context, nc *nats.Conn, opts ...Option) (*Queue, error) {
	return openQueue(ctx, nc, opts, false)
}

func openQueue(ctx context.Context, nc *nats.Conn, opts []Option, create bool) (*Queue, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	if nc == nil {
		return nil, invalidArgument("nil NATS connection")
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	q := &Queue{opts: o, js: js, log: o.logger, holder: processName()}
	ctx, cancel := setupContext(ctx)
	defer cancel()
	verb, byDefault := "open", 0
	if create {
		verb = "create"
		if o.replicas == 0 {
			if byDefault, err = q.clusterDefault(ctx, nc); err != nil {
				return nil, fmt.Errorf("replicas of stream %s: %w", o.stream, err)
			}
		}
	}
	streamCfg := jetstream.StreamConfig{
		Name:        o.stream,
		Description: "shiftleft jobs: a message per queued job, removed once acknowledged",
		Subjects:    []string{o.subjectPrefix + ".*"},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Duplicates:  o.duplicates,
	}
	if err := retry(ctx, q.log, "stream "+o.stream, func(ctx context.Context) (err error) {
		if !create {
			q.stream, err = js.Stream(ctx, o.stream)
			return err
		}
		if streamCfg.Replicas, err = q.replicasFor(ctx, o.stream, byDefault); err != nil {
			return err
		}
		q.stream, err = js.CreateOrUpdateStream(ctx, streamCfg)
		return err
	}); err != nil {
		return nil, fmt.Errorf("%s stream %s: %w", verb, o.stream, err)
	}
	for _, b := range []struct {
		kv  *jetstream.KeyValue
		cfg jetstream.KeyValueConfig
	}{
		{&q.records, jetstream.KeyValueConfig{Bucket: o.jobsBucket, History: 1, TTL: o.retention,
			Description: "shiftleft job records (job.<id>) and delivery ids (delivery.<id>)"}},
		{&q.locks, jetstream.KeyValueConfig{Bucket: o.locksBucket, History: 1, LimitMarkerTTL: limitMarkerTTL,
			Description: "shiftleft locks, one per repo and environment, each with its TTL"}},
		{&q.deployed, jetstream.KeyValueConfig{Bucket: o.deployedBucket, History: deployedHistory,
			Description: "shiftleft last deployed commit per repo and branch"}},
	} {
		// Every bucket is replicated as the stream is: a job's record, its
		// lock and the deployed commit matter as much as its message.
		b.cfg.Storage = jetstream.FileStorage
		if err := retry(ctx, q.log, "bucket "+b.cfg.Bucket, func(ctx context.Context) (err error) {
			if !create {
				*b.kv, err = js.KeyValue(ctx, b.cfg.Bucket)
				return err
			}
			if b.cfg.Replicas, err = q.replicasFor(ctx, kvStream(b.cfg.Bucket), byDefault); err != nil {
				return err
			}
			*b.kv, err = js.CreateOrUpdateKeyValue(ctx, b.cfg)
			return err
		}); err != nil {
			return nil, fmt.Errorf("%s bucket %s: %w", verb, b.cfg.Bucket, err)
		}
	}
	return q, nil
}

// Pending counts the jobs in the stream: waiting, running, or waiting for a
// retry. A work queue drops a job once it is acknowledged, so this is the
// queue depth to export as a metric.
func (q *Queue) Pending(ctx context.Context) (int, error) {
	info, err := q.stream.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("stream %s info: %w", q.opts.stream, err)
	}
	return int(info.State.Msgs), nil
}

func (q *Queue) subject(k Kind) string { return q.opts.subjectPrefix + "." + string(k) }

// kvStream is the stream that holds a KV bucket.
func kvStream(bucket string) string { return "KV_" + bucket }

// processName identifies this process in lock values, for an operator
// wondering who holds a lock.
func processName() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown-host"
	}
	return host + ":" + strconv.Itoa(os.Getpid())
}
