package deployments

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/internal/backoff"
)

// DefaultPendingTimeout is how long a statement may stay PENDING before its
// step fails; Confluent's own tooling calls 10 to 30 minutes stuck.
const DefaultPendingTimeout = 10 * time.Minute

// ErrPendingTimeout: a statement stayed PENDING longer than the pending
// timeout ([WithPendingTimeout]), usually because its compute pool has no
// CFU left; the error names the statement, its pool and Confluent's detail.
var ErrPendingTimeout = errors.New("statement still PENDING")

// pendingReport is how often a PENDING statement's detail is looked at and
// logged while it waits, at most.
const pendingReport = 30 * time.Second

// WithPendingTimeout bounds how long a statement may stay PENDING (a full
// compute pool keeps it there); default [DefaultPendingTimeout]. While it
// waits, Confluent's detail is logged as a warning; after d the step fails
// with [ErrPendingTimeout].
func WithPendingTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return invalid("pending timeout %s: want > 0", d)
		}
		o.pendingTimeout = d
		return nil
	}
}

// waitPhase waits for the statement to reach one of want, as
// WaitForPhase does, in slices: between two, a statement seen PENDING is
// reported with its detail, and one PENDING since the pending timeout
// fails the wait. It reads the statement first when the run's earlier
// waits say it is likely there (waitEstimates), and keeps what it found
// (seen).
func (ar *actionRun) waitPhase(ctx context.Context, name string, want ...confluent.Phase) (*confluent.Statement, error) {
	limit := ar.r.opts.pendingTimeout
	start := time.Now()
	since := start // when the statement was last seen other than PENDING
	if err := backoff.Sleep(ctx, ar.r.waits.first(want)); err != nil {
		return nil, err
	}
	for {
		slice := min(limit, pendingReport)
		wctx, cancel := context.WithTimeout(ctx, slice)
		st, err := ar.r.client.WaitForPhase(wctx, name, want...)
		sliceEnded := errors.Is(wctx.Err(), context.DeadlineExceeded)
		cancel()
		if err == nil {
			ar.r.waits.observe(want, time.Since(start))
			ar.saw(st)
		}
		if err == nil || ctx.Err() != nil || !sliceEnded {
			return st, err
		}
		st, err = ar.r.client.GetStatement(ctx, name)
		switch {
		case confluent.Retryable(err):
			continue // the next slice reads it again
		case err != nil:
			return nil, err
		case phaseOf(st) != confluent.PhasePending:
			since = time.Now()
			continue
		}
		pool, detail := st.Spec.ComputePoolID, ""
		if st.Status != nil {
			detail = st.Status.Detail
		}
		waited := time.Since(since)
		if waited >= limit {
			return nil, fmt.Errorf("%w after %s: statement %s in compute pool %s: %s", ErrPendingTimeout,
				limit, name, orDefault(pool, "(the default)"), orDefault(detail, "no detail given"))
		}
		ar.log.Warn("statement still PENDING", zap.String("statement", name), zap.String("compute_pool", pool),
			zap.String("detail", detail), zap.Duration("waited", waited.Round(time.Second)), zap.Duration("timeout", limit))
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// saw keeps the statement as a wait found it, for later steps of the
// action that would otherwise read it again.
func (ar *actionRun) saw(st *confluent.Statement) {
	if ar.seen == nil {
		ar.seen = map[string]*confluent.Statement{}
	}
	ar.seen[st.Name] = st
}
