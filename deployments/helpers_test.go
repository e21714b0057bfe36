package deployments_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/confluent/emulator"
	"github.com/shiftleft/shiftleft/deployments"
	"github.com/shiftleft/shiftleft/internal/emulatortest"
	"github.com/shiftleft/shiftleft/internal/openapitest"
	"github.com/shiftleft/shiftleft/planner"
)

const (
	env = emulatortest.Environment
	// source is the Kafka topic every test pipeline starts from.
	source = "raw"
)

var naming = planner.DefaultNaming

// rig is a client wired to a fresh emulator.
type rig = emulatortest.Rig

// newRig starts an emulator that knows the source topic; with a validator,
// every exchange goes through it and is checked against Confluent's specs
// when the test ends.
func newRig(t testing.TB, v *openapitest.Validator, opts ...emulator.Option) *rig {
	t.Helper()
	return emulatortest.Start(t, v, append([]emulator.Option{emulator.Seed(1), emulator.ExternalTables([]string{source})}, opts...)...)
}

func ctxFor(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// runner builds a runner of the fixture's files through c.
func runner(t testing.TB, c deployments.Client, f fixture, opts ...deployments.Option) *deployments.Runner {
	t.Helper()
	r, err := deployments.NewRunner(c, f.load, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// fixture holds the SQL files of test tables by Ref. Tests fill it before a
// run; runs only read it.
type fixture map[string]string

func (f fixture) load(ref string) (string, map[string]string, error) {
	sql, ok := f[ref]
	if !ok {
		return "", nil, fmt.Errorf("no file %s", ref)
	}
	return sql, nil, nil
}

// table registers a table's DDL and DML (reading its parents, or the source
// topic) unless the test set them already.
func (f fixture) table(name string, parents ...string) {
	if _, ok := f[ddlRef(name)]; !ok {
		f[ddlRef(name)] = "CREATE TABLE IF NOT EXISTS " + name + " (id STRING)"
	}
	if _, ok := f[dmlRef(name)]; !ok {
		if len(parents) == 0 {
			parents = []string{source}
		}
		var selects []string
		for _, p := range parents {
			selects = append(selects, "SELECT id FROM "+p)
		}
		f[dmlRef(name)] = "INSERT INTO " + name + " " + strings.Join(selects, " UNION ALL ")
	}
}

func ddlRef(table string) string { return "pipelines/" + table + "/ddl." + table + ".sql" }
func dmlRef(table string) string { return "pipelines/" + table + "/dml." + table + ".sql" }

// fingerprint is a hex SHA-256, as the inventory's.
func fingerprint(sql string) string {
	sum := sha256.Sum256([]byte(sql))
	return hex.EncodeToString(sum[:])
}

func (f fixture) createStep(kind planner.StepKind, name, ref string) planner.Step {
	return planner.Step{Kind: kind, Statement: name, Ref: ref, Fingerprint: fingerprint(f[ref])}
}

func (f fixture) ddl(table string) planner.Step {
	return f.createStep(planner.CreateDDL, naming.DDL(table, ""), ddlRef(table))
}

func (f fixture) dml(table string) planner.Step {
	return f.createStep(planner.CreateDML, naming.DML(table, ""), dmlRef(table))
}

func deleteDML(table string) planner.Step { return deleteStatement(naming.DML(table, "")) }

func deleteStatement(name string) planner.Step {
	return planner.Step{Kind: planner.DeleteStatement, Statement: name}
}

func drop(table string) planner.Step {
	return planner.Step{Kind: planner.DropTable, Statement: naming.Drop(table)}
}

// action builds the action of a kind on a table reading parents, as the
// planner would.
func (f fixture) action(kind planner.ActionKind, table string, parents ...string) planner.Action {
	f.table(table, parents...)
	a := planner.Action{Table: table, Kind: kind, Reason: "test", After: parents, Expect: planner.ExpectInSync,
		Desired: &planner.Desired{Table: table, DDL: naming.DDL(table, ""), DML: naming.DML(table, ""), Drop: naming.Drop(table), DDLRef: ddlRef(table),
			Fingerprint: deployments.FingerprintLabel(fingerprint(f[dmlRef(table)]))}}
	switch kind {
	case planner.Create:
		a.Steps = []planner.Step{f.ddl(table), f.dml(table)}
	case planner.RestartDML:
		a.Steps = []planner.Step{deleteDML(table), f.dml(table)}
	case planner.Recreate:
		a.Steps = []planner.Step{deleteDML(table), drop(table), deleteStatement(naming.DDL(table, "")), f.ddl(table),
			deleteStatement(naming.Drop(table)), f.dml(table)}
	}
	return a
}

// skip is the action of a table the plan leaves alone.
func skip(table string) planner.Action {
	return planner.Action{Table: table, Kind: planner.Skip, Reason: "runs already"}
}

func (f fixture) create(table string, parents ...string) planner.Action {
	return f.action(planner.Create, table, parents...)
}

// plan numbers the waves of actions listed parents first.
func plan(actions ...planner.Action) *planner.Plan {
	wave := map[string]int{}
	for i, a := range actions {
		for _, p := range a.After {
			actions[i].Wave = max(actions[i].Wave, wave[p]+1)
		}
		wave[a.Table] = actions[i].Wave
	}
	return &planner.Plan{Actions: actions}
}

// statuses maps each table to its action's status; nil without a result.
func statuses(res *deployments.Result) map[string]deployments.Status {
	if res == nil {
		return nil
	}
	m := map[string]deployments.Status{}
	for _, a := range res.Actions {
		m[a.Table] = a.Status
	}
	return m
}

// spy wraps a client: it records the statements created, in order, counts
// the statements in flight (created, their phase not yet waited for), and
// calls afterCreate after each create.
type spy struct {
	deployments.Client
	afterCreate func(name string)

	mu                  sync.Mutex
	created             []string
	inFlight            map[string]bool
	waiting, maxWaiting int
}

func (s *spy) CreateStatement(ctx context.Context, r confluent.StatementRequest) (*confluent.Statement, error) {
	st, err := s.Client.CreateStatement(ctx, r)
	s.mu.Lock()
	s.created = append(s.created, r.Name)
	if s.inFlight == nil {
		s.inFlight = map[string]bool{}
	}
	if !s.inFlight[r.Name] {
		s.inFlight[r.Name] = true
		s.waiting++
		s.maxWaiting = max(s.maxWaiting, s.waiting)
	}
	s.mu.Unlock()
	if s.afterCreate != nil {
		s.afterCreate(r.Name)
	}
	return st, err
}

func (s *spy) WaitForPhase(ctx context.Context, name string, want ...confluent.Phase) (*confluent.Statement, error) {
	defer func() {
		s.mu.Lock()
		if s.inFlight[name] {
			delete(s.inFlight, name)
			s.waiting--
		}
		s.mu.Unlock()
	}()
	return s.Client.WaitForPhase(ctx, name, want...)
}

func (s *spy) createdNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.created...)
}
