// Package pipeline is the dependency graph of a pipelines tree: each table
// points to the tables its SQL reads. It orders tables (topological order,
// waves of tables that can be deployed together), finds cycles, answers
// ancestor and descendant queries, and renders a table's pipeline as text,
// JSON, YAML, Graphviz DOT or Mermaid.
//
// The package is pure: it takes an inventory and returns values.
package pipeline

import (
	"container/heap"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/shiftleft/shiftleft/inventory"
)

// ErrCycle is wrapped by the CycleError New returns.
var ErrCycle = errors.New("dependency cycle")

// ErrUnknownTable is returned for a table that is not in the graph.
var ErrUnknownTable = errors.New("table not found in inventory")

// CycleError names the tables of a cycle, first table repeated at the end,
// and the files that close it.
type CycleError struct {
	Cycle []string
	Files []string
}

func (e *CycleError) Error() string {
	return fmt.Sprintf("%v: %s (see %s)", ErrCycle, strings.Join(e.Cycle, " -> "), strings.Join(e.Files, ", "))
}

func (e *CycleError) Unwrap() error { return ErrCycle }

// Graph is the DAG of an inventory. Edges go from parent to child.
//
// A table's parents are its Table.Parents, except for a table another
// table's DML writes (Table.WrittenBy, a statement set's fan-out): it is
// produced by that DML, so its parents are the DML's inputs too. The DML's
// own table has the other tables it writes among its Parents already, so
// that their DDL is deployed before the DML runs.
type Graph struct {
	inv      *inventory.Inventory
	children map[string][]string
	// fed holds the parents of the tables another table's DML writes.
	fed      map[string][]string
	order    []string       // topological: parents before children, ties by name
	position map[string]int // index in order
	level    map[string]int // wave index: 0 for tables without parents
}

// New builds the graph of inv. It fails with a *CycleError when the tables
// depend on each other in a loop.
func New(inv *inventory.Inventory) (*Graph, error) {
	g := &Graph{inv: inv, children: make(map[string][]string, len(inv.Tables)), fed: map[string][]string{}}
	names := inv.Names()
	for _, name := range names {
		if t := inv.Tables[name]; t.WrittenBy != "" {
			g.fed[name] = fedParents(inv, t)
		}
	}
	for _, name := range names {
		for _, p := range g.Parents(name) {
			g.children[p] = append(g.children[p], name)
		}
	}
	if err := g.sort(); err != nil {
		return nil, err
	}
	return g, nil
}

// fedParents are the parents of t, which the DML of another table writes:
// its own and that DML's inputs, which are the owner's parents but the
// tables the DML writes, sorted.
func fedParents(inv *inventory.Inventory, t *inventory.Table) []string {
	owner := inv.Tables[t.WrittenBy]
	if owner == nil {
		return t.Parents
	}
	skip := map[string]bool{t.Name: true, owner.Name: true}
	for _, w := range owner.AlsoWrites {
		skip[w] = true
	}
	out := slices.Clone(t.Parents)
	for _, p := range owner.Parents {
		if !skip[p] && !slices.Contains(t.Parents, p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// sort orders the tables with Kahn's algorithm, taking ready tables by name
// so the order is deterministic, and computes each table's wave.
func (g *Graph) sort() error {
	names := g.inv.Names()
	pending := make(map[string]int, len(names))
	var ready []string
	for _, n := range names {
		pending[n] = len(g.Parents(n))
		if pending[n] == 0 {
			ready = append(ready, n)
		}
	}
	g.level = make(map[string]int, len(names))
	g.order = make([]string, 0, len(names))
	g.position = make(map[string]int, len(names))
	// A min-heap of ready tables keeps the order by name among tables that
	// are ready at the same time.
	h := nameHeap(ready)
	heap.Init(&h)
	for h.Len() > 0 {
		n := heap.Pop(&h).(string)
		g.position[n] = len(g.order)
		g.order = append(g.order, n)
		for _, c := range g.children[n] {
			if g.level[n]+1 > g.level[c] {
				g.level[c] = g.level[n] + 1
			}
			pending[c]--
			if pending[c] == 0 {
				heap.Push(&h, c)
			}
		}
	}
	if len(g.order) < len(names) {
		return g.cycle(pending)
	}
	return nil
}

type nameHeap []string

func (h nameHeap) Len() int           { return len(h) }
func (h nameHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h nameHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *nameHeap) Push(x any)        { *h = append(*h, x.(string)) }
func (h *nameHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// cycle finds one cycle among the tables Kahn's algorithm could not order:
// each of them still waits on a parent that is also left, so walking up
// parents from any of them must come back to a table already seen.
func (g *Graph) cycle(pending map[string]int) error {
	var start string
	for _, n := range g.inv.Names() {
		if pending[n] > 0 {
			start = n
			break
		}
	}
	pos := map[string]int{}
	var path []string
	for n := start; ; {
		if i, ok := pos[n]; ok {
			path = path[i:]
			break
		}
		pos[n] = len(path)
		path = append(path, n)
		for _, p := range g.Parents(n) {
			if pending[p] > 0 {
				n = p
				break
			}
		}
	}
	// path follows parents; a cycle reads better in data-flow order.
	cyc := make([]string, 0, len(path)+1)
	for i := len(path) - 1; i >= 0; i-- {
		cyc = append(cyc, path[i])
	}
	// Start at the smallest name so the same cycle always reads the same.
	first := 0
	for i, n := range cyc {
		if n < cyc[first] {
			first = i
		}
	}
	cyc = append(cyc[first:], cyc[:first]...)
	cyc = append(cyc, cyc[0])
	var files []string
	for _, n := range cyc[1:] {
		t := g.inv.Tables[n]
		if w := g.inv.Tables[t.WrittenBy]; w != nil {
			t = w // its parents come from that DML
		}
		if t.DMLRef != "" {
			files = append(files, t.DMLRef)
		} else {
			files = append(files, t.DDLRef)
		}
	}
	return &CycleError{Cycle: cyc, Files: files}
}

// Inventory returns the inventory the graph was built from.
func (g *Graph) Inventory() *inventory.Inventory { return g.inv }

// Table returns a table by name.
func (g *Graph) Table(name string) (*inventory.Table, error) {
	t, ok := g.inv.Tables[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownTable, name)
	}
	return t, nil
}

// Parents returns the tables name depends on, sorted: the tables it reads
// and, for a table another table's DML writes, that DML's inputs.
func (g *Graph) Parents(name string) []string {
	if p, ok := g.fed[name]; ok {
		return p
	}
	return g.inv.Tables[name].Parents
}

// Children returns the tables that depend on name, sorted.
func (g *Graph) Children(name string) []string { return g.children[name] }

// readers are the children whose own SQL reads name, as its
// pipeline_definition.json lists them: a table that another DML writes
// from name is left out, as shift_left leaves it out.
func (g *Graph) readers(name string) []string {
	if len(g.fed) == 0 {
		return g.children[name]
	}
	var out []string
	for _, c := range g.children[name] {
		if _, fed := g.fed[c]; !fed || slices.Contains(g.inv.Tables[c].Parents, name) {
			out = append(out, c)
		}
	}
	return out
}

// Order returns every table, parents before children.
func (g *Graph) Order() []string { return g.order }

// Waves groups the tables by depth: wave 0 has no parents, and every table
// comes one wave after its deepest parent, so the tables of a wave can be
// deployed in parallel once the waves before are done.
func (g *Graph) Waves() [][]string {
	var waves [][]string
	for _, n := range g.order {
		l := g.level[n]
		for len(waves) <= l {
			waves = append(waves, nil)
		}
		waves[l] = append(waves[l], n)
	}
	return waves
}

// Ancestors returns every table name depends on, directly or not, in
// topological order.
func (g *Graph) Ancestors(name string) []string {
	return g.reach(name, g.Parents)
}

// Descendants returns every table that depends on name, directly or not, in
// topological order.
func (g *Graph) Descendants(name string) []string {
	return g.reach(name, g.Children)
}

func (g *Graph) reach(name string, next func(string) []string) []string {
	seen := map[string]bool{}
	stack := append([]string(nil), next(name)...)
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[n] {
			continue
		}
		seen[n] = true
		stack = append(stack, next(n)...)
	}
	return g.inOrder(seen)
}

// inOrder returns the members of set in topological order: sorted by
// position, as a set is usually a small part of a large graph.
func (g *Graph) inOrder(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	slices.SortFunc(out, func(a, b string) int { return g.position[a] - g.position[b] })
	return out
}

// Definition returns a table's pipeline_definition.json content: the
// tables its SQL reads and the tables whose SQL reads it, as shift_left
// lists them.
func (g *Graph) Definition(name string) inventory.Definition {
	t := g.inv.Tables[name]
	return inventory.NewDefinition(t, g.tables(t.Parents), g.tables(g.readers(name)))
}

func (g *Graph) tables(names []string) []*inventory.Table {
	out := make([]*inventory.Table, len(names))
	for i, n := range names {
		out[i] = g.inv.Tables[n]
	}
	return out
}

// HasDefinitionFile reports whether a table gets a pipeline_definition.json:
// every table with a folder in the tree, no external topic.
func HasDefinitionFile(t *inventory.Table) bool { return !t.External() }
