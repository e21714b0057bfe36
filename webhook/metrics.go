package webhook

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shiftleft/shiftleft/confluent"
)

// Metrics are the service's job metrics, defined here so that the webhook and
// the worker register them on one registry, under one naming scheme. The
// worker updates them; the webhook counts its deliveries apart (see
// /metrics: shiftleft_webhooks_total).
type Metrics struct {
	// Jobs counts job outcomes by kind (deploy, plan) and result
	// (succeeded, failed, superseded, dead, or retry when a run failed and
	// the job went back to the queue).
	Jobs *prometheus.CounterVec
	// JobDuration observes how long a job ran, by kind, in seconds.
	JobDuration *prometheus.HistogramVec
	// StatementsDeployed counts Flink statements a deploy created.
	StatementsDeployed prometheus.Counter
	// Confluent counts the Confluent API calls of the clients given it
	// (confluent.WithMetrics) by HTTP status, 429s included.
	Confluent *confluent.Metrics
}

// NewMetrics registers the job metrics on reg. Calling it again on the same
// registry returns the metrics already there, so components of one process
// can each ask for them.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	return &Metrics{
		Jobs: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shiftleft_jobs_total",
			Help: "Job outcomes by kind and result (succeeded, failed, superseded, dead, retry).",
		}, []string{"kind", "result"})),
		JobDuration: register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "shiftleft_job_duration_seconds",
			Help: "How long jobs ran, by kind.",
			// A plan takes seconds; a deploy waits for statements to run,
			// up to an hour or so.
			Buckets: prometheus.ExponentialBuckets(0.5, 2, 14),
		}, []string{"kind"})),
		StatementsDeployed: register(reg, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shiftleft_statements_deployed_total",
			Help: "Flink statements created by deploys.",
		})),
		Confluent: register(reg, confluent.NewMetrics()),
	}
}

// Transport counts the statements the Confluent API calls made through
// next created (a POST to a statements collection answered 2xx).
func (m *Metrics) Transport(next http.RoundTripper) http.RoundTripper {
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		res, err := next.RoundTrip(req)
		if err != nil {
			return res, err
		}
		if req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/statements") && res.StatusCode/100 == 2 {
			m.StatementsDeployed.Inc()
		}
		return res, nil
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// RegisterQueueDepth exports the number of jobs in the queue, asked of
// depth at each scrape; a failed or slow answer reports -1.
func RegisterQueueDepth(reg prometheus.Registerer, depth func(context.Context) (int, error)) {
	register(reg, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "shiftleft_queue_depth",
		Help: "Jobs in the queue: waiting, running or waiting for a retry; -1 when the queue does not answer.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := depth(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	}))
}

// newWebhookCounter counts deliveries by event and outcome. The event label
// only takes the events the handler acts on, and "other": the header is
// read before the signature is checked, so its raw value could grow the
// series without bound.
func newWebhookCounter(reg prometheus.Registerer) *prometheus.CounterVec {
	return register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "shiftleft_webhooks_total",
		Help: "GitHub webhook deliveries by event and outcome.",
	}, []string{"event", "outcome"}))
}

// register adds c to reg or returns the collector already registered in its
// place. Any other failure (same name, other labels) is a programming error,
// and panics as prometheus.MustRegister does.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	err := reg.Register(c)
	if err == nil {
		return c
	}
	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) {
		if existing, ok := already.ExistingCollector.(C); ok {
			return existing
		}
	}
	panic(err)
}
