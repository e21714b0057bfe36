package main

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/confluent/emulator"
	"github.com/shiftleft/shiftleft/internal/emulatortest"
)

// target is an emulator served over HTTP and a client to inspect it.
type target struct {
	url    string
	emu    *emulator.Emulator
	client *confluent.Client
	// flags are added to every deploy.
	flags []string
}

// shiftLeft makes every deploy of tg use shift_left's behaviour,
// --strategy recreate --allow-drop: what the tests using it replay.
func (tg *target) shiftLeft() *target {
	tg.flags = []string{"--strategy", "recreate", "--allow-drop"}
	return tg
}

func newTarget(t *testing.T, opts ...emulator.Option) *target {
	t.Helper()
	r := emulatortest.Start(t, nil, append([]emulator.Option{emulator.ExternalTables([]string{"raw_topic"})}, opts...)...)
	return &target{url: r.URL, emu: r.Emulator, client: r.Client}
}

// deploy runs `shiftleft pipeline deploy` against the emulator.
func (tg *target) deploy(t *testing.T, dir string, flags ...string) result {
	t.Helper()
	return shiftleft(t, nil, slices.Concat([]string{"pipeline", "deploy", dir, "--emulator", tg.url}, tg.flags, flags)...)
}

func (tg *target) mustDeploy(t *testing.T, dir string, flags ...string) result {
	t.Helper()
	r := tg.deploy(t, dir, flags...)
	if r.code != exitOK {
		t.Fatalf("deploy %v: exit %d\n%s%s", flags, r.code, r.stdout, r.stderr)
	}
	return r
}

func (tg *target) statement(t *testing.T, name string) *confluent.Statement {
	t.Helper()
	st, err := tg.client.GetStatement(context.Background(), name)
	if err != nil {
		t.Fatalf("statement %s: %v", name, err)
	}
	return st
}

// creates is how many times each statement was created.
func (tg *target) creates() map[string]int { return tg.emu.Counters().Creates }

// pipelineTree writes goodTree, whose src reads the external raw_topic.
func pipelineTree(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "pipelines")
	writeTree(t, dir, goodTree)
	return dir
}

func dml(table, product string) string {
	return "dev-usw2-" + product + "-dml-" + strings.ReplaceAll(table, "_", "-")
}
func ddl(table, product string) string {
	return "dev-usw2-" + product + "-ddl-" + strings.ReplaceAll(table, "_", "-")
}

func TestDeployComputePool(t *testing.T) {
	t.Run("given with --compute-pool-id", func(t *testing.T) {
		tg, dir := newTarget(t).shiftLeft(), pipelineTree(t)
		pool, err := tg.client.CreateComputePool(context.Background(), confluent.ComputePoolRequest{DisplayName: "given", Cloud: "AWS", Region: "us-west-2", MaxCFU: 10})
		must(t, err)
		tg.mustDeploy(t, dir, "--table-name", "mid", "--compute-pool-id", pool.ID)
		if got := tg.statement(t, dml("mid", "p")).Spec.ComputePoolID; got != pool.ID {
			t.Errorf("mid runs in %s, want %s", got, pool.ID)
		}
	})
	t.Run("reused from the running statement", func(t *testing.T) {
		tg, dir := newTarget(t).shiftLeft(), pipelineTree(t)
		pool, err := tg.client.CreateComputePool(context.Background(), confluent.ComputePoolRequest{DisplayName: "first", Cloud: "AWS", Region: "us-west-2", MaxCFU: 10})
		must(t, err)
		tg.mustDeploy(t, dir, "--table-name", "mid", "--compute-pool-id", pool.ID)
		tg.mustDeploy(t, dir, "--table-name", "mid", "--force")
		if got := tg.statement(t, dml("mid", "p")).Spec.ComputePoolID; got != pool.ID {
			t.Errorf("redeployed mid runs in %s, want its running statement's pool %s", got, pool.ID)
		}
	})
	for _, tt := range []struct{ strategy, pool string }{{"", "dev-p"}, {"per-table", "dev-mid"}} {
		t.Run("created by naming convention, strategy "+tt.strategy, func(t *testing.T) {
			tg, dir := newTarget(t).shiftLeft(), pipelineTree(t)
			flags := []string{"--table-name", "mid"}
			if tt.strategy != "" {
				flags = append(flags, "--config", writeFile(t, "config.yaml", "flink:\n  pool_strategy: "+tt.strategy+"\n"))
			}
			r := tg.mustDeploy(t, dir, flags...)
			pools, err := tg.client.ListComputePools(context.Background())
			must(t, err)
			var id string
			for _, p := range pools {
				if p.Spec.DisplayName == tt.pool {
					id = p.ID
				}
			}
			if id == "" || tg.statement(t, dml("mid", "p")).Spec.ComputePoolID != id {
				t.Errorf("no pool %s used by mid (pools %+v)\n%s", tt.pool, pools, r.stdout)
			}
		})
	}
}

func TestDeployDMLOnly(t *testing.T) {
	tg, dir := newTarget(t).shiftLeft(), pipelineTree(t)
	tg.mustDeploy(t, dir, "--table-name", "mid")
	tg.mustDeploy(t, dir, "--table-name", "mid", "--dml-only", "--force")
	c := tg.creates()
	if c[ddl("mid", "p")] != 1 || c[dml("mid", "p")] != 2 || c["drop-mid"] != 0 {
		t.Errorf("--dml-only: creates %v; want the DDL once, the DML twice, no drop", c)
	}
}

func TestDeployDDLAndDMLDropsTheExistingTable(t *testing.T) {
	tg, dir := newTarget(t).shiftLeft(), pipelineTree(t)
	tg.mustDeploy(t, dir, "--table-name", "mid")
	r := tg.mustDeploy(t, dir, "--table-name", "mid", "--force")
	c := tg.creates()
	if c["drop-mid"] != 1 || c[ddl("mid", "p")] != 2 || c[dml("mid", "p")] != 2 {
		t.Errorf("forced DDL + DML: creates %v\n%s", c, r.stdout)
	}
	if !strings.Contains(r.stdout, "recreate") {
		t.Errorf("plan does not say recreate:\n%s", r.stdout)
	}
}

func TestDeployNewSinkDeploysMissingAncestorsAndSkipsRunningOnes(t *testing.T) {
	tg, dir := newTarget(t), pipelineTree(t)
	tg.mustDeploy(t, dir, "--table-name", "src")
	r := tg.mustDeploy(t, dir, "--table-name", "p_fct_sink")
	c := tg.creates()
	if c[dml("src", "p")] != 1 || c[dml("mid", "p")] != 1 || c[dml("p_fct_sink", "p")] != 1 {
		t.Errorf("creates %v", c)
	}
	if !strings.Contains(r.stdout, "already runs") {
		t.Errorf("src should be skipped as running:\n%s", r.stdout)
	}
	if tg.statement(t, dml("p_fct_sink", "p")).Status.Phase != confluent.PhaseRunning {
		t.Error("sink not running")
	}
}

func TestDeployExistingSink(t *testing.T) {
	for _, tt := range []struct {
		name  string
		flags []string
		drops int
	}{
		{"without --force: DML only", nil, 0},
		{"with --force: drop and recreate", []string{"--force"}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tg, dir := newTarget(t).shiftLeft(), pipelineTree(t)
			tg.mustDeploy(t, dir, "--table-name", "p_mv_sink")
			// A new version of the stateless sink's DML.
			writeTree(t, dir, map[string]string{"views/p/sink_view/sql-scripts/dml.p_mv_sink.sql": "INSERT INTO p_mv_sink SELECT id FROM p_fct_sink WHERE id <> '';"})
			tg.mustDeploy(t, dir, append([]string{"--table-name", "p_mv_sink"}, tt.flags...)...)
			c := tg.creates()
			if c["drop-p-mv-sink"] != tt.drops || c[dml("p_mv_sink", "p")] != 2 || c[ddl("p_mv_sink", "p")] != 1+tt.drops {
				t.Errorf("creates %v", c)
			}
		})
	}
}

func TestDeployStatefulDMLIsRecreatedWithoutForce(t *testing.T) {
	tg, dir := newTarget(t).shiftLeft(), pipelineTree(t)
	tg.mustDeploy(t, dir, "--table-name", "p_fct_sink")
	writeTree(t, dir, map[string]string{"facts/p/sink/sql-scripts/dml.p_fct_sink.sql": "INSERT INTO p_fct_sink SELECT id, COUNT(*) FROM mid WHERE id <> '' GROUP BY id;"})
	r := tg.mustDeploy(t, dir, "--table-name", "p_fct_sink")
	if c := tg.creates(); c["drop-p-fct-sink"] != 1 || c[ddl("p_fct_sink", "p")] != 2 {
		t.Errorf("stateful DML change: creates %v\n%s", c, r.stdout)
	}
	if !strings.Contains(r.stdout, "stateful") {
		t.Errorf("plan does not say why:\n%s", r.stdout)
	}
}

func TestDeployStatefulChangeRestartsDescendants(t *testing.T) {
	tg, dir := newTarget(t).shiftLeft(), pipelineTree(t)
	tg.mustDeploy(t, dir, "--table-name", "p_mv_sink")
	before := tg.creates()[dml("p_mv_sink", "p")]
	writeTree(t, dir, map[string]string{"facts/p/sink/sql-scripts/dml.p_fct_sink.sql": "INSERT INTO p_fct_sink SELECT id, COUNT(*) FROM mid WHERE id <> '' GROUP BY id;"})
	r := tg.mustDeploy(t, dir, "--table-name", "p_fct_sink", "--may-start-descendants")
	if after := tg.creates()[dml("p_mv_sink", "p")]; after != before+1 {
		t.Errorf("p_mv_sink DML created %d times after, %d before: not restarted\n%s", after, before, r.stdout)
	}
	if tg.statement(t, dml("p_mv_sink", "p")).Status.Phase != confluent.PhaseRunning {
		t.Error("restarted descendant not running")
	}
}

func TestDeployNeverDeploysExternalKafka(t *testing.T) {
	tg, dir := newTarget(t), pipelineTree(t)
	r := tg.mustDeploy(t, dir, "--table-name", "src", "--force-ancestors")
	for name := range tg.creates() {
		if strings.Contains(name, "raw-topic") {
			t.Errorf("external topic deployed: %s", name)
		}
	}
	if !strings.Contains(r.stdout, "external topic: never deployed") {
		t.Errorf("plan:\n%s", r.stdout)
	}
	if r := tg.deploy(t, dir, "--table-name", "raw_topic"); r.code != exitError || !strings.Contains(r.stderr, "external topic") {
		t.Errorf("deploying the topic itself: exit %d %s", r.code, r.stderr)
	}
}

func TestDeployFailingDMLBlocksItsDescendantsOnly(t *testing.T) {
	tree := map[string]string{}
	for k, v := range goodTree {
		tree[k] = v
	}
	// A sibling branch from src that does not go through mid.
	tree["facts/p/side/sql-scripts/ddl.p_fct_side.sql"] = "CREATE TABLE IF NOT EXISTS p_fct_side (id STRING);"
	tree["facts/p/side/sql-scripts/dml.p_fct_side.sql"] = "INSERT INTO p_fct_side SELECT id FROM src;"
	tree["views/p/all/sql-scripts/ddl.p_mv_all.sql"] = "CREATE TABLE IF NOT EXISTS p_mv_all (id STRING);"
	tree["views/p/all/sql-scripts/dml.p_mv_all.sql"] = "INSERT INTO p_mv_all SELECT id FROM p_mv_sink UNION ALL SELECT id FROM p_fct_side;"
	dir := filepath.Join(t.TempDir(), "pipelines")
	writeTree(t, dir, tree)
	tg := newTarget(t)
	must(t, tg.emu.SetFaults(emulator.Faults{FailStatements: map[string]string{dml("mid", "p"): "Column 'idd' not found in any table"}}))
	r := tg.deploy(t, dir, "--table-name", "p_mv_all")
	if r.code != exitError {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout+r.stderr, "Column 'idd' not found in any table") {
		t.Errorf("Flink's detail not shown:\n%s%s", r.stdout, r.stderr)
	}
	c := tg.creates()
	for _, blocked := range []string{"p_fct_sink", "p_mv_sink", "p_mv_all"} {
		if c[dml(blocked, "p")] != 0 {
			t.Errorf("%s deployed although it depends on the failed mid", blocked)
		}
	}
	if c[dml("p_fct_side", "p")] != 1 || tg.statement(t, dml("p_fct_side", "p")).Status.Phase != confluent.PhaseRunning {
		t.Errorf("the independent sibling p_fct_side was not deployed: %v", c)
	}
}

func TestDeployJSONAndDryRun(t *testing.T) {
	tg, dir := newTarget(t), pipelineTree(t)
	r := shiftleft(t, nil, "pipeline", "build-execution-plan", dir, "--table-name", "mid", "--emulator", tg.url, "--json")
	if r.code != exitOK || !strings.Contains(r.stdout, `"action": "create"`) || len(tg.creates()) != 0 {
		t.Errorf("build-execution-plan: exit %d, creates %v\n%s%s", r.code, tg.creates(), r.stdout, r.stderr)
	}
	r = tg.mustDeploy(t, dir, "--table-name", "mid", "--json")
	if !strings.Contains(r.stdout, `"result"`) || !strings.Contains(r.stdout, `"status": "succeeded"`) {
		t.Errorf("--json:\n%s", r.stdout)
	}
}

func TestDeploySeedForm(t *testing.T) {
	tg, dir := newTarget(t), pipelineTree(t)
	r := shiftleft(t, nil, "pipeline", "deploy", "--emulator", tg.url, "mid", dir)
	if r.code != exitOK || tg.creates()[dml("mid", "p")] != 1 {
		t.Errorf("deploy TABLE_NAME INVENTORY_PATH: exit %d %s", r.code, r.stderr)
	}
}

func TestDeployUsage(t *testing.T) {
	dir := pipelineTree(t)
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"nothing selected", nil, []string{"pipeline", "deploy", dir}, exitUsage, "say what to deploy"},
		{"two selectors", nil, []string{"pipeline", "deploy", dir, "--table-name", "a", "--product-name", "p"}, exitUsage, "mutually exclusive"},
		{"no target", nil, []string{"pipeline", "deploy", dir, "--table-name", "mid"}, exitError, "--emulator"},
		{"unknown table", nil, []string{"pipeline", "deploy", dir, "--table-name", "nope", "--emulator", "http://127.0.0.1:1"}, exitError, "nope"},
		{"bad --max-parallel", nil, []string{"pipeline", "deploy", dir, "--table-name", "mid", "--max-parallel", "0"}, exitUsage, "--max-parallel"},
		{"undeploy without --yes off a terminal", nil, []string{"pipeline", "undeploy", dir, "--table-name", "mid", "--emulator", "EMU"}, exitError, "--yes"},
	}
	tg := newTarget(t)
	tg.mustDeploy(t, dir, "--table-name", "mid")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := slices.Clone(tt.args)
			for i, a := range args {
				if a == "EMU" {
					args[i] = tg.url
				}
			}
			r := shiftleft(t, map[string]string{"HOME": t.TempDir()}, args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d (want %d), stderr %q should contain %q", r.code, tt.code, r.stderr, tt.want)
			}
		})
	}
}

func TestUndeploy(t *testing.T) {
	tg, dir := newTarget(t), pipelineTree(t)
	tg.mustDeploy(t, dir, "--table-name", "p_mv_sink")
	r := shiftleft(t, nil, "pipeline", "undeploy", dir, "--table-name", "mid", "--yes", "--emulator", tg.url)
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	left, err := tg.client.ListStatements(context.Background(), confluent.ListOptions{})
	must(t, err)
	var names []string
	for _, st := range left {
		names = append(names, st.Name)
	}
	slices.Sort(names)
	if want := []string{dml("src", "p")}; !slices.Equal(names, want) {
		t.Errorf("statements left %v, want %v (mid and everything below dropped)", names, want)
	}
	if c := tg.creates(); c["drop-mid"] != 1 || c["drop-p-mv-sink"] != 1 {
		t.Errorf("drops: %v", c)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
