package reconcile

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// ErrInvalidOption: an option was given a value it cannot take.
var ErrInvalidOption = errors.New("reconcile: invalid option")

// Defaults of the options below.
const (
	DefaultInterval  = 3 * time.Minute
	DefaultLeaseTTL  = 30 * time.Second
	DefaultHealLimit = 3
	// HealWindow is how far back heals of a table are counted against the
	// heal limit.
	HealWindow = time.Hour
)

type options struct {
	interval, leaseTTL time.Duration
	selfHeal, prune    bool
	healLimit          int
	log                *zap.Logger
	registry           prometheus.Registerer
}

// Option configures a [Reconciler].
type Option func(*options) error

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidOption, fmt.Sprintf(format, args...))
}

// WithInterval spaces the passes (default [DefaultInterval]); at least a
// tenth of a second.
func WithInterval(d time.Duration) Option {
	return func(o *options) error {
		if d < 100*time.Millisecond {
			return invalid("interval %s: at least 100ms", d)
		}
		o.interval = d
		return nil
	}
}

// WithLeaseTTL is how long the lease outlives its holder (default
// [DefaultLeaseTTL]): a reconciler that dies is replaced within about
// that. Whole seconds, at least one.
func WithLeaseTTL(d time.Duration) Option {
	return func(o *options) error {
		if d < time.Second || d%time.Second != 0 {
			return invalid("lease TTL %s: whole seconds, at least one", d)
		}
		o.leaseTTL = d
		return nil
	}
}

// WithSelfHeal redeploys drifted tables through deploy jobs; prune lets
// it delete orphaned statements too.
func WithSelfHeal(on, prune bool) Option {
	return func(o *options) error {
		o.selfHeal, o.prune = on, prune
		return nil
	}
}

// WithHealLimit is how many times in [HealWindow] a table is healed before
// it is reported and left alone (default [DefaultHealLimit]).
func WithHealLimit(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return invalid("heal limit %d: at least 1", n)
		}
		o.healLimit = n
		return nil
	}
}

// WithLogger logs the passes, the jobs queued and each change of a table's
// state (default: none).
func WithLogger(l *zap.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return invalid("nil logger")
		}
		o.log = l
		return nil
	}
}

// WithRegistry registers shiftleft_drift_tables and the reconciler's
// counters there (default: not registered).
func WithRegistry(r prometheus.Registerer) Option {
	return func(o *options) error {
		if r == nil {
			return invalid("nil registry")
		}
		o.registry = r
		return nil
	}
}
