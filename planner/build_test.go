package planner_test

import (
	"errors"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/internal/corpus"
	"github.com/shiftleft/shiftleft/inventory"
	"github.com/shiftleft/shiftleft/pipeline"
	"github.com/shiftleft/shiftleft/planner"
)

var naming = planner.DefaultNaming

// corpusGraph is shift_left's sample project, whose p2 product is the graph
// of its execution-plan tests.
func corpusGraph(t *testing.T) *pipeline.Graph {
	t.Helper()
	inv, _, err := inventory.Build(os.DirFS(corpus.Dir(t, "corpus", "shift_left", "pipelines")), inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	g, err := pipeline.New(inv)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// running returns the live state where the DML of every table of g runs,
// except notRunning; statements carry no fingerprint, as shift_left's.
func running(g *pipeline.Graph, notRunning ...string) planner.Live {
	live := planner.Live{Statements: map[string]planner.Statement{}}
	for _, n := range g.Order() {
		t, _ := g.Table(n)
		if t.External() || slices.Contains(notRunning, n) {
			continue
		}
		for _, name := range []string{naming.DDL(t.Name, t.Product), naming.DML(t.Name, t.Product)} {
			phase := planner.PhaseRunning
			if strings.Contains(name, "-ddl-") {
				phase = planner.PhaseCompleted
			}
			live.Statements[name] = planner.Statement{Name: name, Phase: phase, ComputePoolID: "lfcp-1"}
		}
	}
	return live
}

// sets splits a plan as shift_left's tests do: tables to run (ancestors and
// other parents deployed) and tables to restart (start tables and impacted
// descendants).
func sets(p *planner.Plan) (run, restart []string) {
	for _, a := range p.Actions {
		switch {
		case a.Kind == planner.Skip:
		case a.Role == planner.RoleAncestor:
			run = append(run, a.Table)
		default:
			restart = append(restart, a.Table)
		}
	}
	slices.Sort(run)
	slices.Sort(restart)
	return run, restart
}

// TestShiftLeftScenarios replays the seven execution-plan scenarios of
// shift_left's tests on the p2 graph (shift-left-behaviour.md §4.4).
func TestShiftLeftScenarios(t *testing.T) {
	g := corpusGraph(t)
	tests := []struct {
		name       string
		table      string
		notRunning []string
		opts       planner.Options
		run        []string
		restart    []string
		planned    int
	}{
		{"f, all running", "f", nil, planner.Options{}, nil, []string{"f"}, 7},
		{"f, d not running", "f", []string{"d"}, planner.Options{}, []string{"d"}, []string{"f"}, 7},
		{"f with descendants, src_y y z d not running", "f", []string{"src_y", "y", "z", "d"},
			planner.Options{MayStartDescendants: true}, []string{"d", "src_y", "y", "z"}, []string{"c", "e", "f", "p"}, 12},
		// shift_left plans 5 tables and leaves the children of the four
		// recreated ancestors FAILED (their tables are dropped under them):
		// shiftleft redeploys them, and what they need, which runs
		// (docs/compatibility.md): --force-ancestors forces z's ancestors
		// only, not b, src_b and src_a, the other parents of c and a.
		{"z, force ancestors", "z", nil, planner.Options{ForceAncestors: true},
			[]string{"src_x", "src_y", "x", "y"}, []string{"a", "c", "d", "f", "p", "z"}, 13},
		{"z with descendants, ancestors running", "z", nil, planner.Options{MayStartDescendants: true},
			nil, []string{"c", "d", "e", "f", "p", "z"}, 12},
		// shift_left also forces b, src_b and src_a, the other parents of
		// restarted descendants, out of the lineage asked for.
		{"z, force ancestors and descendants", "z", nil, planner.Options{ForceAncestors: true, MayStartDescendants: true},
			[]string{"src_x", "src_y", "x", "y"}, []string{"a", "c", "d", "e", "f", "p", "z"}, 14},
		{"e, c b src_b not running", "e", []string{"c", "b", "src_b"}, planner.Options{},
			[]string{"b", "c", "src_b"}, []string{"e"}, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := shiftLeftBuild(g, running(g, tt.notRunning...), planner.Request{Tables: []string{tt.table}}, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			run, restart := sets(p)
			if !reflect.DeepEqual(run, tt.run) || !reflect.DeepEqual(restart, tt.restart) {
				t.Errorf("run %v restart %v, want run %v restart %v", run, restart, tt.run, tt.restart)
			}
			if len(p.Actions) != tt.planned {
				var names []string
				for _, a := range p.Actions {
					names = append(names, a.Table)
				}
				t.Errorf("%d tables in the plan %v, want %d", len(p.Actions), names, tt.planned)
			}
		})
	}
}

// chain builds a small graph by hand: "name: parent parent" lines, a
// trailing "*" on a name making its DML stateful.
func chain(t *testing.T, lines ...string) *pipeline.Graph {
	t.Helper()
	inv := &inventory.Inventory{Root: "pipelines", Tables: map[string]*inventory.Table{}}
	add := func(spec string) *inventory.Table {
		name := strings.TrimSuffix(spec, "*")
		tb, ok := inv.Tables[name]
		if !ok {
			folder := "pipelines/facts/p/" + name
			tb = &inventory.Table{Name: name, Product: "p", Type: inventory.TypeFact, Folder: folder,
				DDLRef: folder + "/sql-scripts/ddl." + name + ".sql", DMLRef: folder + "/sql-scripts/dml." + name + ".sql",
				Fingerprint: "fp-" + name}
			if strings.HasPrefix(name, "ext_") {
				tb = &inventory.Table{Name: name, Product: "seeds", Type: inventory.TypeExternalKafka, Folder: "pipelines/seeds/" + name, KafkaTopic: name}
			}
			inv.Tables[name] = tb
		}
		if strings.HasSuffix(spec, "*") {
			tb.StatefulReasons = []string{"GROUP BY"}
		}
		return tb
	}
	for _, l := range lines {
		child, parents, _ := strings.Cut(l, ":")
		tb := add(strings.TrimSpace(child))
		for _, p := range strings.Fields(parents) {
			add(p)
			tb.Parents = append(tb.Parents, strings.TrimSuffix(p, "*"))
		}
		slices.Sort(tb.Parents)
	}
	g, err := pipeline.New(inv)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// deployed marks tables as running with the fingerprint of the tree
// (current) or another one.
func deployed(g *pipeline.Graph, current bool, tables ...string) planner.Live {
	live := planner.Live{Statements: map[string]planner.Statement{}}
	for _, n := range tables {
		tb, _ := g.Table(n)
		fp := tb.Fingerprint
		if !current {
			fp = "old"
		}
		ddl, dml := naming.DDL(tb.Name, tb.Product), naming.DML(tb.Name, tb.Product)
		live.Statements[ddl] = planner.Statement{Name: ddl, Phase: planner.PhaseCompleted, Fingerprint: fp}
		live.Statements[dml] = planner.Statement{Name: dml, Phase: planner.PhaseRunning, Fingerprint: fp, ComputePoolID: "lfcp-run"}
	}
	return live
}

func kinds(p *planner.Plan) map[string]planner.ActionKind {
	out := map[string]planner.ActionKind{}
	for _, a := range p.Actions {
		out[a.Table] = a.Kind
	}
	return out
}

func stepKinds(a planner.Action) []string {
	var out []string
	for _, s := range a.Steps {
		out = append(out, string(s.Kind))
	}
	return out
}

func TestStartTableRules(t *testing.T) {
	g := chain(t, "src:", "mid: src", "agg*: mid", "sink: agg*")
	tests := []struct {
		name   string
		table  string
		live   planner.Live
		opts   planner.Options
		want   planner.ActionKind
		steps  []string
		reason string
	}{
		{"a sink that does not exist is created", "sink", deployed(g, false, "src", "mid", "agg"), planner.Options{},
			planner.Create, []string{"create-ddl", "create-dml"}, "not deployed"},
		{"an existing stateless sink only restarts its DML", "mid", deployed(g, false, "src", "mid"), planner.Options{},
			planner.RestartDML, []string{"delete-statement", "create-dml"}, "stateless"},
		{"an existing sink with --force is recreated", "mid", deployed(g, false, "src", "mid"), planner.Options{Force: true},
			planner.Recreate, []string{"delete-statement", "drop-table", "delete-statement", "create-ddl", "delete-statement", "create-dml"}, "--force"},
		{"a stateful DML is recreated without --force", "agg", deployed(g, false, "src", "mid", "agg"), planner.Options{},
			planner.Recreate, []string{"delete-statement", "drop-table", "delete-statement", "create-ddl", "delete-statement", "create-dml"}, "stateful"},
		{"--dml-only restarts a stateful DML without dropping", "agg", deployed(g, false, "src", "mid", "agg"), planner.Options{DMLOnly: true},
			planner.RestartDML, []string{"delete-statement", "create-dml"}, "--dml-only"},
		{"--dml-only on a new table deploys the DML only", "sink", deployed(g, false, "src", "mid", "agg"), planner.Options{DMLOnly: true},
			planner.Create, []string{"create-dml"}, "not deployed"},
		{"a table running the tree's SQL is left alone", "agg", deployed(g, true, "src", "mid", "agg"), planner.Options{},
			planner.Skip, nil, "same fingerprint"},
		{"--force redeploys even the same SQL", "agg", deployed(g, true, "src", "mid", "agg"), planner.Options{Force: true},
			planner.Recreate, []string{"delete-statement", "drop-table", "delete-statement", "create-ddl", "delete-statement", "create-dml"}, "--force"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := shiftLeftBuild(g, tt.live, planner.Request{Tables: []string{tt.table}}, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := p.Action(tt.table)
			if a.Kind != tt.want || !reflect.DeepEqual(stepKinds(a), tt.steps) || !strings.Contains(a.Reason, tt.reason) {
				t.Errorf("%s %v %q, want %s %v %q", a.Kind, stepKinds(a), a.Reason, tt.want, tt.steps, tt.reason)
			}
		})
	}
}

func TestNewSinkDeploysMissingAncestorsAndSkipsRunningOnes(t *testing.T) {
	g := chain(t, "src_a: ext_topic", "src_b:", "mid: src_a src_b", "sink: mid")
	p, err := shiftLeftBuild(g, deployed(g, false, "src_a"), planner.Request{Tables: []string{"sink"}}, planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]planner.ActionKind{"ext_topic": planner.Skip, "src_a": planner.Skip, "src_b": planner.Create,
		"mid": planner.Create, "sink": planner.Create}
	if got := kinds(p); !reflect.DeepEqual(got, want) {
		t.Errorf("kinds %v, want %v", got, want)
	}
	a, _ := p.Action("ext_topic")
	if !strings.Contains(a.Reason, "external") {
		t.Errorf("external topic reason %q", a.Reason)
	}
	if waves := p.Waves(); !reflect.DeepEqual(waves, [][]string{{"src_b"}, {"mid"}, {"sink"}}) {
		t.Errorf("waves %v", waves)
	}
	mid, _ := p.Action("mid")
	if !reflect.DeepEqual(mid.After, []string{"src_b"}) {
		t.Errorf("mid waits for %v, want src_b only (src_a runs already)", mid.After)
	}
}

func TestExternalTopicIsNeverDeployed(t *testing.T) {
	g := chain(t, "src: ext_topic")
	_, err := shiftLeftBuild(g, planner.Live{}, planner.Request{Tables: []string{"ext_topic"}}, planner.Options{})
	if !errors.Is(err, planner.ErrNotDeployable) {
		t.Errorf("deploying an external topic: %v", err)
	}
	p, err := shiftLeftBuild(g, planner.Live{}, planner.Request{Tables: []string{"src"}}, planner.Options{ForceAncestors: true, MayStartDescendants: true})
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := p.Action("ext_topic"); a.Kind != planner.Skip {
		t.Errorf("external topic: %s", a.Kind)
	}
}

func TestDescendantRules(t *testing.T) {
	// agg is stateful; light is a stateless child of a stateless table.
	g := chain(t, "src:", "mid: src", "agg*: mid", "light: mid", "top: agg*", "other*: ext_x", "both: agg* other*")
	all := deployed(g, false, "src", "mid", "agg", "light", "top", "other", "both")
	tests := []struct {
		name  string
		table string
		opts  planner.Options
		want  map[string]planner.ActionKind
	}{
		{"a stateless change restarts stateful children only, then all their descendants", "mid", planner.Options{MayStartDescendants: true},
			map[string]planner.ActionKind{"src": planner.Skip, "mid": planner.RestartDML, "agg": planner.Recreate,
				"top": planner.RestartDML, "both": planner.RestartDML, "other": planner.Skip, "ext_x": planner.Skip}},
		{"a stateful change restarts every child", "agg", planner.Options{MayStartDescendants: true},
			map[string]planner.ActionKind{"src": planner.Skip, "mid": planner.Skip, "agg": planner.Recreate,
				"top": planner.RestartDML, "both": planner.RestartDML, "other": planner.Skip, "ext_x": planner.Skip}},
		{"without descendants only the readers of a recreated table restart: they would fail", "agg", planner.Options{},
			map[string]planner.ActionKind{"src": planner.Skip, "mid": planner.Skip, "agg": planner.Recreate,
				"top": planner.RestartDML, "both": planner.RestartDML, "other": planner.Skip, "ext_x": planner.Skip}},
		{"without descendants a stateless restart restarts nothing below", "mid", planner.Options{},
			map[string]planner.ActionKind{"src": planner.Skip, "mid": planner.RestartDML}},
		{"excluded tables are skipped, and what only they would restart", "mid", planner.Options{MayStartDescendants: true, Exclude: []string{"agg"}},
			map[string]planner.ActionKind{"src": planner.Skip, "mid": planner.RestartDML, "agg": planner.Skip}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := shiftLeftBuild(g, all, planner.Request{Tables: []string{tt.table}}, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := kinds(p); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("kinds %v\nwant  %v", got, tt.want)
			}
		})
	}
}

func TestChildsOtherParentsThatDoNotRunAreDeployed(t *testing.T) {
	g := chain(t, "src:", "agg*: src", "side:", "join: agg* side")
	live := deployed(g, false, "src", "agg", "join")
	p, err := shiftLeftBuild(g, live, planner.Request{Tables: []string{"agg"}}, planner.Options{MayStartDescendants: true})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := p.Action("side")
	if a.Kind != planner.Create || a.Role != planner.RoleAncestor {
		t.Errorf("side: %s %s %q", a.Kind, a.Role, a.Reason)
	}
	j, _ := p.Action("join")
	if !reflect.DeepEqual(j.After, []string{"agg", "side"}) {
		t.Errorf("join waits for %v", j.After)
	}
}

func TestProductsLimitDescendants(t *testing.T) {
	// mid's restart does not drop its table: its stateful children restart
	// by shift_left's rule, which products limit.
	g := chain(t, "src:", "mid: src", "theirs*: mid", "shared*: mid")
	for _, n := range []string{"theirs", "shared"} {
		tb, _ := g.Table(n)
		tb.Product = map[string]string{"theirs": "q", "shared": "common"}[n]
	}
	live := deployed(g, false, "src", "mid", "theirs", "shared")
	for _, tt := range []struct {
		cross bool
		want  planner.ActionKind
	}{{false, ""}, {true, planner.Recreate}} {
		p, err := shiftLeftBuild(g, live, planner.Request{Tables: []string{"mid"}}, planner.Options{MayStartDescendants: true, CrossProduct: tt.cross})
		if err != nil {
			t.Fatal(err)
		}
		got := kinds(p)
		if got["theirs"] != tt.want || got["shared"] != planner.Recreate {
			t.Errorf("cross-product %v: theirs %q shared %q", tt.cross, got["theirs"], got["shared"])
		}
	}
}

// TestComputePoolChoice: --compute-pool-id; else the running statement's
// pool; else flink.compute_pool_id; else a pool named by convention; else a
// new one — each pool but the given one only when usable.
// TestComputePoolChoice is shift_left's choice of a pool (§4.6), with pools
// per table.
func TestComputePoolChoice(t *testing.T) {
	g := chain(t, "src:", "mid: src")
	pool := func(id, name, phase string, current int) planner.ComputePool {
		return planner.ComputePool{ID: id, Name: name, Phase: phase, CurrentCFU: current, MaxCFU: 10}
	}
	ready := planner.PoolReady
	run, cfg, conv := pool("lfcp-run", "shared", ready, 1), pool("lfcp-cfg", "configured", ready, 1), pool("lfcp-conv", "dev-mid", ready, 2)
	// The running statement's pool is full without its own CFU, which its
	// replacement takes.
	runFull, cfgFull, convFull := pool("lfcp-run", "shared", ready, 9), pool("lfcp-cfg", "configured", ready, 8), pool("lfcp-conv", "dev-mid", ready, 9)
	cfgProvisioning := pool("lfcp-cfg", "configured", "PROVISIONING", 0)
	midRuns, midNew := deployed(g, false, "src", "mid"), deployed(g, false, "src")
	withCfg := planner.Options{DefaultComputePoolID: "lfcp-cfg"}
	tests := []struct {
		name    string
		live    planner.Live
		pools   []planner.ComputePool
		opts    planner.Options
		wantID  string
		wantNew string
		maxCFU  int
		reason  string
	}{
		{"given on the command line, over everything", midRuns, []planner.ComputePool{run, cfg, conv},
			planner.Options{ComputePoolID: "lfcp-given", DefaultComputePoolID: "lfcp-cfg"}, "lfcp-given", "", 0, "--compute-pool-id"},
		{"reused from the running statement, over the configured pool", midRuns, []planner.ComputePool{run, cfg, conv}, withCfg, "lfcp-run", "", 0, "running statement"},
		{"the configured pool when the running one is too full", midRuns, []planner.ComputePool{runFull, cfg, conv}, withCfg, "lfcp-cfg", "", 0, "flink.compute_pool_id"},
		{"the configured pool for a new table, over the naming convention", midNew, []planner.ComputePool{cfg, conv}, withCfg, "lfcp-cfg", "", 0, "flink.compute_pool_id"},
		{"a configured pool not PROVISIONED is not usable", midNew, []planner.ComputePool{cfgProvisioning, conv}, withCfg, "lfcp-conv", "", 0, "pool named dev-mid"},
		{"a configured pool over the CFU ratio is not usable", midNew, []planner.ComputePool{cfgFull, conv}, withCfg, "lfcp-conv", "", 0, "pool named dev-mid"},
		{"a configured pool that does not exist is not usable", midNew, []planner.ComputePool{conv}, withCfg, "lfcp-conv", "", 0, "pool named dev-mid"},
		{"a higher CFU ratio makes a fuller pool usable", midNew, []planner.ComputePool{cfgFull, conv},
			planner.Options{DefaultComputePoolID: "lfcp-cfg", MaxCFURatio: 0.9}, "lfcp-cfg", "", 0, "flink.compute_pool_id"},
		{"found by naming convention", midNew, []planner.ComputePool{run, conv}, planner.Options{}, "lfcp-conv", "", 0, "pool named dev-mid"},
		{"the pool named by convention, however full: shift_left checks no capacity there", midRuns, []planner.ComputePool{runFull, cfgFull, convFull}, withCfg, "lfcp-conv", "", 0, "pool named dev-mid"},
		{"created when none is named by convention", midRuns, []planner.ComputePool{runFull, cfgFull}, withCfg, "", "dev-mid", 10, "create dev-mid"},
		{"created with flink.max_cfu", midNew, nil, planner.Options{PoolMaxCFU: 20}, "", "dev-mid", 20, "create dev-mid"},
		{"flink.max_cfu outside shift_left's sizes gives 10", midNew, nil, planner.Options{PoolMaxCFU: 7}, "", "dev-mid", 10, "create dev-mid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// shift_left's order, which pools per table follow to the letter.
			tt.opts.PoolStrategy = planner.PoolsPerTable
			p, err := shiftLeftBuild(g, withPools(tt.live, tt.pools), planner.Request{Tables: []string{"mid"}}, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := p.Action("mid")
			got := a.Pool
			if got.ID != tt.wantID || (got.Create != nil) != (tt.wantNew != "") || !strings.Contains(got.Reason, tt.reason) {
				t.Fatalf("pool %+v %+v, want id %q new %q (%s)", got, got.Create, tt.wantID, tt.wantNew, tt.reason)
			}
			if got.Create != nil && (got.Create.Name != tt.wantNew || got.Create.MaxCFU != tt.maxCFU) {
				t.Errorf("new pool %+v, want %s with %d CFU", got.Create, tt.wantNew, tt.maxCFU)
			}
		})
	}
}

func withPools(l planner.Live, pools []planner.ComputePool) planner.Live {
	l.Pools = pools
	return l
}

func TestStatementNames(t *testing.T) {
	tests := []struct {
		naming               planner.Naming
		table, product       string
		ddl, dml, drop, pool string
	}{
		{planner.DefaultNaming, "p1_fct_order", "p1", "dev-usw2-p1-ddl-p1-fct-order", "dev-usw2-p1-dml-p1-fct-order", "drop-p1-fct-order", "dev-p1-fct-order"},
		{planner.DefaultNaming, "src_table_1", "None", "dev-usw2-ddl-src-table-1", "dev-usw2-dml-src-table-1", "drop-src-table-1", "dev-src-table-1"},
		{planner.DefaultNaming, "sl_c360_dim_groups", "c360", "dev-usw2-c360-ddl-sl-c360-dim-groups", "dev-usw2-c360-dml-sl-c360-dim-groups", "drop-sl-c360-dim-groups", "dev-sl-c360-dim-groups"},
		{planner.Naming{ClusterType: "prod", Region: "eu-central-1"}, "z", "p2", "prod-euc1-p2-ddl-z", "prod-euc1-p2-dml-z", "drop-z", "prod-z"},
		{planner.Naming{ClusterType: "stage", Region: "us-east-2"}, "tbl_recordconfiguration", "", "stage-use2-ddl-tbl-recordconfiguration", "stage-use2-dml-tbl-recordconfiguration", "drop-tbl-recordconfiguration", "stage-tbl-reccfg"},
	}
	for _, tt := range tests {
		n := tt.naming
		got := []string{n.DDL(tt.table, tt.product), n.DML(tt.table, tt.product), n.Drop(tt.table), n.Pool(tt.table)}
		if want := []string{tt.ddl, tt.dml, tt.drop, tt.pool}; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v, want %v", tt.table, got, want)
		}
	}
}

// TestStatementNamesFitConfluentsRules: every name is at most 72 lower-case
// letters, digits and '-', starting and ending with a letter or digit; a
// longer one ends with a hash of the whole, the same on every run, and two
// long names alike but for their end stay apart.
func TestStatementNamesFitConfluentsRules(t *testing.T) {
	valid := regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	long := "fct_" + strings.Repeat("customer_orders_", 5)
	tables := []string{"p1_fct_order", "clone.dev.orders", "_odd_", long + "by_day", long + "by_week"}
	seen := map[string]string{}
	for _, table := range tables {
		for _, name := range []string{naming.DDL(table, "sales_eu"), naming.DML(table, "sales_eu"), naming.Drop(table)} {
			if len(name) > planner.MaxStatementName || !valid.MatchString(name) {
				t.Errorf("%s: %q (%d characters) breaks Confluent's rules", table, name, len(name))
			}
			if other, ok := seen[name]; ok {
				t.Errorf("%s and %s both get %q", other, table, name)
			}
			seen[name] = table
		}
		if a, b := naming.DML(table, "sales_eu"), naming.DML(table, "sales_eu"); a != b {
			t.Errorf("%s: %q then %q", table, a, b)
		}
	}
	if got := naming.DML("clone.dev.orders", "p"); got != "dev-usw2-p-dml-clone-dev-orders" {
		t.Errorf("a dotted name: %q", got)
	}
}

func TestChangesFromGit(t *testing.T) {
	g := chain(t, "src:", "mid: src", "agg*: mid", "top: agg*")
	live := deployed(g, false, "src", "mid", "agg", "top")
	tests := []struct {
		name   string
		change planner.Change
		want   planner.ActionKind
	}{
		{"DML of a stateless table", planner.Change{Table: "mid", DML: true}, planner.RestartDML},
		{"DML of a stateful table", planner.Change{Table: "agg", DML: true}, planner.Recreate},
		{"DDL", planner.Change{Table: "mid", DDL: true}, planner.Recreate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := shiftLeftBuild(g, live, planner.Request{Changes: []planner.Change{tt.change}}, planner.Options{MayStartDescendants: true})
			if err != nil {
				t.Fatal(err)
			}
			a, _ := p.Action(tt.change.Table)
			if a.Kind != tt.want {
				t.Errorf("%s (%s), want %s", a.Kind, a.Reason, tt.want)
			}
			if k := kinds(p)["top"]; k == "" || k == planner.Skip {
				t.Errorf("top, downstream of a redeployed stateful table, was not restarted: %q", k)
			}
		})
	}
	p, err := shiftLeftBuild(g, planner.Live{}, planner.Request{Changes: []planner.Change{{Table: "top", New: true}}}, planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds(p); got["top"] != planner.Create || got["src"] != planner.Create {
		t.Errorf("new table on an empty environment: %v", got)
	}
}

func TestUndeploy(t *testing.T) {
	g := chain(t, "src:", "mid: src", "agg*: mid", "top: agg*", "side: mid")
	live := deployed(g, false, "src", "mid", "agg", "top")
	p, err := planner.Undeploy(g, live, "mid", planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, a := range p.Actions {
		order = append(order, a.Table+":"+string(a.Kind))
	}
	want := []string{"top:drop", "side:skip", "agg:drop", "mid:drop"}
	if !reflect.DeepEqual(order, want) {
		t.Errorf("undeploy %v, want %v", order, want)
	}
	mid, _ := p.Action("mid")
	if !reflect.DeepEqual(mid.After, []string{"agg"}) || !reflect.DeepEqual(stepKinds(mid), []string{"delete-statement", "drop-table", "delete-statement", "delete-statement"}) {
		t.Errorf("mid: after %v steps %v", mid.After, stepKinds(mid))
	}
}

func TestNoTableIsReportedNotDeployed(t *testing.T) {
	g := chain(t, inventory.NoTable+":", "src:")
	p, err := shiftLeftBuild(g, planner.Live{}, planner.Request{Changes: []planner.Change{{Table: inventory.NoTable, New: true}, {Table: "src", New: true}}}, planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds(p); got[inventory.NoTable] != planner.Skip || got["src"] != planner.Create {
		t.Errorf("kinds %v", got)
	}
}

func TestPlanWork(t *testing.T) {
	p := &planner.Plan{Actions: []planner.Action{{Kind: planner.Skip}, {Kind: planner.Create}, {Kind: planner.Recreate}, {Kind: planner.Skip}}}
	if p.Work() != 2 {
		t.Errorf("Work() = %d, want 2", p.Work())
	}
}

// interrupted is the live state a recreate killed between its DDL and its
// DML leaves: the DDL completed with the tree's SQL after the drop, whose
// helper is still there, the DML deleted.
func interrupted(g *pipeline.Graph, live planner.Live, table string) planner.Live {
	tb, _ := g.Table(table)
	ddl, helper := naming.DDL(tb.Name, tb.Product), naming.Drop(tb.Name)
	live.Statements[helper] = planner.Statement{Name: helper, Phase: planner.PhaseCompleted, CreatedAt: at(1)}
	live.Statements[ddl] = planner.Statement{Name: ddl, Phase: planner.PhaseCompleted, Fingerprint: tb.Fingerprint, CreatedAt: at(2)}
	delete(live.Statements, naming.DML(tb.Name, tb.Product))
	return live
}

func TestInterruptedRecreateResumes(t *testing.T) {
	g := chain(t, "src:", "mid: src", "agg*: mid", "top*: agg*")
	all := func() planner.Live { return deployed(g, false, "src", "mid", "agg", "top") }
	failedDML := interrupted(g, all(), "agg")
	failedDML.Statements[naming.DML("agg", "p")] = planner.Statement{Name: naming.DML("agg", "p"), Phase: "FAILED", Fingerprint: "fp-agg"}
	tests := []struct {
		name  string
		live  planner.Live
		req   planner.Request
		opts  planner.Options
		table string
		want  planner.ActionKind
		steps []string
	}{
		{"a stateful start table", interrupted(g, all(), "agg"), planner.Request{Tables: []string{"agg"}}, planner.Options{},
			"agg", planner.Create, []string{"delete-statement", "create-dml"}},
		{"a start table with --force", interrupted(g, all(), "agg"), planner.Request{Tables: []string{"agg"}}, planner.Options{Force: true},
			"agg", planner.Create, []string{"delete-statement", "create-dml"}},
		{"a changed stateful DML", interrupted(g, all(), "agg"), planner.Request{Changes: []planner.Change{{Table: "agg", DML: true}}}, planner.Options{},
			"agg", planner.Create, []string{"delete-statement", "create-dml"}},
		{"a stateful descendant", interrupted(g, all(), "top"), planner.Request{Tables: []string{"agg"}}, planner.Options{MayStartDescendants: true},
			"top", planner.Create, []string{"delete-statement", "create-dml"}},
		{"an ancestor with --force-ancestors", interrupted(g, all(), "mid"), planner.Request{Tables: []string{"agg"}}, planner.Options{ForceAncestors: true},
			"mid", planner.Create, []string{"delete-statement", "create-dml"}},
		{"not when the DML exists but FAILED", failedDML, planner.Request{Tables: []string{"agg"}}, planner.Options{},
			"agg", planner.Recreate, []string{"delete-statement", "delete-statement", "drop-table", "delete-statement", "create-ddl", "delete-statement", "create-dml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := shiftLeftBuild(g, tt.live, tt.req, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := p.Action(tt.table)
			resumed := strings.HasPrefix(a.Reason, "resuming")
			if a.Kind != tt.want || !reflect.DeepEqual(stepKinds(a), tt.steps) || resumed != (tt.want == planner.Create) {
				t.Errorf("%s %v %q, want %s %v", a.Kind, stepKinds(a), a.Reason, tt.want, tt.steps)
			}
		})
	}
}

func TestDDLOnlyTableIsRecreatedNotRestarted(t *testing.T) {
	g := chain(t, "ref:", "mid: ref")
	ref, _ := g.Table("ref")
	ref.DMLRef = ""
	live := deployed(g, false, "mid")
	live.Statements[naming.DDL("ref", "p")] = planner.Statement{Name: naming.DDL("ref", "p"), Phase: planner.PhaseCompleted, Fingerprint: "old"}
	recreate := []string{"delete-statement", "drop-table", "delete-statement", "create-ddl", "delete-statement"}
	tests := []struct {
		name  string
		req   planner.Request
		opts  planner.Options
		want  planner.ActionKind
		steps []string
	}{
		{"a start table with another fingerprint", planner.Request{Tables: []string{"ref"}}, planner.Options{}, planner.Recreate, recreate},
		{"a changed DDL", planner.Request{Changes: []planner.Change{{Table: "ref", DDL: true}}}, planner.Options{}, planner.Recreate, recreate},
		{"--dml-only leaves it alone", planner.Request{Tables: []string{"ref"}}, planner.Options{DMLOnly: true}, planner.Skip, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := shiftLeftBuild(g, live, tt.req, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := p.Action("ref")
			if a.Kind != tt.want || !reflect.DeepEqual(stepKinds(a), tt.steps) {
				t.Errorf("%s %v %q, want %s %v", a.Kind, stepKinds(a), a.Reason, tt.want, tt.steps)
			}
		})
	}
}

// TestDeployingADDLDropsTheExistingTable: without --force, a table that
// exists with other SQL but whose DML does not run is dropped before its
// DDL runs, as shift_left's DDL + DML path does.
func TestDeployingADDLDropsTheExistingTable(t *testing.T) {
	g := chain(t, "src:", "mid: src", "sink: mid")
	live := deployed(g, false, "src", "mid")
	delete(live.Statements, naming.DML("mid", "p"))
	p, err := shiftLeftBuild(g, live, planner.Request{Tables: []string{"sink"}}, planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := p.Action("mid")
	want := []string{"delete-statement", "drop-table", "delete-statement", "create-ddl", "delete-statement", "create-dml"}
	if a.Kind != planner.Create || !reflect.DeepEqual(stepKinds(a), want) {
		t.Errorf("mid: %s %v, want create %v", a.Kind, stepKinds(a), want)
	}
}

// shiftLeftBuild plans with shift_left's behaviour, --strategy recreate
// --allow-drop: the rules these tests replay are shift_left's.
func shiftLeftBuild(g *pipeline.Graph, live planner.Live, req planner.Request, o planner.Options) (*planner.Plan, error) {
	o.Strategy, o.AllowDrop = planner.StrategyRecreate, true
	return planner.Build(g, live, req, o)
}
