package deployments

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/planner"
)

// Loader returns the SQL of a pipeline file named by a step's Ref, and the
// statement properties of the .properties file beside it (nil when there
// is none).
type Loader func(ref string) (sql string, properties map[string]string, err error)

// Runner runs plans. It is safe for concurrent use.
type Runner struct {
	client Client
	load   Loader
	opts   options
	log    *zap.Logger
	// pools makes actions that want the same new compute pool wait for one
	// creation: pool creates are not idempotent.
	pools flights
	waits waitEstimates
}

// NewRunner returns a runner of plans through c, reading SQL with load.
func NewRunner(c Client, load Loader, opts ...Option) (*Runner, error) {
	switch {
	case c == nil:
		return nil, invalid("nil client")
	case load == nil:
		return nil, invalid("nil SQL loader")
	}
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	return &Runner{client: c, load: load, opts: o, log: o.log.Named("deployments")}, nil
}

// Run executes the plan and reports every action. An action starts as soon
// as the actions of the tables in its After list have succeeded, in plan
// order, at most MaxParallel at once — fewer while the API answers 429: the
// parallelism halves on a 429 (once a second at most), no action starts
// during that 429's Retry-After, and it grows back by one per round of
// answers; a failed action blocks every action
// that waits for it, directly or not, and the others go on.
//
// Once every action ended, Run watches the deployed statements settle
// ([WithSettle]), then reads what runs and checks each table against
// what its action expects ([planner.Verify]): a table not in sync fails the
// run although its steps succeeded, and [Result.OutOfSync] says why, with
// Flink's detail. A run succeeded only when that check passed.
//
// A failed action is not an error of Run: see [Result.Failed]. The error is
// [ErrInvalidPlan] or [ErrInvalidOption] when nothing could start,
// ctx.Err() when ctx ended before every action did (the Result then says
// which actions were cancelled), and [ErrNotVerified] when what runs could
// not be read back.
func (r *Runner) Run(ctx context.Context, plan *planner.Plan) (*Result, error) {
	g, err := newGraph(plan)
	if err != nil {
		return nil, err
	}
	if err := r.checkPools(plan); err != nil {
		return nil, err
	}
	start := r.opts.now()
	s := &scheduler{r: r, actions: plan.Actions, g: g, prog: newProgress(r.opts.progress, plan),
		pace:    newAIMD(r.opts.maxParallel),
		res:     make([]ActionResult, len(plan.Actions)),
		state:   make([]actionState, len(plan.Actions)),
		waiting: make([]int, len(plan.Actions)),
	}
	for i, a := range plan.Actions {
		s.res[i] = ActionResult{Table: a.Table, Action: a.Kind, Reason: a.Reason}
	}
	ctx = confluent.WithTrace(ctx, s.pace.trace())
	s.run(ctx)
	res := &Result{Status: StatusSkipped, Commit: r.opts.commit, Started: start, Actions: s.res}
	if ctx.Err() == nil {
		r.settle(ctx, plan, res)
		err = r.verify(ctx, plan, res)
	}
	res.Wall = rounded(r.opts.now().Sub(start))
	res.Throttled, res.LowestParallel = s.pace.report()
	for _, a := range res.Actions {
		res.Totals.add(a.Status)
		if a.Status.worse(res.Status) {
			res.Status = a.Status
		}
	}
	if res.Totals.Cancelled > 0 {
		return res, ctx.Err()
	}
	return res, err
}

// verify reads what runs after the plan and fails every action whose table
// is not as the plan expects; one that failed or was blocked already keeps
// its own error.
func (r *Runner) verify(ctx context.Context, plan *planner.Plan, res *Result) error {
	live, err := r.readLive(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotVerified, err)
	}
	res.Verified = true
	res.OutOfSync = planner.Verify(plan, live)
	for _, s := range res.OutOfSync {
		for i := range res.Actions {
			a := &res.Actions[i]
			if a.Table != s.Table || !a.Status.ok() {
				continue
			}
			a.Status, a.Error = StatusFailed, "not in sync after the run: "+string(s.State)
			if s.Detail != "" {
				a.Error += ": " + s.Detail
			}
			r.log.Warn("table not in sync after the run", zap.String("table", s.Table),
				zap.String("state", string(s.State)), zap.String("detail", s.Detail))
		}
	}
	res.Health = health(plan, res, live, r.opts.settle)
	return nil
}

// checkPools refuses a plan that creates a compute pool when the runner
// does not know where to create it.
func (r *Runner) checkPools(plan *planner.Plan) error {
	for _, a := range plan.Actions {
		if a.Kind != planner.Skip && a.Pool != nil && a.Pool.Create != nil && r.opts.cloud == "" {
			return invalid("%s: the plan creates compute pool %s, which needs WithPoolLocation", a.Table, a.Pool.Create.Name)
		}
	}
	return nil
}

type actionState int

const (
	pending actionState = iota
	running
	resolved
)

// scheduler runs one plan. Only its run loop touches its fields; actions
// run in goroutines and hand their result back over a channel.
type scheduler struct {
	r       *Runner
	actions []planner.Action
	g       *graph
	prog    *progress
	pace    *aimd
	res     []ActionResult
	state   []actionState
	waiting []int // parents not yet succeeded, per action
	ready   []int // action indices, ascending: plan order
}

// finished is an action's result as its goroutine hands it back.
type finished struct {
	i   int
	res ActionResult
}

func (s *scheduler) run(ctx context.Context) {
	defer s.prog.close()
	for i := range s.actions {
		s.waiting[i] = len(s.g.parents[i])
	}
	// Roots by their parents, not by waiting: a skip root resolves at
	// once and zeroes its children's count, which must not queue them twice.
	for i := range s.actions {
		if len(s.g.parents[i]) == 0 {
			s.makeReady(i)
		}
	}
	done := make(chan finished)
	inFlight := 0
	ctxDone := ctx.Done()
	for {
		room, paused := s.pace.room(inFlight)
		for ; len(s.ready) > 0 && room > 0 && ctx.Err() == nil; room-- {
			i := s.ready[0]
			s.ready = s.ready[1:]
			s.state[i] = running
			inFlight++
			s.prog.started()
			go func() { done <- finished{i, s.r.runAction(ctx, &s.actions[i], s.res[i])} }()
		}
		if inFlight == 0 && (len(s.ready) == 0 || ctx.Err() != nil) {
			break
		}
		var pause *time.Timer // the end of a Retry-After pause
		var resume <-chan time.Time
		if paused > 0 && len(s.ready) > 0 {
			pause = time.NewTimer(paused)
			resume = pause.C
		}
		select {
		case f := <-done:
			inFlight--
			status := StatusSucceeded
			switch {
			case f.res.Err != nil && ctx.Err() != nil:
				status = StatusCancelled
			case f.res.Err != nil:
				status = StatusFailed
			}
			s.res[f.i] = f.res
			s.resolve(f.i, status)
		case <-ctxDone:
			ctxDone = nil // wake up to stop starting actions, once
		case <-s.pace.wake:
		case <-resume:
		}
		if pause != nil {
			pause.Stop()
		}
	}
	// What is left never started: ctx ended (the graph has no cycle).
	for i, st := range s.state {
		if st == pending {
			s.resolve(i, StatusCancelled)
		}
	}
}

// makeReady queues an action whose parents all succeeded; a skip action
// has nothing to run, so it is done at once and lets its children go.
func (s *scheduler) makeReady(i int) {
	if s.actions[i].Kind == planner.Skip {
		s.resolve(i, StatusSkipped)
		return
	}
	at, _ := slices.BinarySearch(s.ready, i)
	s.ready = slices.Insert(s.ready, at, i)
}

// resolve records an action's end and what it means for its children.
func (s *scheduler) resolve(i int, status Status) {
	s.end(i, status)
	switch status {
	case StatusSucceeded, StatusSkipped:
		for _, c := range s.g.children[i] {
			if s.waiting[c]--; s.waiting[c] == 0 && s.state[c] == pending {
				s.makeReady(c)
			}
		}
	case StatusFailed:
		s.block(i, s.actions[i].Table)
	}
}

// block resolves the pending descendants of action i, which cannot run
// since failed did not deploy. A skip action among them stays skipped —
// it had nothing to do — but its own descendants are blocked all the same.
func (s *scheduler) block(i int, failed string) {
	for _, c := range s.g.children[i] {
		if s.state[c] != pending {
			continue // blocked already, through another parent
		}
		status := StatusBlocked
		if s.actions[c].Kind == planner.Skip {
			status = StatusSkipped
		} else {
			s.res[c].BlockedBy = failed
			s.res[c].Error = "not run: " + failed + " failed"
		}
		s.end(c, status)
		s.block(c, failed)
	}
}

func (s *scheduler) end(i int, status Status) {
	wasRunning := s.state[i] == running
	s.state[i] = resolved
	s.res[i].Status = status
	s.prog.finished(&s.res[i], s.actions[i].Wave, wasRunning)
}
