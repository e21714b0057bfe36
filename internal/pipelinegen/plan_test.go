package pipelinegen_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/internal/pipelinegen"
)

func TestPlanRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts pipelinegen.Options
		want string
	}{
		{"zero tables", pipelinegen.Options{}, "Tables is 0"},
		{"negative tables", pipelinegen.Options{Tables: -3}, "Tables is -3"},
		{"negative products", pipelinegen.Options{Tables: 10, Products: -1}, "Products is -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree, err := pipelinegen.Plan(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Plan(%+v) = %v, %v; want an error containing %q", tt.opts, tree, err, tt.want)
			}
			if _, err := pipelinegen.Generate(t.TempDir(), tt.opts); err == nil {
				t.Fatalf("Generate(%+v) succeeded, want an error", tt.opts)
			}
		})
	}
}

// allowedParents is the layering: the types each type may read.
var allowedParents = map[string][]string{
	"source":       nil,
	"intermediate": {"source", "intermediate"},
	"dimension":    {"intermediate", "source", "dimension"},
	"fact":         {"intermediate", "source", "dimension"},
	"view":         {"fact", "dimension"},
}

var typeDirs = map[string]string{
	"source": "sources", "intermediate": "intermediates", "dimension": "dimensions",
	"fact": "facts", "view": "views",
}

// checkGraph checks the structural promises of a tree: sorted unique names,
// existing parents of allowed types, folders in the right place, no cycle.
func checkGraph(t *testing.T, tree *pipelinegen.Tree) {
	t.Helper()
	byName := make(map[string]*pipelinegen.Table, len(tree.Tables))
	for i := range tree.Tables {
		tb := &tree.Tables[i]
		if i > 0 && tree.Tables[i-1].Name >= tb.Name {
			t.Fatalf("tables not sorted or not unique at %q, %q", tree.Tables[i-1].Name, tb.Name)
		}
		byName[tb.Name] = tb
	}
	for _, tb := range tree.Tables {
		allowed, ok := allowedParents[tb.Type]
		if !ok {
			t.Fatalf("%s: unknown type %q", tb.Name, tb.Type)
		}
		if want := typeDirs[tb.Type] + "/" + tb.Product + "/"; !strings.HasPrefix(tb.Folder, want) || strings.Count(tb.Folder, "/") != 2 {
			t.Errorf("%s: folder %q, want %s<folder>", tb.Name, tb.Folder, want)
		}
		if (tb.Type == "source") != (len(tb.Parents) == 0) {
			t.Errorf("%s (%s) has %d parents", tb.Name, tb.Type, len(tb.Parents))
		}
		if !slices.IsSorted(tb.Parents) || len(slices.Compact(slices.Clone(tb.Parents))) != len(tb.Parents) {
			t.Errorf("%s: parents %v not sorted and distinct", tb.Name, tb.Parents)
		}
		for _, p := range tb.Parents {
			parent, ok := byName[p]
			switch {
			case !ok:
				t.Errorf("%s: parent %q does not exist", tb.Name, p)
			case !slices.Contains(allowed, parent.Type):
				t.Errorf("%s (%s) reads %s (%s)", tb.Name, tb.Type, p, parent.Type)
			}
		}
	}
	// Kahn's algorithm: every table must come out, or there is a cycle.
	pending := make(map[string]int, len(tree.Tables))
	children := map[string][]string{}
	var ready []string
	for _, tb := range tree.Tables {
		pending[tb.Name] = len(tb.Parents)
		for _, p := range tb.Parents {
			children[p] = append(children[p], tb.Name)
		}
		if len(tb.Parents) == 0 {
			ready = append(ready, tb.Name)
		}
	}
	done := 0
	for len(ready) > 0 {
		name := ready[len(ready)-1]
		ready = ready[:len(ready)-1]
		done++
		for _, c := range children[name] {
			if pending[c]--; pending[c] == 0 {
				ready = append(ready, c)
			}
		}
	}
	if done != len(tree.Tables) {
		t.Errorf("graph has a cycle: only %d of %d tables sort topologically", done, len(tree.Tables))
	}
}

func TestPlanGraph(t *testing.T) {
	tests := []struct {
		tables, products int
		seed             uint64
	}{
		{1, 0, 1}, {2, 0, 1}, {3, 0, 2}, {4, 0, 3}, {10, 0, 4}, {11, 5, 5},
		{57, 0, 6}, {300, 0, 7}, {300, 300, 8}, {1000, 1, 9}, {20000, 0, 10},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%+v", tt), func(t *testing.T) {
			tree, err := pipelinegen.Plan(pipelinegen.Options{Tables: tt.tables, Products: tt.products, Seed: tt.seed})
			if err != nil {
				t.Fatal(err)
			}
			if len(tree.Tables) != tt.tables {
				t.Fatalf("%d tables planned, want %d", len(tree.Tables), tt.tables)
			}
			checkGraph(t, tree)
		})
	}
}

func TestPlanCounts(t *testing.T) {
	// Shares in percent; dimensions and facts together.
	want := map[string]int{"source": 30, "intermediate": 35, "dimension+fact": 25, "view": 10}
	tests := []struct {
		tables    int
		tolerance int // percentage points
	}{
		{100, 3}, {1000, 1}, {10000, 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d tables", tt.tables), func(t *testing.T) {
			tree, err := pipelinegen.Plan(pipelinegen.Options{Tables: tt.tables, Seed: 42})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int{}
			var dims, facts, stateful, renamed int
			for _, tb := range tree.Tables {
				typ := tb.Type
				switch typ {
				case "dimension":
					dims++
					typ = "dimension+fact"
				case "fact":
					facts++
					typ = "dimension+fact"
				}
				got[typ]++
				if tb.Stateful {
					stateful++
				}
				if !strings.HasSuffix(tb.Folder, "/"+tb.Name) {
					renamed++
				}
			}
			for typ, pct := range want {
				if share := got[typ] * 100 / tt.tables; share < pct-tt.tolerance || share > pct+tt.tolerance {
					t.Errorf("%d tables: %d%% %s, want %d%% ± %d", tt.tables, share, typ, pct, tt.tolerance)
				}
			}
			// A tree made of one kind of anything would not exercise a reader.
			for what, n := range map[string]int{"dimensions": dims, "facts": facts, "stateful": stateful,
				"stateless": tt.tables - stateful, "folders named unlike their table": renamed} {
				if n == 0 || n == tt.tables {
					t.Errorf("%d tables: %d %s", tt.tables, n, what)
				}
			}
		})
	}
}

func TestPlanProducts(t *testing.T) {
	tests := []struct {
		tables, products, want int
	}{
		{1, 0, 1},
		{49, 0, 1},
		{1000, 0, 20},
		{1000, 3, 3},
		{10, 1, 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%+v", tt), func(t *testing.T) {
			tree, err := pipelinegen.Plan(pipelinegen.Options{Tables: tt.tables, Products: tt.products, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			products := map[string]bool{}
			for _, tb := range tree.Tables {
				products[tb.Product] = true
			}
			if len(products) != tt.want {
				t.Errorf("Tables %d, Products %d: %d products, want %d", tt.tables, tt.products, len(products), tt.want)
			}
		})
	}
}
