package deployments

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/flinksql"
	"github.com/shiftleft/shiftleft/internal/backoff"
	"github.com/shiftleft/shiftleft/planner"
)

// sqlFile is a loaded pipeline file.
type sqlFile struct {
	sql        string
	properties map[string]string
}

// actionRun is one action being run; it lives in the action's goroutine.
type actionRun struct {
	r     *Runner
	a     *planner.Action
	log   *zap.Logger
	files map[string]sqlFile // by Ref
	pool  string
	// dropped is set once a drop step ran: from then on a DDL or DML
	// statement of the table that carries the wanted fingerprint describes
	// a table that is gone, and must be created again — unless this run
	// created it (mine).
	dropped bool
	mine    map[string]bool
	// seen holds the statements as the waits of this action found them.
	seen map[string]*confluent.Statement
	res  *ActionResult
}

// runAction runs a's steps in order and returns res completed, Status
// aside: the scheduler decides it.
func (r *Runner) runAction(ctx context.Context, a *planner.Action, res ActionResult) ActionResult {
	start := r.opts.now()
	ar := &actionRun{r: r, a: a, res: &res, mine: map[string]bool{},
		log: r.log.With(zap.String("table", a.Table), zap.String("action", string(a.Kind)))}
	ar.log.Info("action started", zap.String("reason", a.Reason))
	err := ar.run(ctx)
	res.Duration = rounded(r.opts.now().Sub(start))
	if err != nil {
		res.Err, res.Error = err, err.Error()
		ar.log.Warn("action did not finish", zap.Duration("duration", res.Duration.Duration), zap.Error(err))
		return res
	}
	ar.log.Info("action succeeded", zap.Duration("duration", res.Duration.Duration),
		zap.String("final_phase", string(res.FinalPhase)))
	return res
}

func (ar *actionRun) run(ctx context.Context) error {
	// Every file is read before anything changes, so that an unreadable
	// DML does not leave a recreated table without its statement.
	if err := ar.loadFiles(); err != nil {
		return err
	}
	if err := ar.bounded(ctx, ar.r.opts.ddlTimeout, ar.resolvePool); err != nil {
		return fmt.Errorf("compute pool: %w", err)
	}
	ar.res.ComputePoolID = ar.pool
	from, err := ar.resumePoint(ctx)
	if err != nil {
		return err
	}
	steps, err := ar.dropFirst(ctx, ar.a.Steps[from:])
	if err != nil {
		return err
	}
	for _, s := range steps {
		if !slices.Contains(ar.res.Statements, s.Statement) {
			ar.res.Statements = append(ar.res.Statements, s.Statement)
		}
		timeout := ar.r.opts.ddlTimeout
		if s.Kind == planner.CreateDML {
			timeout = ar.r.opts.dmlTimeout
		}
		if err := ar.bounded(ctx, timeout, func(ctx context.Context) error { return ar.retrying(ctx, s, ar.step) }); err != nil {
			return fmt.Errorf("%s %s: %w", s.Kind, s.Statement, err)
		}
	}
	ar.deleteDDL(ctx)
	return nil
}

// retrying runs a step again, after a pause, while it fails with an error a
// later attempt may not meet (a 5xx, a rate limit, a cut connection) and
// ctx lasts: the client gave up on one call, the step has time left. Every
// step starts by reading what exists, so it is safe to redo.
func (ar *actionRun) retrying(ctx context.Context, s planner.Step, step func(context.Context, planner.Step) error) error {
	wait := retryInitial
	for {
		err := step(ctx, s)
		if err == nil || !confluent.Retryable(err) || ctx.Err() != nil {
			return err
		}
		ar.log.Warn("step failed; trying again", zap.String("step", string(s.Kind)), zap.String("statement", s.Statement),
			zap.Duration("wait", wait), zap.Error(err))
		if err := backoff.Sleep(ctx, wait); err != nil {
			return err
		}
		wait = min(2*wait, retryMax)
	}
}

// How long a step failing with a retryable error waits before it runs again.
const (
	retryInitial = 50 * time.Millisecond
	retryMax     = 5 * time.Second
)

// bounded runs fn with a timeout, and says so when the timeout, not ctx,
// ended it.
func (ar *actionRun) bounded(ctx context.Context, timeout time.Duration, fn func(context.Context) error) error {
	bctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := fn(bctx)
	if err != nil && ctx.Err() == nil && errors.Is(bctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w after %s: %w", ErrStepTimeout, timeout, err)
	}
	return err
}

func (ar *actionRun) loadFiles() error {
	ar.files = map[string]sqlFile{}
	for _, s := range ar.a.Steps {
		if _, ok := ar.files[s.Ref]; ok || !creates(s.Kind) {
			continue
		}
		sql, props, err := ar.r.load(s.Ref)
		if err != nil {
			return fmt.Errorf("load %s: %w", s.Ref, err)
		}
		ar.files[s.Ref] = sqlFile{sql: sql, properties: props}
	}
	return nil
}

func (ar *actionRun) resolvePool(ctx context.Context) error {
	switch p := ar.a.Pool; {
	case p == nil:
		// No pool: the environment's default pool runs the statements.
	case p.Create != nil:
		id, err := ar.r.ensurePool(ctx, *p.Create)
		if err != nil {
			return err
		}
		ar.pool = id
	default:
		ar.pool = p.ID
	}
	return nil
}

func creates(k planner.StepKind) bool {
	return k == planner.CreateDDL || k == planner.CreateDML || k == planner.SubmitDML
}

func destroys(k planner.StepKind) bool { return k == planner.DeleteStatement || k == planner.DropTable }

// resumePoint is the step to start from. With a commit, the last create
// step whose statement carries both its fingerprint and the commit was
// reached by an earlier attempt of this deployment: the deletes and drops
// before it ran already, and redoing them would restart what that attempt
// deployed. Without one, or when no such statement exists, every step runs
// (each is idempotent on its own).
func (ar *actionRun) resumePoint(ctx context.Context) (int, error) {
	commit := labelValue(ar.r.opts.commit, maxLabelValue)
	if commit == "" {
		return 0, nil
	}
	steps := ar.a.Steps
	for i := len(steps) - 1; i > 0; i-- {
		s := steps[i]
		// Past a stop, a statement carrying offsets over waits for it: the
		// stop is never skipped (it is safe to redo).
		if !creates(s.Kind) || s.Fingerprint == "" || !slices.ContainsFunc(steps[:i], func(p planner.Step) bool { return destroys(p.Kind) }) ||
			slices.ContainsFunc(steps[:i], func(p planner.Step) bool { return p.Kind == planner.StopStatement }) {
			continue
		}
		var st *confluent.Statement
		err := ar.bounded(ctx, ar.r.opts.ddlTimeout, func(ctx context.Context) error {
			return ar.retrying(ctx, s, func(ctx context.Context, s planner.Step) (err error) {
				st, err = ar.r.client.GetStatement(ctx, s.Statement)
				return err
			})
		})
		switch {
		case errors.Is(err, confluent.ErrStatementNotFound):
			continue
		case err != nil:
			return 0, fmt.Errorf("%s %s: %w", s.Kind, s.Statement, err)
		}
		if labels := labelsOf(st); sameFingerprint(st, s) && labels[LabelCommit] == commit {
			ar.log.Info("resuming after an earlier attempt of this commit", zap.String("statement", s.Statement))
			return i, nil
		}
	}
	return 0, nil
}

func sameFingerprint(st *confluent.Statement, s planner.Step) bool {
	return s.Fingerprint != "" && labelsOf(st)[LabelFingerprint] == FingerprintLabel(s.Fingerprint)
}

func (ar *actionRun) step(ctx context.Context, s planner.Step) error {
	switch s.Kind {
	case planner.DeleteStatement:
		return ar.delete(ctx, s.Statement)
	case planner.DropTable:
		return ar.dropTable(ctx, s)
	case planner.StopStatement:
		return ar.stop(ctx, s.Statement)
	case planner.CreateDDL, planner.AlterTable:
		return ar.create(ctx, s, ddlPhases)
	case planner.SubmitDML:
		return ar.create(ctx, s, submitPhases)
	default: // CreateDML: newGraph let no other kind through
		return ar.create(ctx, s, dmlPhases)
	}
}

// stop stops the statement and waits until it is STOPPED, its offsets
// recorded; one stopped already is left as it is. A statement that ended
// otherwise (FAILED, COMPLETED) has no offsets to hand over: an error.
func (ar *actionRun) stop(ctx context.Context, name string) error {
	st, err := ar.r.client.GetStatement(ctx, name)
	if err != nil {
		return err
	}
	switch phase := phaseOf(st); phase {
	case confluent.PhaseStopped:
		return nil
	case confluent.PhaseRunning, confluent.PhaseDegraded, confluent.PhasePending:
		if err := ar.r.client.StopStatement(ctx, name); err != nil {
			return err
		}
	case confluent.PhaseStopping:
	default:
		return fmt.Errorf("%w: %s is %s, it cannot be stopped to hand its offsets over", ErrCannotStop, name, phase)
	}
	_, err = ar.r.client.WaitForPhase(ctx, name, confluent.PhaseStopped)
	return err
}

// delete deletes the statement if it exists and waits until it is gone.
func (ar *actionRun) delete(ctx context.Context, name string) error {
	err := ar.r.client.DeleteStatement(ctx, name)
	switch {
	case errors.Is(err, confluent.ErrStatementNotFound):
		return nil
	case err != nil:
		return err
	}
	ar.log.Debug("deleting statement", zap.String("statement", name))
	return ar.r.client.WaitForDeletion(ctx, name)
}

// dropTable drops the table with DROP TABLE IF EXISTS as the helper
// statement name and waits for it to complete. A helper an earlier attempt
// left is that attempt's drop: COMPLETED, the drop is done; underway, it is
// waited for; anything else is replaced. The helper is kept (a later step
// deletes it): while it is there, what runs says the table is gone.
func (ar *actionRun) dropTable(ctx context.Context, s planner.Step) error {
	name := s.Statement
	st, err := ar.r.client.GetStatement(ctx, name)
	switch {
	case errors.Is(err, confluent.ErrStatementNotFound):
		st = nil
	case err != nil:
		return err
	}
	ar.dropped = true
	switch phase := phaseOf(st); {
	case phase == confluent.PhaseCompleted:
		ar.log.Info("table dropped already", zap.String("statement", name))
		return nil
	case st != nil && (phase == confluent.PhasePending || phase == confluent.PhaseRunning):
	default:
		if st != nil {
			if err := ar.delete(ctx, name); err != nil {
				return err
			}
		}
		req := ar.request(name, "DROP TABLE IF EXISTS "+quoteIdent(physical(ar.a.Table, s)), nil, "")
		versionLabel(&req, s)
		if _, err := ar.r.client.CreateStatement(ctx, req); err != nil {
			return err
		}
	}
	_, err = ar.waitPhase(ctx, name, confluent.PhaseCompleted)
	return err
}

// quoteIdent backticks a table name. Always quoting is never wrong in
// Flink SQL and needs no list of reserved words to decide.
func quoteIdent(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// phases says when a create step is done, and which phases of a statement
// carrying the step's fingerprint mean it is on its way there.
type phases struct {
	done, underway []confluent.Phase
}

var (
	ddlPhases = phases{done: []confluent.Phase{confluent.PhaseCompleted},
		underway: []confluent.Phase{confluent.PhasePending, confluent.PhaseRunning}}
	// A DEGRADED statement runs; a COMPLETED one was a bounded DML that
	// finished.
	dmlPhases = phases{done: []confluent.Phase{confluent.PhaseRunning, confluent.PhaseDegraded, confluent.PhaseCompleted},
		underway: []confluent.Phase{confluent.PhasePending}}
	// A DML carrying offsets over is PENDING until the statement it starts
	// from is stopped: submitted is enough.
	submitPhases = phases{done: append([]confluent.Phase{confluent.PhasePending}, dmlPhases.done...)}
)

// create makes the statement of a create step (or an ALTER TABLE step) run
// the step's SQL: a statement of that name carrying the step's fingerprint
// is kept (and waited for when underway); any other is deleted first.
func (ar *actionRun) create(ctx context.Context, s planner.Step, want phases) error {
	st, err := ar.r.client.GetStatement(ctx, s.Statement)
	switch {
	case errors.Is(err, confluent.ErrStatementNotFound) && s.Kind == planner.CreateDDL:
		if done, err := ar.ddlDone(ctx, s); err != nil || done {
			return err
		}
		st = nil
	case errors.Is(err, confluent.ErrStatementNotFound):
		st = nil
	case err != nil:
		return err
	}
	if st != nil {
		phase := phaseOf(st)
		if sameFingerprint(st, s) && (!ar.dropped || ar.mine[s.Statement]) {
			switch {
			case slices.Contains(want.done, phase):
				ar.log.Info("statement already deployed", zap.String("statement", s.Statement), zap.String("phase", string(phase)))
				ar.res.FinalPhase = phase
				return nil
			case slices.Contains(want.underway, phase):
				return ar.wait(ctx, s.Statement, want)
			}
		}
		ar.log.Info("replacing statement", zap.String("statement", s.Statement), zap.String("phase", string(phase)))
		if err := ar.delete(ctx, s.Statement); err != nil {
			return err
		}
	}
	f := ar.files[s.Ref]
	if s.Kind == planner.AlterTable {
		// Its SQL is in the plan: the difference of two files' DDL.
		f = sqlFile{sql: s.SQL}
	}
	props := f.properties
	if s.OffsetsFrom != "" {
		props = maps.Clone(props)
		if props == nil {
			props = map[string]string{}
		}
		props[PropertyOffsetsFrom] = s.OffsetsFrom
	}
	req := ar.request(s.Statement, f.sql, props, s.Fingerprint)
	if req.SQL, err = flinksql.RenameTables(f.sql, s.Tables); err != nil {
		return fmt.Errorf("rewrite %s for physical tables %v: %w", s.Ref, s.Tables, err)
	}
	versionLabel(&req, s)
	if s.Kind == planner.CreateDML || s.Kind == planner.SubmitDML {
		if err := ar.withOrigin(ctx, s, &req); err != nil {
			return err
		}
	}
	// Marked before the call: a create whose answer is an error may have
	// been made all the same, and a retry of the step must keep it.
	ar.mine[s.Statement] = true
	if _, err := ar.r.client.CreateStatement(ctx, req); err != nil {
		return err
	}
	ar.log.Debug("statement created", zap.String("statement", s.Statement))
	return ar.wait(ctx, s.Statement, want)
}

func (ar *actionRun) wait(ctx context.Context, name string, want phases) error {
	st, err := ar.waitPhase(ctx, name, want.done...)
	var failed *confluent.StatementFailedError
	if errors.As(err, &failed) {
		ar.res.FinalPhase = failed.Phase
	}
	if err != nil {
		return err
	}
	ar.res.FinalPhase = phaseOf(st)
	return nil
}

// request is a statement of the action: its pool, the runner's principal,
// the runner's properties under the file's, and shiftleft's labels.
func (ar *actionRun) request(name, sql string, properties map[string]string, fingerprint string) confluent.StatementRequest {
	o := &ar.r.opts
	props := maps.Clone(o.properties)
	if len(properties) > 0 {
		if props == nil {
			props = make(map[string]string, len(properties))
		}
		maps.Copy(props, properties)
	}
	return confluent.StatementRequest{
		Name:          name,
		SQL:           sql,
		ComputePoolID: ar.pool,
		Principal:     o.principal,
		Properties:    props,
		Labels:        statementLabels(ar.a.Table, fingerprint, o.commit),
	}
}
