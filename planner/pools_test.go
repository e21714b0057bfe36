package planner_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/inventory"
	"github.com/shiftleft/shiftleft/pipeline"
	"github.com/shiftleft/shiftleft/planner"
)

// flat is n independent new tables, spread over the products given.
func flat(t *testing.T, n int, products ...string) *pipeline.Graph {
	t.Helper()
	inv := &inventory.Inventory{Root: "pipelines", Tables: map[string]*inventory.Table{}}
	for i := range n {
		name, product := fmt.Sprintf("t%03d", i), products[i%len(products)]
		folder := "pipelines/sources/" + product + "/" + name
		inv.Tables[name] = &inventory.Table{Name: name, Product: product, Type: inventory.TypeSource, Folder: folder,
			DDLRef: folder + "/sql-scripts/ddl." + name + ".sql", DMLRef: folder + "/sql-scripts/dml." + name + ".sql", Fingerprint: "fp-" + name}
	}
	g, err := pipeline.New(inv)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// pools counts the plan's statements by pool, new pools by name.
func pools(p *planner.Plan) map[string]int {
	out := map[string]int{}
	for _, a := range p.Actions {
		if a.Pool == nil {
			continue
		}
		if a.Pool.Create != nil {
			out["new "+a.Pool.Create.Name]++
		} else {
			out[a.Pool.ID]++
		}
	}
	return out
}

func ensure(g *pipeline.Graph) planner.Request {
	var all []string
	for _, n := range g.Order() {
		all = append(all, n)
	}
	return planner.Request{Ensure: all}
}

// TestPoolsPerProduct: the tables of a product share its pools, filled to
// the configured share of their CFU before the next one is made, the
// pools that exist first; the quota bounds them, and a plan that does not
// fit is refused, naming the CFU missing.
func TestPoolsPerProduct(t *testing.T) {
	ready := func(id, name string, current int) planner.ComputePool {
		return planner.ComputePool{ID: id, Name: name, Phase: planner.PoolReady, CurrentCFU: current, MaxCFU: 10}
	}
	tests := []struct {
		name    string
		g       *pipeline.Graph
		pools   []planner.ComputePool
		opts    planner.Options
		want    map[string]int
		missing int // CFU the plan lacks: an ErrNoCapacity
	}{
		{"one product, new pools of 8 statements", flat(t, 20, "sales"), nil, planner.Options{},
			map[string]int{"new dev-sales": 8, "new dev-sales-2": 8, "new dev-sales-3": 4}, 0},
		{"two products apart", flat(t, 6, "sales", "hr"), nil, planner.Options{},
			map[string]int{"new dev-sales": 3, "new dev-hr": 3}, 0},
		{"an existing pool's free CFU first", flat(t, 10, "sales"), []planner.ComputePool{ready("lfcp-1", "dev-sales", 5)}, planner.Options{},
			map[string]int{"lfcp-1": 3, "new dev-sales-2": 7}, 0},
		{"flink.max_cfu sizes new pools", flat(t, 100, "sales"), nil, planner.Options{PoolMaxCFU: 50},
			map[string]int{"new dev-sales": 40, "new dev-sales-2": 40, "new dev-sales-3": 20}, 0},
		{"the quota bounds the pools", flat(t, 20, "sales"), []planner.ComputePool{ready("lfcp-x", "other", 0)}, planner.Options{MaxPools: 2},
			nil, 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := planner.Build(tt.g, planner.Live{Pools: tt.pools}, ensure(tt.g), tt.opts)
			if tt.missing > 0 {
				if !errors.Is(err, planner.ErrNoCapacity) || !strings.Contains(err.Error(), fmt.Sprintf("%d CFU missing", tt.missing)) {
					t.Fatalf("err %v, want ErrNoCapacity with %d CFU missing", err, tt.missing)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := pools(p); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("pools %v, want %v", got, tt.want)
			}
		})
	}
}

// TestFixedPool: every statement in flink.compute_pool_id; more than it
// takes is refused before anything runs.
func TestFixedPool(t *testing.T) {
	g := flat(t, 5, "sales")
	cfg := planner.ComputePool{ID: "lfcp-cfg", Name: "configured", Phase: planner.PoolReady, CurrentCFU: 0, MaxCFU: 5}
	opts := planner.Options{PoolStrategy: planner.PoolFixed, DefaultComputePoolID: "lfcp-cfg", MaxCFURatio: 1}
	p, err := planner.Build(g, planner.Live{Pools: []planner.ComputePool{cfg}}, ensure(g), opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := pools(p); !reflect.DeepEqual(got, map[string]int{"lfcp-cfg": 5}) {
		t.Errorf("pools %v", got)
	}
	cfg.CurrentCFU = 3
	_, err = planner.Build(g, planner.Live{Pools: []planner.ComputePool{cfg}}, ensure(g), opts)
	if !errors.Is(err, planner.ErrNoCapacity) || !strings.Contains(err.Error(), "3 CFU missing") {
		t.Errorf("err %v, want ErrNoCapacity with 3 CFU missing", err)
	}
}

// TestARedeployKeepsItsFullPool: a table whose DML runs in a pool at its
// CFU share is redeployed there: its new DML takes the old one's CFU.
func TestARedeployKeepsItsFullPool(t *testing.T) {
	g := flat(t, 8, "sales")
	full := planner.ComputePool{ID: "lfcp-1", Name: "dev-sales", Phase: planner.PoolReady, CurrentCFU: 8, MaxCFU: 10}
	live := planner.Live{Statements: map[string]planner.Statement{}, Pools: []planner.ComputePool{full}}
	var all []string
	for _, n := range g.Order() {
		dml := naming.DML(n, "sales")
		live.Statements[dml] = planner.Statement{Name: dml, Phase: planner.PhaseRunning, Fingerprint: "old", ComputePoolID: "lfcp-1"}
		all = append(all, n)
	}
	p, err := planner.Build(g, live, planner.Request{Tables: all}, planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := pools(p); !reflect.DeepEqual(got, map[string]int{"lfcp-1": 8}) {
		t.Errorf("pools %v, want all 8 kept in lfcp-1", got)
	}
}
