package deployments

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/flinksql"
	"github.com/shiftleft/shiftleft/planner"
)

// Labels of a DML statement that say which DDL created its table (see
// [planner.Origin]): once the DML runs, the DDL statement is deleted, so a
// table costs one statement of the environment's quota, not two.
const (
	// LabelDDLFingerprint is the DDL statement's fingerprint label.
	LabelDDLFingerprint = "shiftleft.ddl-fingerprint"
	// LabelDDLCreated is when the DDL statement was created, in Unix
	// nanoseconds.
	LabelDDLCreated = "shiftleft.ddl-created"
)

// originOf reads the origin a DML statement's labels carry; nil when they
// carry none.
func originOf(st *confluent.Statement) *planner.Origin {
	labels := labelsOf(st)
	fp, created := labels[LabelDDLFingerprint], labels[LabelDDLCreated]
	ns, err := strconv.ParseInt(created, 10, 64)
	if fp == "" || err != nil {
		return nil
	}
	return &planner.Origin{Fingerprint: fp, CreatedAt: time.Unix(0, ns).UTC()}
}

// withOrigin labels the request of a DML with the origin of its table: the
// DDL statement as it is now, else the origin the plan saw (its DDL
// statement was deleted already).
func (ar *actionRun) withOrigin(ctx context.Context, s planner.Step, req *confluent.StatementRequest) error {
	origin := s.Origin
	if ar.a.Desired != nil {
		// The DDL this action creates (a new version's has its own name),
		// else the table's.
		ddl := cmp.Or(ar.created(planner.CreateDDL), ar.a.Desired.DDL)
		st, err := ar.current(ctx, ddl)
		switch {
		case errors.Is(err, confluent.ErrStatementNotFound):
		case err != nil:
			return err
		case phaseOf(st) == confluent.PhaseCompleted && st.Metadata != nil && st.Metadata.CreatedAt != nil:
			origin = &planner.Origin{Fingerprint: labelsOf(st)[LabelFingerprint], CreatedAt: *st.Metadata.CreatedAt}
		}
	}
	if origin == nil || origin.Fingerprint == "" {
		return nil
	}
	req.Labels[LabelDDLFingerprint] = origin.Fingerprint
	req.Labels[LabelDDLCreated] = strconv.FormatInt(origin.CreatedAt.UnixNano(), 10)
	return nil
}

// ddlDone reports whether the DDL of step s ran already and its statement
// was deleted since: the table's DML says it was created by a DDL of that
// fingerprint (and this action did not drop the table).
func (ar *actionRun) ddlDone(ctx context.Context, s planner.Step) (bool, error) {
	if ar.a.Desired == nil || ar.a.Desired.DML == "" || ar.dropped {
		return false, nil
	}
	st, err := ar.r.client.GetStatement(ctx, ar.a.Desired.DML)
	switch {
	case errors.Is(err, confluent.ErrStatementNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	origin := originOf(st)
	done := origin != nil && phaseOf(st) != confluent.PhaseDeleting && origin.Fingerprint == FingerprintLabel(s.Fingerprint)
	if done {
		ar.log.Info("table created already; its DDL statement was deleted since", zap.String("statement", s.Statement))
	}
	return done, nil
}

// deleteDDL deletes the table's completed DDL statement once its DML runs
// carrying the DDL's origin, which says from then on that the table exists.
// A table without DML keeps its DDL, and so does one whose DDL cannot run
// again as a no-op: a deploy stopped between deleting the DML and creating
// the new one runs that DDL again. Not being able to delete it leaves
// one statement too many, not a table undeployed: it is logged, not failed.
func (ar *actionRun) deleteDDL(ctx context.Context) {
	d, created := ar.a.Desired, ar.created(planner.CreateDML, planner.SubmitDML)
	if d == nil || d.DML == "" || created == "" || ar.r.opts.keepDDL {
		return
	}
	if _, ok := ar.rerunnableDDL(); !ok {
		return
	}
	err := ar.bounded(ctx, ar.r.opts.ddlTimeout, func(ctx context.Context) error {
		return ar.retrying(ctx, planner.Step{Kind: planner.DeleteStatement, Statement: d.DDL}, func(ctx context.Context, s planner.Step) error {
			dml, err := ar.current(ctx, created)
			if err != nil || originOf(dml) == nil {
				return err
			}
			ddl, err := ar.current(ctx, s.Statement)
			switch {
			case errors.Is(err, confluent.ErrStatementNotFound):
				return nil
			case err != nil:
				return err
			case phaseOf(ddl) != confluent.PhaseCompleted:
				return nil
			}
			// Not waited for: a statement being deleted takes no place in
			// the quota.
			if err := ar.r.client.DeleteStatement(ctx, s.Statement); err != nil && !errors.Is(err, confluent.ErrStatementNotFound) {
				return err
			}
			ar.log.Debug("DDL statement deleted: the DML says the table exists", zap.String("statement", s.Statement))
			return nil
		})
	})
	if err != nil {
		ar.log.Warn("cannot delete the completed DDL statement", zap.String("statement", d.DDL), zap.Error(err))
	}
}

// created is the statement the action's first step of one of kinds
// creates (a DML's name may be a version of the table's), "" when none.
func (ar *actionRun) created(kinds ...planner.StepKind) string {
	for _, s := range ar.a.Steps {
		if slices.Contains(kinds, s.Kind) {
			return s.Statement
		}
	}
	return ""
}

// current is the statement as this action's waits found it, else as it is
// read now: what a wait found is still so, as only this action changes the
// statements of its table.
func (ar *actionRun) current(ctx context.Context, name string) (*confluent.Statement, error) {
	if st, ok := ar.seen[name]; ok {
		return st, nil
	}
	return ar.r.client.GetStatement(ctx, name)
}

// rerunnableDDL is the table's DDL file when running it again on the
// existing table does nothing (CREATE TABLE IF NOT EXISTS): only then is
// its statement deleted.
func (ar *actionRun) rerunnableDDL() (sqlFile, bool) {
	ref := ""
	if ar.a.Desired != nil {
		ref = ar.a.Desired.DDLRef
	}
	for _, s := range ar.a.Steps {
		if ref == "" && s.Kind == planner.CreateDDL {
			ref = s.Ref
		}
	}
	if ref == "" {
		return sqlFile{}, false
	}
	f, ok := ar.files[ref]
	if !ok {
		sql, props, err := ar.r.load(ref)
		if err != nil {
			ar.log.Warn("cannot read the DDL", zap.String("ref", ref), zap.Error(err))
			return sqlFile{}, false
		}
		f = sqlFile{sql: sql, properties: props}
		ar.files[ref] = f
	}
	script, err := flinksql.Parse(f.sql)
	if err != nil {
		return sqlFile{}, false
	}
	created, ok := script.Created()
	return f, ok && created.IfNotExists && !created.OrReplace
}

// dropFirst puts the drop of a recreate or an undeploy before the delete
// of the DML when the DML is what says the table exists (its DDL statement
// was deleted): deleted first, it would leave, until the drop's helper is
// made, nothing that says the table is there, and a deploy stopped in
// between would take the table for one to create and keep it as it is.
// Dropped first, the DML fails (its table is gone) and is deleted next;
// the drop's helper says the table was dropped.
func (ar *actionRun) dropFirst(ctx context.Context, steps []planner.Step) ([]planner.Step, error) {
	d := ar.a.Desired
	if d == nil || len(steps) < 2 || steps[0].Kind != planner.DeleteStatement || steps[0].Statement != d.DML || steps[1].Kind != planner.DropTable {
		return steps, nil
	}
	first := false
	err := ar.bounded(ctx, ar.r.opts.ddlTimeout, func(ctx context.Context) error {
		return ar.retrying(ctx, steps[0], func(ctx context.Context, _ planner.Step) error {
			_, err := ar.r.client.GetStatement(ctx, d.DDL)
			if !errors.Is(err, confluent.ErrStatementNotFound) {
				return err // nil: its DDL statement says the table exists
			}
			dml, err := ar.r.client.GetStatement(ctx, d.DML)
			if errors.Is(err, confluent.ErrStatementNotFound) {
				return nil
			}
			first = err == nil && originOf(dml) != nil
			return err
		})
	})
	if err != nil || !first {
		return steps, err
	}
	ar.log.Info("dropping the table before deleting its DML, the one statement that says it exists", zap.String("statement", d.DML))
	return append([]planner.Step{steps[1], steps[0]}, steps[2:]...), nil
}
