package deployments_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/confluent/emulator"
	"github.com/shiftleft/shiftleft/deployments"
	"github.com/shiftleft/shiftleft/planner"
)

// fullPool makes a compute pool of 5 CFU and a plan whose five first tables
// fill it, and whose sixth, which waits for them, finds it full.
func fullPool(t *testing.T, r *rig, f fixture) (*planner.Plan, string) {
	t.Helper()
	pool, err := r.Client.CreateComputePool(ctxFor(t), confluent.ComputePoolRequest{DisplayName: "small", Cloud: "AWS", Region: "us-west-2", MaxCFU: 5})
	if err != nil {
		t.Fatal(err)
	}
	var actions []planner.Action
	var first []string
	for i := range 5 {
		name := fmt.Sprintf("a%d", i)
		actions = append(actions, f.create(name))
		first = append(first, name)
	}
	actions = append(actions, f.create("b", first...))
	p := plan(actions...)
	for i := range p.Actions {
		p.Actions[i].Pool = &planner.Pool{ID: pool.ID, Reason: "test"}
	}
	return p, pool.ID
}

// TestPendingTimeout: a DML left PENDING by a full pool fails its step after
// the pending timeout, naming the statement, the pool and Confluent's
// detail; the tables that found room run.
func TestPendingTimeout(t *testing.T) {
	r := newRig(t, nil)
	f := fixture{}
	p, pool := fullPool(t, r, f)
	res, err := runner(t, r.Client, f, deployments.WithPendingTimeout(200*time.Millisecond)).Run(ctxFor(t), p)
	if err != nil {
		t.Fatal(err)
	}
	b := res.Actions[len(res.Actions)-1]
	if b.Status != deployments.StatusFailed || !errors.Is(b.Err, deployments.ErrPendingTimeout) {
		t.Fatalf("b: %s %v, want failed with ErrPendingTimeout", b.Status, b.Err)
	}
	for _, want := range []string{naming.DML("b", ""), pool, "has reached its maximum of 5 CFU"} {
		if !strings.Contains(b.Error, want) {
			t.Errorf("b's error %q does not name %q", b.Error, want)
		}
	}
	for _, a := range res.Actions[:5] {
		if a.Status != deployments.StatusSucceeded {
			t.Errorf("%s: %s %s, want succeeded", a.Table, a.Status, a.Error)
		}
	}
}

func TestPendingTimeoutOption(t *testing.T) {
	r := newRig(t, nil)
	for _, d := range []time.Duration{0, -time.Second} {
		if _, err := deployments.NewRunner(r.Client, fixture{}.load, deployments.WithPendingTimeout(d)); !errors.Is(err, deployments.ErrInvalidOption) {
			t.Errorf("pending timeout %s: %v, want ErrInvalidOption", d, err)
		}
	}
}

// degradeOnList turns a statement DEGRADED (or FAILED) once the first list
// of statements answered: within a settle window, after every step.
type degradeOnList struct {
	deployments.Client
	r      *rig
	faults emulator.Faults
	once   sync.Once
}

func (d *degradeOnList) ListStatements(ctx context.Context, o confluent.ListOptions) ([]confluent.Statement, error) {
	l, err := d.Client.ListStatements(ctx, o)
	d.once.Do(func() {
		if ferr := d.r.Emulator.SetFaults(d.faults); ferr != nil {
			panic(ferr)
		}
	})
	return l, err
}

// TestSettle: a statement that turns DEGRADED or FAILED after the last step
// fails the deploy with Flink's detail when the run watches its statements
// settle, and not when it does not; the report names what runs, what is
// degraded and the running table left unchanged.
func TestSettle(t *testing.T) {
	const detail = "Kafka topic a: 3 partitions unavailable"
	tests := []struct {
		name      string
		settle    time.Duration
		faults    emulator.Faults
		wantA     deployments.Status
		wantPhase confluent.Phase
		degraded  []string
	}{
		{"degraded, watched", 2 * time.Second, emulator.Faults{DegradeStatements: map[string]string{naming.DML("a", ""): detail}},
			deployments.StatusFailed, confluent.PhaseDegraded, []string{"a"}},
		{"failed, watched", 2 * time.Second, emulator.Faults{FailStatements: map[string]string{naming.DML("a", ""): detail}},
			deployments.StatusFailed, confluent.PhaseFailed, nil},
		{"degraded, not watched", 0, emulator.Faults{DegradeStatements: map[string]string{naming.DML("a", ""): detail}},
			deployments.StatusSucceeded, confluent.PhaseRunning, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, nil)
			f := fixture{}
			deployed(t, runner(t, r.Client, f), plan(f.create("x")))
			x := f.create("x")
			x.Kind, x.Steps, x.Expect = planner.Skip, nil, planner.ExpectRunning
			p := plan(x, f.create("a"), f.create("b", "a"))
			client := &degradeOnList{Client: r.Client, r: r, faults: tt.faults}
			res, err := runner(t, client, f, deployments.WithSettle(tt.settle)).Run(ctxFor(t), p)
			if err != nil {
				t.Fatal(err)
			}
			a := res.Actions[1]
			if a.Status != tt.wantA {
				t.Fatalf("a: %s (%s), want %s", a.Status, a.Error, tt.wantA)
			}
			if tt.wantA == deployments.StatusFailed {
				if !errors.Is(a.Err, deployments.ErrUnsettled) || !strings.Contains(a.Error, detail) || a.FinalPhase != tt.wantPhase && !(tt.wantPhase.Failed() && a.FinalPhase.Failed()) {
					t.Errorf("a: %v (phase %s), want ErrUnsettled with Flink's detail, phase %s", a.Err, a.FinalPhase, tt.wantPhase)
				}
				if !res.Failed() {
					t.Error("the run did not fail")
				}
			}
			if b := res.Actions[2]; b.Status != deployments.StatusSucceeded {
				t.Errorf("b: %s %s", b.Status, b.Error)
			}
			h := res.Health
			if h == nil {
				t.Fatal("no health report")
			}
			wantRunning := []string{"b"}
			if tt.wantA == deployments.StatusSucceeded {
				wantRunning = []string{"a", "b"}
			}
			if !slices.Equal(h.Running, wantRunning) || !slices.Equal(h.Degraded, tt.degraded) || !slices.Equal(h.Unchanged, []string{"x"}) {
				t.Errorf("health %+v, want running %v, degraded %v, unchanged [x]", h, wantRunning, tt.degraded)
			}
		})
	}
}

func TestSettleOption(t *testing.T) {
	r := newRig(t, nil)
	if _, err := deployments.NewRunner(r.Client, fixture{}.load, deployments.WithSettle(-time.Second)); !errors.Is(err, deployments.ErrInvalidOption) {
		t.Errorf("settle -1s: %v, want ErrInvalidOption", err)
	}
}

// TestRunUnder429s: a fifth of the API's answers are 429s (and another fifth
// 503s): the run lowers its parallelism, completes and is verified, and no
// statement is created twice.
func TestRunUnder429s(t *testing.T) {
	r := newRig(t, nil)
	f := fixture{}
	var actions []planner.Action
	for i := range 4 {
		root := fmt.Sprintf("r%d", i)
		actions = append(actions, f.create(root))
		for j := range 3 {
			actions = append(actions, f.create(fmt.Sprintf("%s_c%d", root, j), root))
		}
	}
	if err := r.Emulator.SetFaults(emulator.Faults{ErrorRate: 0.4}); err != nil {
		t.Fatal(err)
	}
	res, err := runner(t, r.Client, f, deployments.WithMaxParallel(8)).Run(ctxFor(t), plan(actions...))
	if err != nil || res.Failed() || !res.Verified {
		t.Fatalf("run: %v, statuses %v, out of sync %v", err, statuses(res), res.OutOfSync)
	}
	if err := r.Emulator.SetFaults(emulator.Faults{}); err != nil {
		t.Fatal(err)
	}
	if res.Throttled == 0 || res.LowestParallel < 1 || res.LowestParallel >= 8 {
		t.Errorf("%d 429s, lowest parallelism %d: want some 429s and a parallelism lowered from 8", res.Throttled, res.LowestParallel)
	}
	for name, n := range r.Emulator.Counters().Creates {
		if n != 1 {
			t.Errorf("%s created %d times", name, n)
		}
	}
}

// deleteSpy cancels the run once a statement was deleted.
type deleteSpy struct {
	deployments.Client
	name   string
	cancel context.CancelFunc
}

func (d *deleteSpy) DeleteStatement(ctx context.Context, name string) error {
	err := d.Client.DeleteStatement(ctx, name)
	if name == d.name {
		d.cancel()
	}
	return err
}

// TestOneStatementATable: a table with DML leaves its DML alone, its DDL
// statement deleted once the DML runs; one whose DDL cannot run again as a
// no-op (a plain CREATE TABLE) keeps its DDL. A recreate of a table whose
// DML is its one statement drops the table before deleting the DML, so a
// run stopped right after the delete leaves the drop's helper, which says
// the table was dropped; the re-run finishes the recreate.
func TestOneStatementATable(t *testing.T) {
	r := newRig(t, nil)
	f := fixture{}
	f[ddlRef("plain")] = "CREATE TABLE plain (id STRING)"
	deployed(t, runner(t, r.Client, f), plan(f.create("a"), f.create("plain")))
	live, err := deployments.ReadLive(ctxFor(t), r.Client)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for name, st := range live.Statements {
		if st.Phase != string(confluent.PhaseDeleting) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	want := []string{naming.DDL("plain", ""), naming.DML("a", ""), naming.DML("plain", "")}
	if !slices.Equal(names, want) {
		t.Fatalf("live statements %v, want %v", names, want)
	}
	first := live.Statements[naming.DML("a", "")].Origin

	ctx, cancel := context.WithCancel(ctxFor(t))
	defer cancel()
	client := &deleteSpy{Client: r.Client, name: naming.DML("a", ""), cancel: cancel}
	p := plan(f.action(planner.Recreate, "a"))
	if _, err := runner(t, client, f).Run(ctx, p); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	if st, err := r.Client.GetStatement(ctxFor(t), naming.Drop("a")); err != nil || st.Status.Phase != confluent.PhaseCompleted {
		t.Fatalf("after the DML's delete: drop helper %+v (%v), want it COMPLETED", st, err)
	}
	deployed(t, runner(t, r.Client, f), p)
	if c := r.Emulator.Counters().Creates; c[naming.Drop("a")] != 1 || c[naming.DDL("a", "")] != 2 || c[naming.DML("a", "")] != 2 {
		t.Errorf("creates %v: want a dropped once, its DDL and DML created again once", c)
	}
	live, err = deployments.ReadLive(ctxFor(t), r.Client)
	if err != nil {
		t.Fatal(err)
	}
	if st := live.Statements[naming.DML("a", "")]; st.Origin == nil || !st.Origin.CreatedAt.After(first.CreatedAt) {
		t.Errorf("the new DML's origin %+v, want a DDL newer than %+v", st.Origin, first)
	}
}
