package deployments

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/internal/backoff"
	"github.com/shiftleft/shiftleft/planner"
)

// ErrUnsettled: a statement the run deployed turned FAILED or DEGRADED
// while the run watched it settle ([WithSettle]).
var ErrUnsettled = errors.New("statement did not settle")

// WithSettle watches, once every action ended, the statement each deployed
// table runs for d: one that turns FAILED, FAILING or DEGRADED in that
// window fails its action with Flink's detail ([ErrUnsettled]). 0, the
// default, watches nothing.
func WithSettle(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return invalid("settle %s: want >= 0", d)
		}
		o.settle = d
		return nil
	}
}

// Health is what runs of the plan's tables once the run was verified, by
// name: the tables it deployed that run, those that run degraded, and the
// running tables it left unchanged.
type Health struct {
	// Settle is how long the deployed statements were watched.
	Settle    Duration `json:"settle"`
	Running   []string `json:"running"`
	Degraded  []string `json:"degraded,omitempty"`
	Unchanged []string `json:"unchanged"`
}

// settleChecks is how many times a settle window reads what runs, at
// most; settleMaxInterval bounds the wait between two reads.
const (
	settleChecks      = 10
	settleMaxInterval = 5 * time.Second
)

// settle watches the statements of the actions that succeeded for the
// settle window, one list of the environment's statements per interval, and
// fails the action of one that turns FAILED or DEGRADED.
func (r *Runner) settle(ctx context.Context, plan *planner.Plan, res *Result) {
	window := r.opts.settle
	watched := map[string]int{} // statement name → action index
	for i, a := range plan.Actions {
		if res.Actions[i].Status == StatusSucceeded && a.Expect == planner.ExpectInSync && a.Desired != nil {
			watched[mainStatement(*a.Desired)] = i
		}
	}
	if window <= 0 || len(watched) == 0 {
		return
	}
	r.log.Info("watching the deployed statements settle", zap.Int("statements", len(watched)), zap.Duration("settle", window))
	interval := min(max(window/settleChecks, time.Millisecond), settleMaxInterval)
	end := time.Now().Add(window)
	for len(watched) > 0 {
		statements, err := r.client.ListStatements(ctx, confluent.ListOptions{})
		if err != nil {
			r.log.Warn("cannot read the statements while they settle", zap.Error(err))
		}
		for i := range statements {
			st := &statements[i]
			at, ok := watched[st.Name]
			if phase := phaseOf(st); !ok || !phase.Failed() && phase != confluent.PhaseDegraded {
				continue
			}
			delete(watched, st.Name)
			r.unsettled(&res.Actions[at], st, window)
		}
		left := time.Until(end)
		if left <= 0 || ctx.Err() != nil {
			return
		}
		if backoff.Sleep(ctx, min(interval, left)) != nil {
			return
		}
	}
}

// unsettled fails an action whose statement failed or degraded while it
// settled.
func (r *Runner) unsettled(a *ActionResult, st *confluent.Statement, window time.Duration) {
	detail := ""
	if st.Status != nil {
		detail = st.Status.Detail
	}
	a.Status, a.FinalPhase = StatusFailed, phaseOf(st)
	a.Err = fmt.Errorf("%w: %s turned %s within %s of the deploy: %s", ErrUnsettled, st.Name, a.FinalPhase, window, orDefault(detail, "no detail given"))
	a.Error = a.Err.Error()
	r.log.Warn("statement did not settle", zap.String("table", a.Table), zap.String("statement", st.Name),
		zap.String("phase", string(a.FinalPhase)), zap.String("detail", detail))
}

// mainStatement is the statement whose phase says whether a table runs: its
// DML, or its DDL when it has none.
func mainStatement(d planner.Desired) string {
	if d.DML != "" {
		return d.DML
	}
	return d.DDL
}

// health sorts the plan's tables by what runs of them after the run.
func health(plan *planner.Plan, res *Result, live planner.Live, settle time.Duration) *Health {
	h := &Health{Settle: rounded(settle), Running: []string{}, Unchanged: []string{}}
	for i, a := range plan.Actions {
		if a.Desired == nil || a.Expect == planner.ExpectAbsent {
			continue
		}
		st, ok := live.Statements[mainStatement(*a.Desired)]
		switch {
		case !ok:
		case st.Phase == planner.PhaseDegraded:
			h.Degraded = append(h.Degraded, a.Table)
		case st.Phase != planner.PhaseRunning && st.Phase != planner.PhaseCompleted:
		case a.Kind == planner.Skip:
			h.Unchanged = append(h.Unchanged, a.Table)
		case res.Actions[i].Status == StatusSucceeded:
			h.Running = append(h.Running, a.Table)
		}
	}
	return h
}

// readLive reads what runs, again after a pause while the API answers
// with an error a later call may not meet, for as long as a DDL step may
// last: a deploy whose steps all ran is not left unverified by one busy
// moment of the API.
func (r *Runner) readLive(ctx context.Context) (planner.Live, error) {
	ctx, cancel := context.WithTimeout(ctx, r.opts.ddlTimeout)
	defer cancel()
	wait := retryInitial
	for {
		live, err := ReadLive(ctx, r.client)
		if err == nil || !confluent.Retryable(err) || ctx.Err() != nil {
			return live, err
		}
		r.log.Warn("cannot read what runs; reading again", zap.Duration("wait", wait), zap.Error(err))
		if backoff.Sleep(ctx, wait) != nil {
			return live, err
		}
		wait = min(2*wait, retryMax)
	}
}
