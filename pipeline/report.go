package pipeline

import (
	"github.com/shiftleft/shiftleft/inventory"
)

// ReportOptions choose what a table's report shows.
type ReportOptions struct {
	// Children expands the descendants down to the sinks (--children-too);
	// without it only the direct children are listed.
	Children bool
	// ParentsOnly leaves the children out (--parent-only).
	ParentsOnly bool
}

// Report is a table's pipeline: the tree of its ancestors (and descendants),
// and the same as a flat subgraph for the graph formats.
type Report struct {
	// Tree is the table's definition with parents expanded recursively up to
	// the sources and, with Children, children expanded down to the sinks.
	Tree inventory.Definition
	// Nodes are the tables of the report in topological order; Edges go from
	// parent to child, both ends in Nodes.
	Nodes []string
	Edges [][2]string

	// roots are the tables the report is about, drawn bold; title names the
	// graph.
	roots map[string]bool
	title string
	g     *Graph
}

// Report builds the report of one table.
func (g *Graph) Report(name string, opts ReportOptions) (*Report, error) {
	t, err := g.Table(name)
	if err != nil {
		return nil, err
	}
	r := &Report{roots: map[string]bool{name: true}, title: name, g: g}
	r.Tree = inventory.Entry(t)
	r.Tree.Parents = g.expand(g.Parents(name), g.Parents, true)

	members := map[string]bool{name: true}
	for _, a := range g.Ancestors(name) {
		members[a] = true
	}
	switch {
	case opts.ParentsOnly:
	case opts.Children:
		r.Tree.Children = g.expand(g.children[name], g.Children, false)
		for _, d := range g.Descendants(name) {
			members[d] = true
		}
	default:
		for _, c := range g.children[name] {
			r.Tree.Children = append(r.Tree.Children, inventory.Entry(g.inv.Tables[c]))
			members[c] = true
		}
	}
	r.Nodes = g.inOrder(members)
	for _, child := range r.Nodes {
		for _, p := range g.Parents(child) {
			if members[p] {
				r.Edges = append(r.Edges, [2]string{p, child})
			}
		}
	}
	return r, nil
}

// expand turns names into definitions whose parents (up) or children (down)
// are expanded recursively. A table reached twice in a diamond appears twice,
// as shift_left's report shows it.
func (g *Graph) expand(names []string, next func(string) []string, up bool) []inventory.Definition {
	out := make([]inventory.Definition, 0, len(names))
	for _, n := range names {
		d := inventory.Entry(g.inv.Tables[n])
		if up {
			d.Parents = g.expand(next(n), next, up)
		} else {
			d.Children = g.expand(next(n), next, up)
		}
		out = append(out, d)
	}
	return out
}

// Impact is the report of a change: the given tables, drawn bold, with their
// parents and the edges between them, for a pull request's graph. Tree is
// left empty.
func (g *Graph) Impact(title string, tables []string) (*Report, error) {
	r := &Report{roots: map[string]bool{}, title: title, g: g}
	members := map[string]bool{}
	for _, n := range tables {
		t, err := g.Table(n)
		if err != nil {
			return nil, err
		}
		r.roots[n], members[n] = true, true
		for _, p := range g.Parents(t.Name) {
			members[p] = true
		}
	}
	r.Nodes = g.inOrder(members)
	for _, child := range r.Nodes {
		for _, p := range g.Parents(child) {
			if members[p] && r.roots[child] {
				r.Edges = append(r.Edges, [2]string{p, child})
			}
		}
	}
	return r, nil
}
