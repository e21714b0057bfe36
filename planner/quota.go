package planner

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Origin is the DDL statement that created a table, as the table's DML
// carries it (in labels) once that statement is deleted. A completed DDL
// is a statement like any other in the environment's statement quota, and
// every table would keep one for nothing; so a deploy deletes the DDL of a
// table with DML once the DML runs, when running that DDL again is a no-op
// (CREATE TABLE IF NOT EXISTS), and what runs still tells that the table
// exists, with which DDL and since when, from the DML. A table without DML
// keeps its DDL: it is its one statement.
type Origin struct {
	// Fingerprint is the DDL statement's fingerprint label.
	Fingerprint string    `json:"fingerprint"`
	CreatedAt   time.Time `json:"created_at"`
}

// originDDL is the DDL statement st's origin stands for, COMPLETED: what
// the deleted statement named name said; nil when st carries no origin.
func (st *Statement) originDDL(name string) *Statement {
	if st == nil || st.Origin == nil || st.Phase == PhaseDeleting {
		return nil
	}
	return &Statement{Name: name, Phase: PhaseCompleted, ComputePoolID: st.ComputePoolID,
		Fingerprint: st.Origin.Fingerprint, Table: st.Table, CreatedAt: st.Origin.CreatedAt}
}

// origins gives each create-dml step of the plan the origin of its
// table's DDL as what runs shows it, so that a DML replaced while its DDL
// statement is gone carries it on.
func (b *builder) origins(p *Plan) {
	for i := range p.Actions {
		a := &p.Actions[i]
		t, err := b.g.Table(a.Table)
		if err != nil || a.Kind == Skip {
			continue
		}
		ddl := b.state(t).ddl
		if slices.ContainsFunc(a.Steps, func(s Step) bool { return s.Kind == CreateDDL }) {
			continue // its DML's table is the one the action creates
		}
		for j := range a.Steps {
			if s := &a.Steps[j]; (s.Kind == CreateDML || s.Kind == SubmitDML) && ddl != nil && ddl.Phase == PhaseCompleted {
				s.Origin = &Origin{Fingerprint: ddl.Fingerprint, CreatedAt: ddl.CreatedAt}
			}
		}
	}
}

// DefaultMaxStatements is a Confluent Cloud region's usual quota of live
// statements per environment.
const DefaultMaxStatements = 10_000

// ErrStatementQuota: the statements a plan leaves live, and those it needs
// while it runs, do not fit in the environment's statement quota
// (flink.max_statements); the plan is refused before anything is deployed.
var ErrStatementQuota = errors.New("not enough statements left in the environment's quota")

// StatementCount is what a plan does to the environment's live statements.
type StatementCount struct {
	// Now is how many statements live before the plan (any phase but
	// DELETING, other tools' included).
	Now int `json:"now"`
	// After is how many live once it ran: a deployed table leaves one
	// statement, its DML (a table without DML, its DDL); a dropped one none.
	After int `json:"after"`
	// Peak is the most it may need at once while it runs: After, and a
	// helper statement (a DDL, or a DROP TABLE) for each table deployed at
	// the same time.
	Peak int `json:"peak"`
}

// countStatements counts the statements a plan leaves live and needs: a
// table's statements now (its DDL, drop helper and every version of its
// DML) give way to the one it leaves, and the stopped DMLs an action keeps
// as rollback points (at most keep) stay beside it.
func countStatements(p *Plan, live Live, parallel, keep int) StatementCount {
	live = live.indexed()
	c := StatementCount{Now: live.Count()}
	if live.Tables != nil {
		c.Now += max(live.Elsewhere, 0)
	}
	c.After, c.Peak = c.Now, c.Now
	helpers := 0
	for _, a := range p.Actions {
		if a.Kind == Skip || a.Desired == nil {
			continue
		}
		d := *a.Desired
		for _, name := range []string{d.DDL, d.Drop} {
			if st := live.statement(name); name != "" && st != nil && st.Phase != PhaseDeleting {
				c.After--
			}
		}
		versions := live.dmlVersions(d)
		c.After -= len(versions)
		if a.Kind != Drop {
			c.After++
		}
		if slices.ContainsFunc(a.Steps, func(s Step) bool { return s.Kind == StopStatement }) {
			c.After += min(keep, len(versions))
		}
		helpers++
	}
	c.Peak = c.After + min(helpers, parallel)
	return c
}

// check refuses a plan whose statements do not fit the quota max. A plan
// that needs no more statements than live now is never refused: more live
// than max says the environment's quota is larger than configured.
func (c StatementCount) check(max int) error {
	if c.Peak <= max || c.Peak <= c.Now {
		return nil
	}
	return fmt.Errorf("%w: %d statements short: the plan needs up to %d live statements (%d now, %d once it ran, and a helper for each of the tables deployed at once) and the environment's quota is %d (flink.max_statements)",
		ErrStatementQuota, c.Peak-max, c.Peak, c.Now, c.After, max)
}
