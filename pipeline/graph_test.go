package pipeline_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/inventory"
	"github.com/shiftleft/shiftleft/pipeline"
)

// graphOf builds an inventory from "child: parent parent" lines.
func graphOf(t *testing.T, edges ...string) (*pipeline.Graph, error) {
	t.Helper()
	inv := &inventory.Inventory{Root: "pipelines", Tables: map[string]*inventory.Table{}}
	add := func(name string) *inventory.Table {
		if tb, ok := inv.Tables[name]; ok {
			return tb
		}
		tb := &inventory.Table{Name: name, Type: inventory.TypeIntermediate, Product: "p",
			Folder: "pipelines/intermediates/p/" + name, DMLRef: "pipelines/intermediates/p/" + name + "/sql-scripts/dml." + name + ".sql"}
		inv.Tables[name] = tb
		return tb
	}
	for _, e := range edges {
		child, parents, _ := strings.Cut(e, ":")
		tb := add(strings.TrimSpace(child))
		for _, p := range strings.Fields(parents) {
			add(p)
			tb.Parents = append(tb.Parents, p)
		}
	}
	return pipeline.New(inv)
}

// p2 is the sample graph of shift_left's execution-plan tests.
var p2 = []string{
	"x: src_x", "y: src_y", "z: x y", "d: y z", "f: d", "p: z",
	"b: src_b", "c: b z", "e: c", "a: src_a src_x",
}

func TestOrderAndWaves(t *testing.T) {
	g, err := graphOf(t, p2...)
	if err != nil {
		t.Fatal(err)
	}
	wantOrder := []string{"src_a", "src_b", "b", "src_x", "a", "src_y", "x", "y", "z", "c", "d", "e", "f", "p"}
	if got := g.Order(); !reflect.DeepEqual(got, wantOrder) {
		t.Errorf("Order() = %v\nwant      %v", got, wantOrder)
	}
	wantWaves := [][]string{
		{"src_a", "src_b", "src_x", "src_y"},
		{"b", "a", "x", "y"},
		{"z"},
		{"c", "d", "p"},
		{"e", "f"},
	}
	if got := g.Waves(); !reflect.DeepEqual(got, wantWaves) {
		t.Errorf("Waves() = %v\nwant      %v", got, wantWaves)
	}
	// Every table comes after all of its parents.
	pos := map[string]int{}
	for i, n := range g.Order() {
		pos[n] = i
	}
	for _, n := range g.Order() {
		for _, p := range g.Parents(n) {
			if pos[p] > pos[n] {
				t.Errorf("%s before its parent %s", n, p)
			}
		}
	}
}

func TestAncestorsAndDescendants(t *testing.T) {
	g, err := graphOf(t, p2...)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		table           string
		ancestors, desc []string
		children        []string
	}{
		{"z", []string{"src_x", "src_y", "x", "y"}, []string{"c", "d", "e", "f", "p"}, []string{"c", "d", "p"}},
		{"f", []string{"src_x", "src_y", "x", "y", "z", "d"}, []string{}, nil},
		{"src_x", []string{}, []string{"a", "x", "z", "c", "d", "e", "f", "p"}, []string{"a", "x"}},
		{"e", []string{"src_b", "b", "src_x", "src_y", "x", "y", "z", "c"}, []string{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.table, func(t *testing.T) {
			if got := g.Ancestors(tt.table); !reflect.DeepEqual(got, tt.ancestors) {
				t.Errorf("Ancestors = %v, want %v", got, tt.ancestors)
			}
			if got := g.Descendants(tt.table); !reflect.DeepEqual(got, tt.desc) {
				t.Errorf("Descendants = %v, want %v", got, tt.desc)
			}
			if got := g.Children(tt.table); !reflect.DeepEqual(got, tt.children) {
				t.Errorf("Children = %v, want %v", got, tt.children)
			}
		})
	}
}

func TestCycles(t *testing.T) {
	tests := []struct {
		name  string
		edges []string
		want  string
	}{
		{"two tables", []string{"a: b", "b: a"}, "a -> b -> a"},
		{"three tables behind a source", []string{"a: src c", "b: a", "c: b", "d: c"}, "a -> b -> c -> a"},
		{"cycle far from the first name", []string{"a: src", "m: z", "z: m"}, "m -> z -> m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := graphOf(t, tt.edges...)
			var ce *pipeline.CycleError
			if !errors.As(err, &ce) || !errors.Is(err, pipeline.ErrCycle) {
				t.Fatalf("err = %v, want a CycleError", err)
			}
			if got := strings.Join(ce.Cycle, " -> "); got != tt.want {
				t.Errorf("cycle %s, want %s", got, tt.want)
			}
			if !strings.Contains(err.Error(), "dml.") {
				t.Errorf("error does not name the files: %v", err)
			}
		})
	}
}

func TestUnknownTable(t *testing.T) {
	g, err := graphOf(t, p2...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Report("nope", pipeline.ReportOptions{}); !errors.Is(err, pipeline.ErrUnknownTable) {
		t.Errorf("err = %v, want ErrUnknownTable", err)
	}
}

func TestDefinitionIsOneLevelDeepAndSorted(t *testing.T) {
	g, err := graphOf(t, p2...)
	if err != nil {
		t.Fatal(err)
	}
	d := g.Definition("z")
	var parents, children []string
	for _, p := range d.Parents {
		parents = append(parents, p.TableName)
		if len(p.Parents) != 0 || len(p.Children) != 1 || p.Children[0].TableName != "z" {
			t.Errorf("parent %s: parents %d, children %v", p.TableName, len(p.Parents), p.Children)
		}
	}
	for _, c := range d.Children {
		children = append(children, c.TableName)
		if len(c.Parents)+len(c.Children) != 0 {
			t.Errorf("child %s is not flat", c.TableName)
		}
	}
	if !reflect.DeepEqual(parents, []string{"x", "y"}) || !reflect.DeepEqual(children, []string{"c", "d", "p"}) {
		t.Errorf("parents %v children %v", parents, children)
	}
}
