package deployments_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/deployments"
	"github.com/shiftleft/shiftleft/planner"
)

func TestReadLive(t *testing.T) {
	fp := fingerprint("CREATE TABLE t (id STRING)")
	tests := []struct {
		name, sql string
		labels    map[string]string
		phase     confluent.Phase
		// fingerprint is what ReadLive reports.
		fingerprint string
	}{
		{name: "ddl-t", sql: "CREATE TABLE t (id STRING)", phase: confluent.PhaseCompleted,
			labels:      map[string]string{deployments.LabelTable: "t", deployments.LabelFingerprint: deployments.FingerprintLabel(fp)},
			fingerprint: fp[:32]},
		{name: "dml-t", sql: "INSERT INTO t SELECT id FROM raw", phase: confluent.PhaseRunning,
			labels:      map[string]string{deployments.LabelFingerprint: "0123abcd"},
			fingerprint: "0123abcd"},
		{name: "another-tool", sql: "CREATE TABLE u (id STRING)", phase: confluent.PhaseCompleted},
		{name: "other-labels", sql: "CREATE TABLE v (id STRING)", phase: confluent.PhaseCompleted,
			labels: map[string]string{"team": "sales"}},
	}
	r := newRig(t, nil)
	ctx := ctxFor(t)
	pool, err := r.Client.CreateComputePool(ctx, confluent.ComputePoolRequest{DisplayName: "dev-live", Cloud: "AWS", Region: "us-west-2", MaxCFU: 5})
	if err != nil {
		t.Fatal(err)
	}
	want := planner.Live{Statements: map[string]planner.Statement{}}
	for _, tt := range tests {
		if _, err := r.Client.CreateStatement(ctx, confluent.StatementRequest{Name: tt.name, SQL: tt.sql, ComputePoolID: pool.ID, Labels: tt.labels}); err != nil {
			t.Fatal(err)
		}
		st, err := r.Client.WaitForPhase(ctx, tt.name, tt.phase)
		if err != nil {
			t.Fatal(err)
		}
		want.Statements[tt.name] = planner.Statement{Name: tt.name, Phase: string(tt.phase), ComputePoolID: pool.ID,
			Fingerprint: tt.fingerprint, Table: tt.labels[deployments.LabelTable], Detail: st.Status.Detail, SQL: tt.sql}
	}
	// The pool is PROVISIONED once a statement ran in it; dml-t takes a CFU.
	want.Pools = []planner.ComputePool{{ID: pool.ID, Name: "dev-live", Phase: confluent.PoolProvisioned, CurrentCFU: 1, MaxCFU: 5}}
	got, err := deployments.ReadLive(ctx, r.Client)
	if err != nil {
		t.Fatal(err)
	}
	for name, st := range got.Statements {
		if st.CreatedAt.IsZero() {
			t.Errorf("%s: no creation time", name)
		}
		st.CreatedAt = time.Time{}
		got.Statements[name] = st
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(planner.Live{})); diff != "" {
		t.Errorf("live (-want +got):\n%s", diff)
	}
}

func TestReadLiveOf(t *testing.T) {
	r := newRig(t, nil)
	ctx := ctxFor(t)
	pool, err := r.Client.CreateComputePool(ctx, confluent.ComputePoolRequest{DisplayName: "dev-live", Cloud: "AWS", Region: "us-west-2", MaxCFU: 5})
	if err != nil {
		t.Fatal(err)
	}
	// t's DDL and DML by shiftleft, and a statement of t under a name its
	// Desired does not give (another version of its DML), u's DML by
	// another tool under the name shiftleft would give it, v's DDL: a read
	// of t and u sees their statements, whoever made them, and none of v's.
	for _, st := range []confluent.StatementRequest{
		{Name: "ddl-t", SQL: "CREATE TABLE t (id STRING)", Labels: map[string]string{deployments.LabelTable: "t"}},
		{Name: "dml-t", SQL: "INSERT INTO t SELECT id FROM raw", Labels: map[string]string{deployments.LabelTable: "t"}},
		{Name: "dml-t-v2", SQL: "INSERT INTO t SELECT id FROM raw WHERE id <> ''", Labels: map[string]string{deployments.LabelTable: "t"}},
		{Name: "dml-u", SQL: "INSERT INTO raw SELECT id FROM t"},
		{Name: "ddl-v", SQL: "CREATE TABLE v (id STRING)"},
	} {
		st.ComputePoolID = pool.ID
		if _, err := r.Client.CreateStatement(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	desired := []planner.Desired{
		{Table: "t", DDL: "ddl-t", DML: "dml-t", Drop: "drop-t"},
		{Table: "u", DDL: "ddl-u", DML: "dml-u", Drop: "drop-u"},
	}
	got, err := deployments.ReadLiveOf(ctx, r.Client, desired)
	if err != nil {
		t.Fatal(err)
	}
	all, err := deployments.ReadLive(ctx, r.Client)
	if err != nil {
		t.Fatal(err)
	}
	want := planner.Live{Statements: map[string]planner.Statement{}, Pools: all.Pools, Tables: map[string]bool{"t": true, "u": true}, Elsewhere: -1}
	for _, n := range []string{"ddl-t", "dml-t", "dml-t-v2", "dml-u"} {
		want.Statements[n] = all.Statements[n]
	}
	// Phases move on between the two reads; what is compared is which
	// statements, of what table, in which pool.
	for _, l := range []*planner.Live{&got, &want} {
		for n, st := range l.Statements {
			st.Phase, st.Detail = "", ""
			l.Statements[n] = st
		}
		for i := range l.Pools {
			l.Pools[i].Phase, l.Pools[i].CurrentCFU = "", 0
		}
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(planner.Live{})); diff != "" {
		t.Errorf("ReadLiveOf (-want +got):\n%s", diff)
	}
}

func TestReadLiveOfFailsOnAnError(t *testing.T) {
	r := newRig(t, nil)
	ctx, cancel := context.WithCancel(ctxFor(t))
	cancel()
	if _, err := deployments.ReadLiveOf(ctx, r.Client, []planner.Desired{{Table: "t", DDL: "ddl-t", Drop: "drop-t"}}); err == nil {
		t.Fatal("ReadLiveOf with a cancelled context: no error")
	}
}
