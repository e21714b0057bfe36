package confluent

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics count the API calls of the clients given them ([WithMetrics]):
// one per attempt, retries included, by HTTP status ("error" when no
// answer came). The calls per second are its rate; the 429s, status 429.
// Metrics is a [prometheus.Collector]: register it where it is served.
type Metrics struct {
	calls *prometheus.CounterVec
}

// NewMetrics returns counters that no registry holds yet.
func NewMetrics() *Metrics {
	return &Metrics{calls: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "shiftleft_confluent_api_calls_total",
		Help: "Confluent API calls (every attempt) by HTTP status, or error when none came back; 429 is the rate limit.",
	}, []string{"status"})}
}

// Describe implements [prometheus.Collector].
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) { m.calls.Describe(ch) }

// Collect implements [prometheus.Collector].
func (m *Metrics) Collect(ch chan<- prometheus.Metric) { m.calls.Collect(ch) }

func (m *Metrics) observe(res *response, err error) {
	if m == nil {
		return
	}
	status := "error"
	if err == nil {
		status = strconv.Itoa(res.status)
	}
	m.calls.WithLabelValues(status).Inc()
}

// WithMetrics counts the client's calls in m; several clients may share it.
func WithMetrics(m *Metrics) Option {
	return func(o *options) error {
		if m == nil {
			return invalid("nil metrics")
		}
		o.metrics = m
		return nil
	}
}
