package planner_test

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/shiftleft/shiftleft/internal/pipelinegen"
	"github.com/shiftleft/shiftleft/inventory"
	"github.com/shiftleft/shiftleft/pipeline"
	"github.com/shiftleft/shiftleft/planner"
)

// BenchmarkPlanOneChange plans the change of one source's DML in a
// generated 10,000-table DAG that runs in sync: what a push costs the
// planner, its descendants walked and compared with what runs.
func BenchmarkPlanOneChange(b *testing.B) {
	tree, inv, g := generated(b, 10_000)
	live := planner.Live{Statements: map[string]planner.Statement{}}
	created := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for i, d := range planner.DesiredState(inv, naming) {
		at := created.Add(time.Duration(i) * time.Second)
		live.Statements[d.DDL] = planner.Statement{Name: d.DDL, Phase: planner.PhaseCompleted, Fingerprint: d.Fingerprint, CreatedAt: at}
		if d.DML != "" {
			live.Statements[d.DML] = planner.Statement{Name: d.DML, Phase: planner.PhaseRunning, Fingerprint: d.Fingerprint, CreatedAt: at}
		}
	}
	// The source with the most descendants: the costliest change.
	var source string
	most := -1
	for _, tb := range tree.Tables {
		if n := len(g.Descendants(tb.Name)); tb.Type == "source" && n > most {
			source, most = tb.Name, n
		}
	}
	req := planner.Request{Changes: []planner.Change{{Table: source, DML: true}}}
	// Its DML runs other SQL, as after a push.
	st := live.Statements[naming.DML(source, inv.Tables[source].Product)]
	st.Fingerprint = "old"
	live.Statements[st.Name] = st
	b.ResetTimer()
	var work int
	for b.Loop() {
		p, err := planner.Build(g, live, req, planner.Options{MayStartDescendants: true})
		if err != nil {
			b.Fatal(err)
		}
		work = p.Work()
	}
	b.ReportMetric(float64(most), "descendants")
	b.ReportMetric(float64(work), "actions")
}

// BenchmarkPlanRefusedOverLimits plans a whole generated 10,000-table DAG,
// nothing running, into an environment of 50 pools of 50 CFU and 10,000
// statements, which it cannot fit: how long the refusal takes, before
// anything runs (the scale benchmark of make bench times the whole
// command).
func BenchmarkPlanRefusedOverLimits(b *testing.B) {
	_, _, g := generated(b, 10_000)
	var all []string
	for _, n := range g.Order() {
		if tb, _ := g.Table(n); !tb.External() {
			all = append(all, n)
		}
	}
	opts := planner.Options{PoolMaxCFU: 50, MaxCFURatio: 1, MaxPools: 50, MaxStatements: 10_000, Parallel: 64}
	b.ResetTimer()
	for b.Loop() {
		_, err := planner.Build(g, planner.Live{}, planner.Request{Ensure: all}, opts)
		if !errors.Is(err, planner.ErrNoCapacity) || !errors.Is(err, planner.ErrStatementQuota) {
			b.Fatalf("err %v, want ErrNoCapacity and ErrStatementQuota", err)
		}
	}
}

// generated is a generated tree of n tables, its inventory and its graph.
func generated(b *testing.B, n int) (*pipelinegen.Tree, *inventory.Inventory, *pipeline.Graph) {
	b.Helper()
	dir := b.TempDir()
	tree, err := pipelinegen.Generate(dir, pipelinegen.Options{Tables: n, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	inv, _, err := inventory.Build(os.DirFS(dir), inventory.Options{Root: "pipelines"})
	if err != nil {
		b.Fatal(err)
	}
	g, err := pipeline.New(inv)
	if err != nil {
		b.Fatal(err)
	}
	return tree, inv, g
}
