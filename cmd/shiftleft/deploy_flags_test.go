package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/confluent/emulator"
	"github.com/shiftleft/shiftleft/deployments"
	"github.com/shiftleft/shiftleft/inventory"
	"github.com/shiftleft/shiftleft/planner"
)

// twoProducts is goodTree with q_fct_other, of product q, reading p's
// stateful p_fct_sink.
func twoProducts(t *testing.T) string {
	t.Helper()
	dir := pipelineTree(t)
	writeTree(t, dir, map[string]string{
		"facts/q/other/sql-scripts/ddl.q_fct_other.sql": "CREATE TABLE IF NOT EXISTS q_fct_other (id STRING, n BIGINT);",
		"facts/q/other/sql-scripts/dml.q_fct_other.sql": "INSERT INTO q_fct_other SELECT id, n FROM p_fct_sink;",
	})
	return dir
}

// newStatefulSQL is a new version of p_fct_sink's stateful DML.
var newStatefulSQL = map[string]string{"facts/p/sink/sql-scripts/dml.p_fct_sink.sql": "INSERT INTO p_fct_sink SELECT id, COUNT(*) FROM mid WHERE id <> '' GROUP BY id;"}

// writeFile writes content to name in a temporary folder and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), name)
	must(t, os.WriteFile(file, []byte(content), 0o644))
	return file
}

// dryRunPlan is the plan `deploy --dry-run --json` prints.
func (tg *target) dryRunPlan(t *testing.T, dir string, flags ...string) *planner.Plan {
	t.Helper()
	r := tg.mustDeploy(t, dir, append(flags, "--dry-run", "--json")...)
	var out struct{ Plan planner.Plan }
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("dry run output: %v\n%s", err, r.stdout)
	}
	return &out.Plan
}

func TestDeploySelectionFlags(t *testing.T) {
	tests := []struct {
		name    string
		flags   func(t *testing.T) []string
		created []string // tables whose DML is created
		absent  []string // tables left alone
	}{
		{"--product-name deploys the product and what it needs", func(*testing.T) []string { return []string{"--product-name", "q"} },
			[]string{"src", "mid", "p_fct_sink", "q_fct_other"}, []string{"p_mv_sink"}},
		{"--table-list-file-name deploys each listed table", func(t *testing.T) []string {
			return []string{"--table-list-file-name", writeFile(t, "tables.txt", "# the sink only\nmid\n\np_mv_sink\n")}
		}, []string{"src", "mid", "p_fct_sink", "p_mv_sink"}, []string{"q_fct_other"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg, dir := newTarget(t), twoProducts(t)
			r := tg.mustDeploy(t, dir, tt.flags(t)...)
			c := tg.creates()
			for _, n := range tt.created {
				if c[dml(n, productOf(n))] != 1 {
					t.Errorf("%s: DML created %d times, want 1\n%s", n, c[dml(n, productOf(n))], r.stdout)
				}
			}
			for _, n := range tt.absent {
				if c[ddl(n, productOf(n))]+c[dml(n, productOf(n))] != 0 {
					t.Errorf("%s deployed: %v", n, c)
				}
			}
		})
	}
}

func productOf(table string) string {
	if strings.HasPrefix(table, "q_") {
		return "q"
	}
	return "p"
}

// TestDeployDescendantFlags: which descendants of a redeployed stateful
// table restart, as --exclude-table-file-name, --cross-product-deployment
// and app.accepted_common_products say. --dml-only keeps p_fct_sink's table:
// had it been dropped, every reader would restart, flags or not.
func TestDeployDescendantFlags(t *testing.T) {
	tests := []struct {
		name     string
		flags    func(t *testing.T) []string
		restarts map[string]bool
	}{
		{"another product's child is left alone", func(*testing.T) []string { return nil },
			map[string]bool{"p_mv_sink": true, "q_fct_other": false}},
		{"--cross-product-deployment restarts it", func(*testing.T) []string { return []string{"--cross-product-deployment"} },
			map[string]bool{"p_mv_sink": true, "q_fct_other": true}},
		{"app.accepted_common_products restarts it", func(t *testing.T) []string {
			return []string{"--config", writeFile(t, "config.yaml", "app:\n  accepted_common_products: [q]\n")}
		}, map[string]bool{"p_mv_sink": true, "q_fct_other": true}},
		{"--exclude-table-file-name never touches the listed tables", func(t *testing.T) []string {
			return []string{"--exclude-table-file-name", writeFile(t, "exclude.txt", "p_mv_sink\n"), "--cross-product-deployment"}
		}, map[string]bool{"p_mv_sink": false, "q_fct_other": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg, dir := newTarget(t).shiftLeft(), twoProducts(t)
			tg.mustDeploy(t, dir, "--table-list-file-name", writeFile(t, "all.txt", "p_mv_sink\nq_fct_other\n"))
			writeTree(t, dir, newStatefulSQL)
			r := tg.mustDeploy(t, dir, append([]string{"--table-name", "p_fct_sink", "--may-start-descendants", "--dml-only"}, tt.flags(t)...)...)
			c := tg.creates()
			for table, restarts := range tt.restarts {
				want := 1
				if restarts {
					want = 2
				}
				if got := c[dml(table, productOf(table))]; got != want {
					t.Errorf("%s: DML created %d times, want %d\n%s", table, got, want, r.stdout)
				}
			}
		})
	}
}

func TestDeployDryRunChangesNothing(t *testing.T) {
	tg, dir := newTarget(t), pipelineTree(t)
	r := tg.mustDeploy(t, dir, "--table-name", "p_mv_sink", "--dry-run")
	if len(tg.creates()) != 0 {
		t.Errorf("--dry-run created %v", tg.creates())
	}
	if !strings.Contains(r.stdout, "Plan: ") || !strings.Contains(r.stdout, "create  p_mv_sink") || strings.Contains(r.stdout, "succeeded") {
		t.Errorf("--dry-run should print the plan and no result:\n%s", r.stdout)
	}
}

// TestDeployDDLDropsTheExistingTableWithoutForce: an ancestor whose table
// exists with other SQL but whose DML does not run (it FAILED: its DML
// says the table exists, its DDL statement deleted once it ran) is dropped
// before its new DDL runs, with no --force.
func TestDeployDDLDropsTheExistingTableWithoutForce(t *testing.T) {
	tg, dir := newTarget(t).shiftLeft(), pipelineTree(t)
	tg.mustDeploy(t, dir, "--table-name", "mid")
	ctx := context.Background()
	must(t, tg.emu.SetFaults(emulator.Faults{FailStatements: map[string]string{dml("mid", "p"): "scripted: out of memory"}}))
	if _, err := tg.client.WaitForPhase(ctx, dml("mid", "p"), confluent.PhaseFailing, confluent.PhaseFailed); err != nil {
		t.Fatalf("mid's DML did not fail: %v", err)
	}
	must(t, tg.emu.SetFaults(emulator.Faults{}))
	writeTree(t, dir, map[string]string{"intermediates/p/mid/sql-scripts/ddl.mid.sql": "CREATE TABLE IF NOT EXISTS mid (id STRING, note STRING);"})
	r := tg.mustDeploy(t, dir, "--table-name", "p_fct_sink")
	if c := tg.creates(); c["drop-mid"] != 1 || c[ddl("mid", "p")] != 2 || c[dml("mid", "p")] != 2 {
		t.Errorf("mid: creates %v; want it dropped once and its DDL and DML run again\n%s", c, r.stdout)
	}
}

// TestDeployResumesAnInterruptedRecreate: a stateful table killed between
// its new DDL and its DML is finished on re-run, its DDL not run again.
func TestDeployResumesAnInterruptedRecreate(t *testing.T) {
	tg, dir := newTarget(t).shiftLeft(), pipelineTree(t)
	tg.mustDeploy(t, dir, "--table-name", "p_fct_sink")
	writeTree(t, dir, newStatefulSQL)

	// The first attempt: the recreate's steps up to its DDL, as a run
	// killed right after the DDL completed leaves them (the drop's helper
	// is deleted next, then the DML created).
	plan := tg.dryRunPlan(t, dir, "--table-name", "p_fct_sink")
	a, _ := plan.Action("p_fct_sink")
	ddlAt := slices.IndexFunc(a.Steps, func(s planner.Step) bool { return s.Kind == planner.CreateDDL })
	if a.Kind != planner.Recreate || ddlAt < 0 || a.Steps[len(a.Steps)-1].Kind != planner.CreateDML {
		t.Fatalf("first plan: %s %+v", a.Kind, a.Steps)
	}
	a.Steps, a.After, a.Wave = a.Steps[:ddlAt+1], nil, 0
	inv, _, err := inventory.Build(os.DirFS(dir), inventory.Options{Root: filepath.Base(dir)})
	must(t, err)
	runner, err := deployments.NewRunner(tg.client, deployments.TreeLoader(os.DirFS(dir), inv))
	must(t, err)
	// Its steps succeed; what runs afterwards says the DML is missing.
	res, err := runner.Run(context.Background(), &planner.Plan{Actions: []planner.Action{a}})
	if err != nil || res.Totals.Failed != 1 || len(res.OutOfSync) != 1 || res.OutOfSync[0].State != planner.Missing {
		t.Fatalf("interrupted recreate: %v %+v", err, res)
	}
	if _, err := tg.client.GetStatement(context.Background(), dml("p_fct_sink", "p")); err == nil {
		t.Fatal("the interrupted recreate left the DML")
	}
	before := tg.creates()

	r := tg.mustDeploy(t, dir, "--table-name", "p_fct_sink")
	if !strings.Contains(r.stdout, "resuming") {
		t.Errorf("re-run plan does not say it resumes:\n%s", r.stdout)
	}
	after := tg.creates()
	// One DDL per fingerprint: the old one and the new one, run once.
	for name, want := range map[string]int{ddl("p_fct_sink", "p"): 2, "drop-p-fct-sink": 1, dml("p_fct_sink", "p"): 2} {
		if after[name] != want {
			t.Errorf("%s created %d times (%d before the re-run), want %d\n%s", name, after[name], before[name], want, r.stdout)
		}
	}
	if st := tg.statement(t, dml("p_fct_sink", "p")); st.Status.Phase != confluent.PhaseRunning {
		t.Errorf("DML %s", st.Status.Phase)
	}
}

// TestDeployComputePoolFromConfig: flink.compute_pool_id is a fallback, used
// while under flink.max_cfu_percent_before_allocation, never over the pool
// a table runs in; flink.max_cfu sizes a pool the deploy creates.
func TestDeployComputePoolFromConfig(t *testing.T) {
	tests := []struct {
		name     string
		config   string
		table    string
		wantPool string // "configured", "running" or the name of a new pool
		maxCFU   int
	}{
		{"a new table runs in the configured pool", "", "mid", "configured", 0},
		{"a running table keeps its pool", "", "src", "running", 0},
		{"a configured pool over the CFU ratio is not used", "  max_cfu_percent_before_allocation: 0.4\n", "mid", "dev-p", 10},
		{"a new pool has flink.max_cfu", "  max_cfu_percent_before_allocation: 0.4\n  max_cfu: 20\n", "mid", "dev-p", 20},
		{"pools per table", "  max_cfu_percent_before_allocation: 0.4\n  pool_strategy: per-table\n", "mid", "dev-mid", 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg, dir := newTarget(t).shiftLeft(), pipelineTree(t)
			ctx := context.Background()
			newPool := func(name string) string {
				p, err := tg.client.CreateComputePool(ctx, confluent.ComputePoolRequest{DisplayName: name, Cloud: "AWS", Region: "us-west-2", MaxCFU: 2})
				must(t, err)
				return p.ID
			}
			running, configured := newPool("running"), newPool("configured")
			// src's DML uses 1 of the configured pool's 2 CFU... unless it
			// runs in its own pool.
			srcPool := configured
			if tt.wantPool == "running" {
				srcPool = running
			}
			tg.mustDeploy(t, dir, "--table-name", "src", "--compute-pool-id", srcPool)
			cfg := writeFile(t, "config.yaml", "flink:\n  compute_pool_id: "+configured+"\n"+tt.config)
			flags := []string{"--table-name", tt.table, "--config", cfg}
			if tt.table == "src" {
				flags = append(flags, "--force")
			}
			r := tg.mustDeploy(t, dir, flags...)
			got := tg.statement(t, dml(tt.table, "p")).Spec.ComputePoolID
			pools, err := tg.client.ListComputePools(ctx)
			must(t, err)
			for _, p := range pools {
				if p.ID == got {
					if p.Spec.DisplayName != tt.wantPool || tt.maxCFU != 0 && p.Spec.MaxCFU != tt.maxCFU {
						t.Errorf("%s runs in %s (%d CFU), want %s (%d CFU)\n%s", tt.table, p.Spec.DisplayName, p.Spec.MaxCFU, tt.wantPool, tt.maxCFU, r.stdout)
					}
					return
				}
			}
			t.Errorf("%s runs in unknown pool %q", tt.table, got)
		})
	}
}

// TestDeployInventoryPath: the seed's INVENTORY_PATH may name the
// inventory.json; a lone argument that looks like a missing path is
// reported as a missing folder, not taken for a table.
func TestDeployInventoryPath(t *testing.T) {
	tg, dir := newTarget(t), pipelineTree(t)
	mustRun(t, "table", "build-inventory", dir)
	r := shiftleft(t, nil, "pipeline", "deploy", "--emulator", tg.url, "mid", filepath.Join(dir, inventory.InventoryFile))
	if r.code != exitOK || tg.creates()[dml("mid", "p")] != 1 {
		t.Errorf("deploy TABLE_NAME path/inventory.json: exit %d %s", r.code, r.stderr)
	}
	for _, missing := range []string{filepath.Join(dir, "nope"), "nope/inventory.json", "inventory.json"} {
		r := shiftleft(t, map[string]string{"PIPELINES": dir}, "pipeline", "deploy", missing, "--emulator", tg.url)
		if r.code == exitOK || !strings.Contains(r.stderr, "pipelines folder "+missing+" does not exist") {
			t.Errorf("deploy %s: exit %d, stderr %q", missing, r.code, r.stderr)
		}
	}
}
