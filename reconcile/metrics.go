package reconcile

import "github.com/prometheus/client_golang/prometheus"

// metrics are the reconciler's. Only the process holding the lease sets
// the drift gauge; it resets it when it loses the lease, so the processes'
// series never double a table.
type metrics struct {
	drift  *prometheus.GaugeVec
	passes prometheus.Counter
	queued *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		drift: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "shiftleft_drift_tables",
			Help: "Tables of each repository and environment by drift state (in-sync, missing, failed, ...), as the last reconcile pass saw them."},
			[]string{"repo", "environment", "state"}),
		passes: prometheus.NewCounter(prometheus.CounterOpts{Name: "shiftleft_reconcile_passes_total",
			Help: "Reconcile passes run by this process (while it holds the reconciler lease)."}),
		queued: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "shiftleft_reconcile_jobs_total",
			Help: "Jobs the reconciler queued, by source: reconciler (an undeployed tip) or self-heal."}, []string{"source"}),
	}
	if reg != nil {
		reg.MustRegister(m.drift, m.passes, m.queued)
	}
	return m
}
