package deployments_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/confluent/emulator"
	"github.com/shiftleft/shiftleft/deployments"
	"github.com/shiftleft/shiftleft/internal/emulatortest"
	"github.com/shiftleft/shiftleft/internal/openapitest"
	"github.com/shiftleft/shiftleft/planner"
)

func TestRunCreatesChainFromScratch(t *testing.T) {
	r := newRig(t, nil)
	f := fixture{}
	p := plan(f.create("a"), f.create("b", "a"), f.create("c", "b"))
	s := &spy{Client: r.Client}
	const commit = "9fceb02d0ae598e95dc970b74767f19372d61af8"
	res, err := runner(t, s, f, deployments.WithCommit(commit),
		deployments.WithProperties(map[string]string{"sql.current-catalog": "dev", "sql.current-database": "cluster"}),
	).Run(ctxFor(t), p)
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed() || res.Status != deployments.StatusSucceeded || res.Totals.Succeeded != 3 {
		t.Fatalf("result %+v, want 3 actions succeeded", res)
	}
	var want []string
	for _, a := range p.Actions {
		want = append(want, a.Steps[0].Statement, a.Steps[1].Statement)
	}
	// A chain leaves one order: each table's DDL, then its DML, then the next table.
	if diff := cmp.Diff(want, s.createdNames()); diff != "" {
		t.Errorf("statements created (-want +got):\n%s", diff)
	}
	live, err := deployments.ReadLive(ctxFor(t), r.Client)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range p.Actions {
		got := res.Actions[i]
		if got.Table != a.Table || got.FinalPhase != confluent.PhaseRunning ||
			!slices.Equal(got.Statements, []string{a.Steps[0].Statement, a.Steps[1].Statement}) {
			t.Errorf("action %d: %+v", i, got)
		}
		ddl, dml := a.Steps[0], a.Steps[1]
		t.Run(ddl.Statement, func(t *testing.T) {
			// Deleted once the DML ran: the DML says the table exists.
			st, err := r.Client.GetStatement(ctxFor(t), ddl.Statement)
			if !errors.Is(err, confluent.ErrStatementNotFound) && (err != nil || st.Status.Phase != confluent.PhaseDeleting) {
				t.Errorf("DDL statement %+v (%v), want it deleted", st, err)
			}
		})
		t.Run(dml.Statement, func(t *testing.T) {
			st, err := r.Client.GetStatement(ctxFor(t), dml.Statement)
			if err != nil {
				t.Fatal(err)
			}
			if st.Status.Phase != confluent.PhaseRunning {
				t.Errorf("phase %s, want RUNNING", st.Status.Phase)
			}
			created, err := strconv.ParseInt(st.Metadata.Labels[deployments.LabelDDLCreated], 10, 64)
			if err != nil || created <= 0 {
				t.Errorf("DDL creation label %q: %v", st.Metadata.Labels[deployments.LabelDDLCreated], err)
			}
			wantLabels := map[string]string{
				deployments.LabelTable:          a.Table,
				deployments.LabelFingerprint:    dml.Fingerprint[:32],
				deployments.LabelCommit:         commit,
				deployments.LabelDDLFingerprint: ddl.Fingerprint[:32],
				deployments.LabelDDLCreated:     st.Metadata.Labels[deployments.LabelDDLCreated],
			}
			if diff := cmp.Diff(wantLabels, st.Metadata.Labels); diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
			if st.Spec.Properties["sql.current-catalog"] != "dev" || st.Spec.Properties["sql.current-database"] != "cluster" {
				t.Errorf("properties %v, want the runner's", st.Spec.Properties)
			}
			l := live.Statements[dml.Statement]
			if l.Fingerprint != deployments.FingerprintLabel(dml.Fingerprint) || l.Origin == nil ||
				l.Origin.Fingerprint != deployments.FingerprintLabel(ddl.Fingerprint) || l.Origin.CreatedAt.UnixNano() != created {
				t.Errorf("ReadLive: fingerprint %q, origin %+v; want %q and the DDL's", l.Fingerprint, l.Origin, deployments.FingerprintLabel(dml.Fingerprint))
			}
		})
	}
}

// deployed runs a plan that must succeed.
func deployed(t *testing.T, run *deployments.Runner, p *planner.Plan) {
	t.Helper()
	res, err := run.Run(ctxFor(t), p)
	if err != nil || res.Failed() {
		var errs []string
		for _, a := range res.Actions {
			if a.Error != "" {
				errs = append(errs, a.Table+": "+a.Error)
			}
		}
		t.Fatalf("run: %v; statuses %v; errors %v", err, statuses(res), errs)
	}
}

// chainSetup deploys a <- b at commit c1 before a test's plan.
func chainSetup(t *testing.T, r *rig, f fixture) {
	deployed(t, runner(t, r.Client, f, deployments.WithCommit("c1")), plan(f.create("a"), f.create("b", "a")))
}

func TestRerunCreatesNothing(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, r *rig, f fixture)
		plan  func(f fixture) *planner.Plan
		// creates counts the statements created by setup and plan.
		creates map[string]int
	}{
		{
			name: "create a chain",
			plan: func(f fixture) *planner.Plan {
				return plan(f.create("a"), f.create("b", "a"), f.create("c", "b"))
			},
			creates: map[string]int{"dev-usw2-ddl-a": 1, "dev-usw2-dml-a": 1, "dev-usw2-ddl-b": 1, "dev-usw2-dml-b": 1, "dev-usw2-ddl-c": 1, "dev-usw2-dml-c": 1},
		},
		{
			name:  "recreate a running table, its SQL changed",
			setup: chainSetup,
			plan: func(f fixture) *planner.Plan {
				f[ddlRef("b")] = "CREATE TABLE b (id STRING, amount INT)"
				return plan(skip("a"), f.action(planner.Recreate, "b", "a"))
			},
			creates: map[string]int{"dev-usw2-ddl-a": 1, "dev-usw2-dml-a": 1, "dev-usw2-ddl-b": 2, "dev-usw2-dml-b": 2, "drop-b": 1},
		},
		{
			// The DDL keeps its fingerprint, but the table it made was
			// dropped: it runs again.
			name:    "recreate a running table, its SQL unchanged",
			setup:   chainSetup,
			plan:    func(f fixture) *planner.Plan { return plan(skip("a"), f.action(planner.Recreate, "b", "a")) },
			creates: map[string]int{"dev-usw2-ddl-a": 1, "dev-usw2-dml-a": 1, "dev-usw2-ddl-b": 2, "dev-usw2-dml-b": 2, "drop-b": 1},
		},
		{
			name:    "restart a DML",
			setup:   chainSetup,
			plan:    func(f fixture) *planner.Plan { return plan(skip("a"), f.action(planner.RestartDML, "b", "a")) },
			creates: map[string]int{"dev-usw2-ddl-a": 1, "dev-usw2-dml-a": 1, "dev-usw2-ddl-b": 1, "dev-usw2-dml-b": 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, nil)
			f := fixture{}
			if tt.setup != nil {
				tt.setup(t, r, f)
			}
			p := tt.plan(f)
			run := runner(t, r.Client, f, deployments.WithCommit("c2"))
			for attempt := 1; attempt <= 2; attempt++ {
				deployed(t, run, p)
				if diff := cmp.Diff(tt.creates, r.Emulator.Counters().Creates); diff != "" {
					t.Errorf("run %d: creates (-want +got):\n%s", attempt, diff)
				}
			}
			for _, a := range p.Actions {
				if a.Kind == planner.Skip {
					continue
				}
				dml := naming.DML(a.Table, "")
				st, err := r.Client.GetStatement(ctxFor(t), dml)
				if err != nil {
					t.Fatal(err)
				}
				if st.Status.Phase != confluent.PhaseRunning || st.Metadata.Labels[deployments.LabelCommit] != "c2" {
					t.Errorf("%s: phase %s, labels %v; want RUNNING, deployed at c2", dml, st.Status.Phase, st.Metadata.Labels)
				}
			}
			if _, err := r.Client.GetStatement(ctxFor(t), naming.Drop("b")); !errors.Is(err, confluent.ErrStatementNotFound) {
				t.Errorf("the drop statement is left: %v", err)
			}
		})
	}
}

func TestInterruptedRunResumes(t *testing.T) {
	chain := func(f fixture) *planner.Plan { return plan(f.create("a"), f.create("b", "a"), f.create("c", "b")) }
	chainCreates := map[string]int{"dev-usw2-ddl-a": 1, "dev-usw2-dml-a": 1, "dev-usw2-ddl-b": 1, "dev-usw2-dml-b": 1, "dev-usw2-ddl-c": 1, "dev-usw2-dml-c": 1}
	recreate := func(f fixture) *planner.Plan {
		f[ddlRef("b")] = "CREATE TABLE b (id STRING, amount INT)"
		return plan(skip("a"), f.action(planner.Recreate, "b", "a"))
	}
	recreateCreates := map[string]int{"dev-usw2-ddl-a": 1, "dev-usw2-dml-a": 1, "dev-usw2-ddl-b": 2, "dev-usw2-dml-b": 2, "drop-b": 1}
	tests := []struct {
		name        string
		setup       func(t *testing.T, r *rig, f fixture)
		plan        func(f fixture) *planner.Plan
		cancelAfter string // the statement whose create cancels the first run
		creates     map[string]int
	}{
		{name: "chain, at the first create", plan: chain, cancelAfter: "dev-usw2-ddl-a", creates: chainCreates},
		{name: "chain, after the first table", plan: chain, cancelAfter: "dev-usw2-ddl-b", creates: chainCreates},
		{name: "chain, between a DDL and its DML", plan: chain, cancelAfter: "dev-usw2-dml-b", creates: chainCreates},
		{name: "chain, at the last create", plan: chain, cancelAfter: "dev-usw2-dml-c", creates: chainCreates},
		// The drop's helper stays until the new DDL completed: a re-run
		// finds the drop done, and runs it no second time.
		{name: "recreate, after the drop", setup: chainSetup, plan: recreate, cancelAfter: "drop-b", creates: recreateCreates},
		{name: "recreate, after the DDL", setup: chainSetup, plan: recreate, cancelAfter: "dev-usw2-ddl-b", creates: recreateCreates},
		{name: "recreate, after the DML", setup: chainSetup, plan: recreate, cancelAfter: "dev-usw2-dml-b", creates: recreateCreates},
		{
			name: "restart-dml, after the DML", setup: chainSetup, cancelAfter: "dev-usw2-dml-b",
			plan:    func(f fixture) *planner.Plan { return plan(skip("a"), f.action(planner.RestartDML, "b", "a")) },
			creates: map[string]int{"dev-usw2-ddl-a": 1, "dev-usw2-dml-a": 1, "dev-usw2-ddl-b": 1, "dev-usw2-dml-b": 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, nil)
			f := fixture{}
			if tt.setup != nil {
				tt.setup(t, r, f)
			}
			p := tt.plan(f)
			ctx, cancel := context.WithCancel(ctxFor(t))
			s := &spy{Client: r.Client, afterCreate: func(name string) {
				if name == tt.cancelAfter {
					cancel()
				}
			}}
			res, err := runner(t, s, f, deployments.WithCommit("c2")).Run(ctx, p)
			if !errors.Is(err, context.Canceled) || !res.Failed() || res.Totals.Cancelled == 0 {
				t.Fatalf("interrupted run: err %v, statuses %v; want cancelled", err, statuses(res))
			}
			deployed(t, runner(t, r.Client, f, deployments.WithCommit("c2")), p)
			if diff := cmp.Diff(tt.creates, r.Emulator.Counters().Creates); diff != "" {
				t.Errorf("creates (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFailureBlocksDescendants(t *testing.T) {
	// a feeds b and c, which both feed d; e reads b; x -> y is another branch.
	tests := []struct {
		name   string
		fail   string
		detail string
	}{
		{"DML fails", "dev-usw2-dml-b", "Kafka topic b: TopicAuthorizationException"},
		{"DDL fails", "dev-usw2-ddl-b", "Invalid table option 'kafka.retention.time'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, nil)
			if err := r.Emulator.SetFaults(emulator.Faults{FailStatements: map[string]string{tt.fail: tt.detail}}); err != nil {
				t.Fatal(err)
			}
			f := fixture{}
			p := plan(f.create("a"), f.create("x"), f.create("b", "a"), f.create("c", "a"), f.create("y", "x"),
				f.create("d", "b", "c"), f.create("e", "b"))
			res, err := runner(t, r.Client, f).Run(ctxFor(t), p)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]deployments.Status{
				"a": deployments.StatusSucceeded, "b": deployments.StatusFailed, "c": deployments.StatusSucceeded,
				"d": deployments.StatusBlocked, "e": deployments.StatusBlocked,
				"x": deployments.StatusSucceeded, "y": deployments.StatusSucceeded,
			}
			if diff := cmp.Diff(want, statuses(res)); diff != "" {
				t.Fatalf("statuses (-want +got):\n%s", diff)
			}
			if !res.Failed() || res.Status != deployments.StatusFailed ||
				res.Totals != (deployments.Totals{Actions: 7, Succeeded: 4, Failed: 1, Blocked: 2}) {
				t.Errorf("result status %s, totals %+v", res.Status, res.Totals)
			}
			for _, a := range res.Actions {
				switch a.Status {
				case deployments.StatusFailed:
					var failed *confluent.StatementFailedError
					if !errors.As(a.Err, &failed) || failed.Name != tt.fail || !strings.Contains(a.Error, tt.detail) {
						t.Errorf("%s: error %q, want the failure of %s with its detail", a.Table, a.Error, tt.fail)
					}
				case deployments.StatusBlocked:
					if a.BlockedBy != "b" || !strings.Contains(a.Error, "b failed") || len(a.Statements) > 0 {
						t.Errorf("%s: blocked by %q (%q), touched %v", a.Table, a.BlockedBy, a.Error, a.Statements)
					}
				}
			}
			for _, table := range []string{"d", "e"} {
				if n := r.Emulator.Counters().Creates[naming.DDL(table, "")]; n != 0 {
					t.Errorf("blocked table %s was deployed", table)
				}
			}
		})
	}
}

func TestMaxParallel(t *testing.T) {
	tests := []struct {
		name string
		max  int
	}{
		{"one at a time", 1},
		{"three at a time", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Phases last 50 ms, so every running action is in a wait long
			// enough for the others to start.
			r := newRig(t, nil, emulator.Latency(50*time.Millisecond))
			f := fixture{}
			actions := []planner.Action{f.create("root")}
			for i := range 2*tt.max + 1 {
				actions = append(actions, f.create("leaf"+string(rune('a'+i)), "root"))
			}
			s := &spy{Client: r.Client}
			deployed(t, runner(t, s, f, deployments.WithMaxParallel(tt.max)), plan(actions...))
			// An action has one statement in flight at a time.
			if s.maxWaiting != tt.max {
				t.Errorf("at most %d actions ran at once, want %d", s.maxWaiting, tt.max)
			}
			if tt.max == 1 {
				var want []string
				for _, a := range actions {
					want = append(want, a.Steps[0].Statement, a.Steps[1].Statement)
				}
				if diff := cmp.Diff(want, s.createdNames()); diff != "" {
					t.Errorf("one at a time, actions start in plan order (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestPoolCreatedOnce(t *testing.T) {
	const poolName = "dev-shared"
	const route = "POST /fcpm/v2/compute-pools"
	tests := []struct {
		name string
		// crashed: a run that crashed created the pool already.
		crashed bool
	}{
		{"no pool yet", false},
		{"a crashed run created it", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, nil, emulator.Latency(20*time.Millisecond))
			if tt.crashed {
				if _, err := r.Client.CreateComputePool(ctxFor(t), confluent.ComputePoolRequest{
					DisplayName: poolName, Cloud: "AWS", Region: "us-west-2", MaxCFU: 10}); err != nil {
					t.Fatal(err)
				}
			}
			f := fixture{}
			p := plan(f.create("a"), f.create("b"))
			for i := range p.Actions {
				p.Actions[i].Pool = &planner.Pool{Create: &planner.NewPool{Name: poolName, MaxCFU: 10}, Reason: "no pool"}
			}
			deployed(t, runner(t, r.Client, f, deployments.WithPoolLocation("AWS", "us-west-2")), p)
			if n := r.Emulator.Counters().Requests[route]; n != 1 {
				t.Errorf("%d pool creates, want 1", n)
			}
			pools, err := r.Client.ListComputePools(ctxFor(t))
			if err != nil || len(pools) != 1 || pools[0].Spec.DisplayName != poolName {
				t.Fatalf("pools %+v (%v), want one named %s", pools, err, poolName)
			}
			id := pools[0].ID
			for _, a := range p.Actions {
				for _, step := range a.Steps {
					if step.Kind != planner.CreateDML {
						continue // the DDL is deleted once the DML runs
					}
					st, err := r.Client.GetStatement(ctxFor(t), step.Statement)
					if err != nil {
						t.Fatal(err)
					}
					if st.Spec.ComputePoolID != id {
						t.Errorf("%s runs in pool %s, want %s", step.Statement, st.Spec.ComputePoolID, id)
					}
				}
			}
		})
	}
}

func TestStepTimeout(t *testing.T) {
	r := newRig(t, nil)
	pool, err := r.Client.CreateComputePool(ctxFor(t), confluent.ComputePoolRequest{
		DisplayName: "dev-tiny", Cloud: "AWS", Region: "us-west-2", MaxCFU: 1})
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{}
	// busy takes the pool's only CFU, so a's DML waits PENDING.
	p := plan(f.create("busy"), f.create("a", "busy"))
	for i := range p.Actions {
		p.Actions[i].Pool = &planner.Pool{ID: pool.ID, Reason: "tiny"}
	}
	res, err := runner(t, r.Client, f, deployments.WithStepTimeouts(time.Minute, 300*time.Millisecond)).Run(ctxFor(t), p)
	if err != nil {
		t.Fatal(err)
	}
	a := res.Actions[1]
	if a.Status != deployments.StatusFailed || !errors.Is(a.Err, deployments.ErrStepTimeout) || !strings.Contains(a.Error, "PENDING") {
		t.Errorf("a: %s, %v; want failed on the DML timeout, naming the phase", a.Status, a.Err)
	}
}

func TestRunRefusesBadPlans(t *testing.T) {
	f := fixture{}
	withPool := f.create("a")
	withPool.Pool = &planner.Pool{Create: &planner.NewPool{Name: "dev-a", MaxCFU: 5}}
	unknownStep := f.create("a")
	unknownStep.Steps = append(unknownStep.Steps, planner.Step{Kind: "truncate", Statement: "x"})
	noRef := f.create("a")
	noRef.Steps[1].Ref = ""
	tests := []struct {
		name    string
		plan    *planner.Plan
		wantErr error
	}{
		{"no plan", nil, deployments.ErrInvalidPlan},
		{"a table twice", plan(f.create("a"), f.create("a")), deployments.ErrInvalidPlan},
		{"a parent the plan lacks", plan(f.create("b", "a")), deployments.ErrInvalidPlan},
		{"a cycle", plan(f.create("a", "c"), f.create("b", "a"), f.create("c", "b")), deployments.ErrInvalidPlan},
		{"an unknown step", plan(unknownStep), deployments.ErrInvalidPlan},
		{"a create without its file", plan(noRef), deployments.ErrInvalidPlan},
		{"a pool to create, nowhere to create it", plan(withPool), deployments.ErrInvalidOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, nil)
			res, err := runner(t, r.Client, f).Run(ctxFor(t), tt.plan)
			if !errors.Is(err, tt.wantErr) || res != nil {
				t.Fatalf("err %v, result %v; want %v and no result", err, res, tt.wantErr)
			}
			if n := len(r.Emulator.Counters().Requests); n != 0 {
				t.Errorf("%d requests sent for a plan refused", n)
			}
		})
	}
}

func TestNewRunnerOptions(t *testing.T) {
	r := newRig(t, nil)
	load := fixture{}.load
	tests := []struct {
		name    string
		client  deployments.Client
		load    deployments.Loader
		opts    []deployments.Option
		wantErr error
	}{
		{name: "defaults", client: r.Client, load: load},
		{name: "nil client", load: load, wantErr: deployments.ErrInvalidOption},
		{name: "nil loader", client: r.Client, wantErr: deployments.ErrInvalidOption},
		{name: "zero parallel", client: r.Client, load: load, opts: []deployments.Option{deployments.WithMaxParallel(0)}, wantErr: deployments.ErrInvalidOption},
		{name: "nil logger", client: r.Client, load: load, opts: []deployments.Option{deployments.WithLogger(nil)}, wantErr: deployments.ErrInvalidOption},
		{name: "empty principal", client: r.Client, load: load, opts: []deployments.Option{deployments.WithPrincipal("")}, wantErr: deployments.ErrInvalidOption},
		{name: "empty property key", client: r.Client, load: load, opts: []deployments.Option{deployments.WithProperties(map[string]string{"": "x"})}, wantErr: deployments.ErrInvalidOption},
		{name: "commit without a letter", client: r.Client, load: load, opts: []deployments.Option{deployments.WithCommit("--")}, wantErr: deployments.ErrInvalidOption},
		{name: "nil progress", client: r.Client, load: load, opts: []deployments.Option{deployments.WithProgress(nil)}, wantErr: deployments.ErrInvalidOption},
		{name: "zero timeout", client: r.Client, load: load, opts: []deployments.Option{deployments.WithStepTimeouts(0, time.Minute)}, wantErr: deployments.ErrInvalidOption},
		{name: "nil clock", client: r.Client, load: load, opts: []deployments.Option{deployments.WithClock(nil)}, wantErr: deployments.ErrInvalidOption},
		{name: "pool region missing", client: r.Client, load: load, opts: []deployments.Option{deployments.WithPoolLocation("AWS", "")}, wantErr: deployments.ErrInvalidOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run, err := deployments.NewRunner(tt.client, tt.load, tt.opts...)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (run != nil) {
				t.Fatalf("runner %v, err %v; want %v", run, err, tt.wantErr)
			}
		})
	}
}

func TestStatementSettings(t *testing.T) {
	r := newRig(t, nil)
	f := fixture{}
	p := plan(f.create("a"))
	files := func(ref string) (string, map[string]string, error) {
		sql, _, err := f.load(ref)
		return sql, map[string]string{"sql.current-database": "from-file", "sql.state-ttl": "1 d"}, err
	}
	run, err := deployments.NewRunner(r.Client, files, deployments.WithPrincipal("sa-deployer"),
		deployments.WithProperties(map[string]string{"sql.current-catalog": "dev", "sql.current-database": "default"}))
	if err != nil {
		t.Fatal(err)
	}
	deployed(t, run, p)
	st, err := r.Client.GetStatement(ctxFor(t), naming.DML("a", ""))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"sql.current-catalog": "dev", "sql.current-database": "from-file", "sql.state-ttl": "1 d"}
	if diff := cmp.Diff(want, st.Spec.Properties); diff != "" || st.Spec.Principal != "sa-deployer" {
		t.Errorf("principal %q; properties, the file's over the runner's (-want +got):\n%s", st.Spec.Principal, diff)
	}
	labels := maps.Clone(st.Metadata.Labels)
	delete(labels, deployments.LabelDDLCreated)
	if _, ok := labels[deployments.LabelCommit]; ok || !maps.Equal(labels, map[string]string{
		deployments.LabelTable: "a", deployments.LabelFingerprint: deployments.FingerprintLabel(p.Actions[0].Steps[1].Fingerprint),
		deployments.LabelDDLFingerprint: deployments.FingerprintLabel(p.Actions[0].Steps[0].Fingerprint),
	}) {
		t.Errorf("labels %v: want no commit label without a commit", st.Metadata.Labels)
	}
}

func TestRunFollowsTheSpecs(t *testing.T) {
	v := openapitest.New(t, openapitest.ConfluentSpecs(t)...)
	r := newRig(t, v, emulator.Latency(5*time.Millisecond))
	f := fixture{}
	chainSetup(t, r, f)
	p := plan(skip("a"), f.action(planner.Recreate, "b", "a"))
	p.Actions[1].Pool = &planner.Pool{Create: &planner.NewPool{Name: "dev-b", MaxCFU: 5}}
	deployed(t, runner(t, r.Client, f, deployments.WithCommit("c2"), deployments.WithPoolLocation("AWS", "us-west-2")), p)
	if _, err := deployments.ReadLive(ctxFor(t), r.Client); err != nil {
		t.Fatal(err)
	}
	// Every call the runner and ReadLive make was checked.
	for _, op := range []string{"createSqlv1Statement", "getSqlv1Statement", "listSqlv1Statements", "deleteSqlv1Statement",
		"createFcpmV2ComputePool", "getFcpmV2ComputePool", "listFcpmV2ComputePools"} {
		if v.Covered()[op] == 0 {
			t.Errorf("no %s exchange was validated; covered: %v", op, v.Covered())
		}
	}
}

// TestRunFailsATableNotInSyncAfterwards: every step succeeded, but a's DML
// failed before the run was over: the run reads what runs back and fails.
func TestRunFailsATableNotInSyncAfterwards(t *testing.T) {
	r := newRig(t, nil)
	f := fixture{}
	p := plan(f.create("a"), f.create("b", "a"))
	s := &spy{Client: r.Client, afterCreate: func(name string) {
		if name == naming.DML("b", "") {
			if err := r.Emulator.SetFaults(emulator.Faults{FailStatements: map[string]string{naming.DML("a", ""): "Kafka topic a: deleted"}}); err != nil {
				t.Error(err)
			}
		}
	}}
	res, err := runner(t, s, f).Run(ctxFor(t), p)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Failed() || !res.Verified || res.Status != deployments.StatusFailed {
		t.Fatalf("failed %v verified %v status %s, want a failed, verified run", res.Failed(), res.Verified, res.Status)
	}
	if len(res.OutOfSync) != 1 || res.OutOfSync[0].Table != "a" || res.OutOfSync[0].State != planner.Failed {
		t.Fatalf("out of sync %v, want a failed", res.OutOfSync)
	}
	got := statuses(res)
	if got["a"] != deployments.StatusFailed || got["b"] != deployments.StatusSucceeded {
		t.Errorf("statuses %v, want a failed and b succeeded", got)
	}
	if a := res.Actions[0]; !strings.Contains(a.Error, "Kafka topic a: deleted") {
		t.Errorf("a's error %q does not carry Flink's detail", a.Error)
	}
	if res.Totals.Failed != 1 || res.Totals.Succeeded != 1 {
		t.Errorf("totals %+v", res.Totals)
	}
}

// TestRunThroughTransientErrors: half the API's answers are 429s and 503s,
// more than a client allowed 2 attempts per call gets through, and some
// creates and deletes are applied with their answers lost. Every step goes
// on until it succeeds; no statement is created twice; the run is verified.
func TestRunThroughTransientErrors(t *testing.T) {
	r := newRig(t, nil)
	f := fixture{}
	// A chain deployed cleanly first, then recreated and restarted under
	// faults, and a new table created.
	deployed(t, runner(t, r.Client, f, deployments.WithCommit("c1")), plan(f.create("a"), f.create("b", "a")))
	client, err := confluent.New(confluent.WithHTTPClient(r.HTTP), confluent.WithFlinkURL(r.URL), confluent.WithCloudURL(r.URL),
		confluent.WithOrganization(emulatortest.Organization), confluent.WithEnvironment(emulatortest.Environment),
		confluent.WithFlinkAPIKey(emulatortest.FlinkKey, emulatortest.FlinkSecret),
		confluent.WithCloudAPIKey(emulatortest.CloudKey, emulatortest.CloudSecret),
		confluent.WithRetry(confluent.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}),
		confluent.WithPollInterval(time.Millisecond, 5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Emulator.SetFaults(emulator.Faults{ErrorRate: 0.5, LostResponseRate: 0.3}); err != nil {
		t.Fatal(err)
	}
	f[ddlRef("a")] = "CREATE TABLE a (id STRING, note STRING)"
	before := r.Emulator.Counters().Creates
	p := plan(f.action(planner.Recreate, "a"), f.action(planner.RestartDML, "b", "a"), f.create("c", "b"))
	res, err := runner(t, client, f, deployments.WithCommit("c2")).Run(ctxFor(t), p)
	if err != nil || res.Failed() || !res.Verified {
		t.Fatalf("run: %v, statuses %v, out of sync %v", err, statuses(res), res.OutOfSync)
	}
	if err := r.Emulator.SetFaults(emulator.Faults{}); err != nil {
		t.Fatal(err)
	}
	for name, n := range r.Emulator.Counters().Creates {
		if n-before[name] > 1 {
			t.Errorf("%s created %d times", name, n-before[name])
		}
	}
}
