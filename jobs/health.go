package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// healthTTL lets the key of a process that stopped checking go away.
const healthTTL = time.Hour

// CheckWrite writes this process's key (host:pid) in a health bucket of the
// queue's account, created on first use beside the job records: it
// succeeds only when JetStream can store a write now, which a connected
// client does not prove (a server out of file descriptors keeps its
// clients and fails its writes). It never touches the jobs stream. Callers
// that probe often, a readiness endpoint, should space their calls.
func (q *Queue) CheckWrite(ctx context.Context) error {
	kv, err := q.healthBucket(ctx)
	if err != nil {
		return err
	}
	if _, err := kv.Put(ctx, escapeKey(q.holder), []byte(time.Now().UTC().Format(time.RFC3339Nano))); err != nil {
		return fmt.Errorf("write to bucket %s: %w", q.healthBucketName(), err)
	}
	return nil
}

// healthBucketName follows the job records' bucket, so queues with buckets
// of their own ([WithBuckets]) check apart.
func (q *Queue) healthBucketName() string { return q.opts.jobsBucket + "-health" }

func (q *Queue) healthBucket(ctx context.Context) (jetstream.KeyValue, error) {
	q.healthMu.Lock()
	defer q.healthMu.Unlock()
	if q.health != nil {
		return q.health, nil
	}
	kv, err := q.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      q.healthBucketName(),
		Description: "shiftleft health checks: one key per process, written when asked whether JetStream takes writes",
		History:     1,
		TTL:         healthTTL,
		// On disk and replicated as the jobs stream is, like the buckets
		// whose writes it vouches for.
		Storage:  jetstream.FileStorage,
		Replicas: q.stream.CachedInfo().Config.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("create bucket %s: %w", q.healthBucketName(), err)
	}
	q.health = kv
	return kv, nil
}
