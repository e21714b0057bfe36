package jobs

import (
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
)

// Names and defaults of the wire contract, shared by every webhook and
// worker process on one NATS system.
const (
	// DefaultStream is the work-queue stream of job messages.
	DefaultStream = "SHIFTLEFT_JOBS"
	// DefaultSubjectPrefix: a job of kind k is published on <prefix>.<k>,
	// e.g. shiftleft.jobs.deploy.
	DefaultSubjectPrefix = "shiftleft.jobs"
	// DefaultConsumer is the durable pull consumer every worker shares.
	DefaultConsumer = "shiftleft-workers"
	// DefaultJobsBucket holds job records and the delivery-id index.
	DefaultJobsBucket = "shiftleft-jobs"
	// DefaultLocksBucket holds one lock per repo and environment.
	DefaultLocksBucket = "shiftleft-locks"
	// DefaultDeployedBucket holds the last deployed commit per repo and branch.
	DefaultDeployedBucket = "shiftleft-deployed"

	// DefaultAckWait: a worker that neither settles a job nor calls
	// InProgress for this long is presumed dead and the job is redelivered.
	DefaultAckWait = 2 * time.Minute
	// DefaultMaxDeliver: runs of a job before it is marked dead.
	DefaultMaxDeliver = 5
	// DefaultDuplicateWindow: how long JetStream remembers a message id (a
	// job id) against two publishes of one job racing, or a publish retried
	// after its answer was lost. GitHub never redelivers a failed delivery
	// by itself: redeliveries are an operator's, by hand or through its API
	// (for 3 days), and the KV index of delivery ids catches them whenever
	// they come.
	DefaultDuplicateWindow = 10 * time.Minute
	// DefaultMaxAckPending bounds the jobs in flight across every process
	// sharing the consumer. It is not the per-process limit: every process
	// sets the consumer, so a per-process value would cap all of them at
	// one process's concurrency.
	DefaultMaxAckPending = 1000
	// DefaultRetention: how long a job record is kept after its last change,
	// for listing and replay.
	DefaultRetention = 30 * 24 * time.Hour
)

// DefaultBackoff is the wait before each retry of a failed job: the first
// retry after 10 s, the second after a minute, then every 5 minutes.
func DefaultBackoff() []time.Duration {
	return []time.Duration{10 * time.Second, time.Minute, 5 * time.Minute}
}

// Option configures a [Queue]; a bad value makes [NewQueue] fail with an
// error wrapping [ErrInvalidOption].
type Option func(*options) error

type options struct {
	stream, subjectPrefix, consumer         string
	jobsBucket, locksBucket, deployedBucket string
	ackWait                                 time.Duration
	maxDeliver                              int
	backoff                                 []time.Duration
	maxAckPending                           int
	duplicates                              time.Duration
	retention                               time.Duration // 0: forever
	outcome                                 func(Job)
	replicas                                int // 0: the default, see WithReplicas
	logger                                  *zap.Logger
}

func newOptions(opts []Option) (*options, error) {
	o := &options{
		stream:         DefaultStream,
		subjectPrefix:  DefaultSubjectPrefix,
		consumer:       DefaultConsumer,
		jobsBucket:     DefaultJobsBucket,
		locksBucket:    DefaultLocksBucket,
		deployedBucket: DefaultDeployedBucket,
		ackWait:        DefaultAckWait,
		maxDeliver:     DefaultMaxDeliver,
		backoff:        DefaultBackoff(),
		duplicates:     DefaultDuplicateWindow,
		retention:      DefaultRetention,
		maxAckPending:  DefaultMaxAckPending,
		outcome:        func(Job) {},
		logger:         zap.NewNop(),
	}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// subjectRe: dot-separated tokens of name characters, no wildcards.
var subjectRe = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`)

// WithStream sets the stream name and the subject prefix its jobs are
// published under; two queues on one NATS system need both distinct.
func WithStream(name, subjectPrefix string) Option {
	return func(o *options) error {
		if !nameRe.MatchString(name) {
			return invalidOption("stream name %q", name)
		}
		if !subjectRe.MatchString(subjectPrefix) {
			return invalidOption("subject prefix %q: dot-separated tokens without wildcards", subjectPrefix)
		}
		o.stream, o.subjectPrefix = name, subjectPrefix
		return nil
	}
}

// WithConsumer sets the durable consumer's name.
func WithConsumer(name string) Option {
	return func(o *options) error {
		if !nameRe.MatchString(name) {
			return invalidOption("consumer name %q", name)
		}
		o.consumer = name
		return nil
	}
}

// WithBuckets sets the KV bucket names for job records, locks and deployed
// commits; they must differ.
func WithBuckets(jobs, locks, deployed string) Option {
	return func(o *options) error {
		for _, b := range []string{jobs, locks, deployed} {
			if !nameRe.MatchString(b) {
				return invalidOption("bucket name %q", b)
			}
		}
		if jobs == locks || jobs == deployed || locks == deployed {
			return invalidOption("bucket names %q, %q, %q must differ", jobs, locks, deployed)
		}
		o.jobsBucket, o.locksBucket, o.deployedBucket = jobs, locks, deployed
		return nil
	}
}

// WithAckWait sets how long a delivered job may go without being settled or
// marked in progress before it is redelivered (default [DefaultAckWait]).
// [Delivery.KeepAlive] marks it every third of that.
func WithAckWait(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return invalidOption("ack wait %s", d)
		}
		o.ackWait = d
		return nil
	}
}

// WithMaxDeliver sets how many times a job runs before it is marked dead
// (default [DefaultMaxDeliver]).
func WithMaxDeliver(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return invalidOption("max deliver %d", n)
		}
		o.maxDeliver = n
		return nil
	}
}

// WithBackoff sets the wait before each retry of a job whose handler failed:
// the nth retry waits delays[n-1], the last delay repeating (default
// [DefaultBackoff]).
func WithBackoff(delays ...time.Duration) Option {
	return func(o *options) error {
		if len(delays) == 0 {
			return invalidOption("backoff needs at least one delay")
		}
		for _, d := range delays {
			if d <= 0 {
				return invalidOption("backoff delay %s", d)
			}
		}
		o.backoff = slices.Clone(delays)
		return nil
	}
}

// WithMaxAckPending caps the jobs in flight across every worker sharing the
// consumer (default [DefaultMaxAckPending]). Each process already runs no
// more than its Consume concurrency: it fetches only for its free slots.
func WithMaxAckPending(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return invalidOption("max ack pending %d", n)
		}
		o.maxAckPending = n
		return nil
	}
}

// WithDuplicateWindow sets how long the stream remembers a message id
// (default [DefaultDuplicateWindow]).
func WithDuplicateWindow(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return invalidOption("duplicate window %s", d)
		}
		o.duplicates = d
		return nil
	}
}

// WithReplicas sets the replicas of the stream and of every bucket, and
// [NewQueue] updates existing ones to it (3 survives the loss of a server).
// By default it is 3 when the cluster has 3 or more JetStream servers, else
// 1, and never fewer than the stream has already: only this option scales
// a queue down. Give every process of one queue the same value.
func WithReplicas(n int) Option {
	return func(o *options) error {
		if n < 1 || n > 5 {
			return invalidOption("replicas %d: 1 to 5", n)
		}
		o.replicas = n
		return nil
	}
}

// WithRetention sets how long a job record (and the delivery id that led to
// it) is kept after its last change (default [DefaultRetention]); 0 keeps
// them forever. Locks and deployed commits are never affected.
func WithRetention(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 || (d > 0 && d < time.Second) {
			return invalidOption("retention %s: 0 (forever) or at least 1s", d)
		}
		o.retention = d
		return nil
	}
}

// WithOutcome calls fn with the job each time a delivery's outcome is
// recorded: finished (succeeded, failed, superseded, dead) or queued again
// for a retry. For metrics: fn runs on the consumer's goroutine, keep it
// quick.
func WithOutcome(fn func(Job)) Option {
	return func(o *options) error {
		if fn == nil {
			return invalidOption("nil outcome func")
		}
		o.outcome = fn
		return nil
	}
}

// WithLogger sets the logger (default: none).
func WithLogger(l *zap.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return invalidOption("nil logger")
		}
		o.logger = l
		return nil
	}
}

// ServerOption configures [StartEmbedded].
type ServerOption func(*serverOptions) error

type serverOptions struct {
	listen     string // host:port; "" for in-process only
	maxClients int    // 0: nats-server's default
	logger     *zap.Logger
}

func newServerOptions(opts []ServerOption) (*serverOptions, error) {
	o := &serverOptions{logger: zap.NewNop()}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// WithListen makes the embedded server accept TCP clients on addr
// (host:port; port 0 picks a free one, e.g. "127.0.0.1:0").
func WithListen(addr string) ServerOption {
	return func(o *serverOptions) error {
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			return invalidOption("listen address %q: %v", addr, err)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
			return invalidOption("listen address %q: bad port", addr)
		}
		o.listen = addr
		return nil
	}
}

// WithMaxClients bounds the clients the embedded server accepts at once
// (nats-server's default is 64K): each holds a descriptor of the process,
// which its JetStream store needs too.
func WithMaxClients(n int) ServerOption {
	return func(o *serverOptions) error {
		if n < 1 {
			return invalidOption("max clients %d", n)
		}
		o.maxClients = n
		return nil
	}
}

// WithServerLogger routes the embedded server's log to l (default: none).
func WithServerLogger(l *zap.Logger) ServerOption {
	return func(o *serverOptions) error {
		if l == nil {
			return invalidOption("nil logger")
		}
		o.logger = l
		return nil
	}
}

// ConnectOption configures [Connect] and [Server.Connect].
type ConnectOption func(*connectOptions) error

type connectOptions struct {
	name   string
	logger *zap.Logger
	nats   []nats.Option
}

// WithClientName names the connection as the server lists it
// (default "shiftleft").
func WithClientName(name string) ConnectOption {
	return func(o *connectOptions) error {
		if strings.TrimSpace(name) == "" {
			return invalidOption("empty client name")
		}
		o.name = name
		return nil
	}
}

// WithConnectLogger logs disconnections, reconnections and asynchronous
// errors to l (default: none).
func WithConnectLogger(l *zap.Logger) ConnectOption {
	return func(o *connectOptions) error {
		if l == nil {
			return invalidOption("nil logger")
		}
		o.logger = l
		return nil
	}
}

// WithNATSOptions passes options to nats.Connect after shiftleft's own, for
// what an external cluster needs: credentials, TLS, timeouts.
func WithNATSOptions(opts ...nats.Option) ConnectOption {
	return func(o *connectOptions) error {
		o.nats = append(o.nats, opts...)
		return nil
	}
}
