package planner_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shiftleft/shiftleft/planner"
)

// TestStatementQuota: a plan counts the statements it leaves live — one a
// deployed table, other statements of the environment included — and those
// it needs while it runs, and is refused before anything runs when they do
// not fit the quota, naming how many are missing.
func TestStatementQuota(t *testing.T) {
	g := flat(t, 20, "sales")
	other := planner.Live{Statements: map[string]planner.Statement{
		"adhoc-1": {Name: "adhoc-1", Phase: planner.PhaseRunning},
		"adhoc-2": {Name: "adhoc-2", Phase: planner.PhaseCompleted},
		"gone":    {Name: "gone", Phase: planner.PhaseDeleting},
	}}
	tests := []struct {
		name    string
		live    planner.Live
		opts    planner.Options
		want    planner.StatementCount
		missing int
	}{
		{"room enough", planner.Live{}, planner.Options{PoolMaxCFU: 50}, planner.StatementCount{Now: 0, After: 20, Peak: 28}, 0},
		{"other statements count, deleted ones do not", other, planner.Options{PoolMaxCFU: 50, MaxStatements: 30}, planner.StatementCount{Now: 2, After: 22, Peak: 30}, 0},
		{"one helper per table at once", planner.Live{}, planner.Options{PoolMaxCFU: 50, Parallel: 2}, planner.StatementCount{Now: 0, After: 20, Peak: 22}, 0},
		{"over the quota", other, planner.Options{PoolMaxCFU: 50, MaxStatements: 25}, planner.StatementCount{}, 5},
		// More live than the quota says (each table's DDL and DML, as an
		// earlier version left them): the quota is larger than configured,
		// and a plan that needs no more is not refused.
		{"no more than live now", running(g), planner.Options{PoolMaxCFU: 50, MaxStatements: 25}, planner.StatementCount{Now: 40, After: 40, Peak: 40}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := planner.Build(g, tt.live, ensure(g), tt.opts)
			if tt.missing > 0 {
				if !errors.Is(err, planner.ErrStatementQuota) || !strings.Contains(err.Error(), "5 statements short") ||
					!strings.Contains(err.Error(), "flink.max_statements") {
					t.Fatalf("err %v, want ErrStatementQuota naming %d statements short", err, tt.missing)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Statements == nil || *p.Statements != tt.want {
				t.Errorf("statements %+v, want %+v", p.Statements, tt.want)
			}
		})
	}
}

// TestStatementQuotaAndCapacity: a plan short of both CFU and statements
// says both.
func TestStatementQuotaAndCapacity(t *testing.T) {
	g := flat(t, 30, "sales")
	_, err := planner.Build(g, planner.Live{}, ensure(g), planner.Options{PoolMaxCFU: 5, MaxPools: 2, MaxStatements: 20})
	if !errors.Is(err, planner.ErrNoCapacity) || !errors.Is(err, planner.ErrStatementQuota) {
		t.Fatalf("err %v, want ErrNoCapacity and ErrStatementQuota", err)
	}
}

// TestDeletedDDLReadFromTheDML: a table whose DDL statement was deleted once
// its DML ran is known from the DML's origin: in sync when it runs, its DML
// alone recreated when it failed, and recreated when its DDL changed.
func TestDeletedDDLReadFromTheDML(t *testing.T) {
	g := flat(t, 1, "sales")
	n := planner.DefaultNaming
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	dml := func(phase, ddlFingerprint string) planner.Live {
		return planner.Live{Statements: map[string]planner.Statement{n.DML("t000", "sales"): {Name: n.DML("t000", "sales"),
			Phase: phase, Fingerprint: "fp-t000", Table: "t000", CreatedAt: created.Add(time.Second),
			Origin: &planner.Origin{Fingerprint: ddlFingerprint, CreatedAt: created}}}}
	}
	tests := []struct {
		name  string
		live  planner.Live
		kind  planner.ActionKind
		steps []planner.StepKind
	}{
		{"runs", dml(planner.PhaseRunning, "fp-t000"), planner.Skip, nil},
		{"its DML failed", dml(planner.PhaseFailed, "fp-t000"), planner.Create, []planner.StepKind{planner.CreateDML}},
		{"its DDL is another", dml(planner.PhaseFailed, "fp-old"), planner.Create,
			[]planner.StepKind{planner.DeleteStatement, planner.DropTable, planner.DeleteStatement, planner.CreateDDL, planner.DeleteStatement, planner.CreateDML}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := planner.Build(g, tt.live, ensure(g), planner.Options{AllowDrop: true})
			if err != nil {
				t.Fatal(err)
			}
			a := p.Actions[0]
			var steps []planner.StepKind
			for _, s := range a.Steps {
				steps = append(steps, s.Kind)
			}
			if a.Kind != tt.kind || !slices.Equal(steps, tt.steps) {
				t.Fatalf("%s %v, want %s %v", a.Kind, steps, tt.kind, tt.steps)
			}
			// A DML created over the table as it is carries the live DML's
			// origin; one whose action creates the table again carries the
			// new DDL's, which the runner reads then.
			recreates := slices.Contains(steps, planner.CreateDDL)
			for _, s := range a.Steps {
				switch {
				case s.Kind != planner.CreateDML:
				case recreates && s.Origin != nil:
					t.Errorf("create-dml origin %+v of a recreated table, want none from the plan", s.Origin)
				case !recreates && (s.Origin == nil || s.Origin.Fingerprint != tt.live.Statements[n.DML("t000", "sales")].Origin.Fingerprint):
					t.Errorf("create-dml origin %+v, want the live DML's", s.Origin)
				}
			}
		})
	}
}
