package pipelinegen

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Options says what tree to generate.
type Options struct {
	Tables   int // total number of tables (>= 1)
	Seed     uint64
	Products int // number of products; 0 means a default derived from Tables (about one product per 50 tables, at least 1)
}

// Table is the ground truth for one generated table.
type Table struct {
	Name     string // table name as written in the SQL
	Folder   string // folder relative to the root, slash-separated, e.g. "facts/p3/fct_orders_12"
	Product  string
	Type     string   // "source", "intermediate", "dimension", "fact" or "view"
	Parents  []string // sorted names of the tables its DML reads (empty for sources)
	Stateful bool     // whether the DML (or the DDL changelog.mode upsert) makes it stateful
}

// Tree is the ground truth of a generated pipelines tree.
type Tree struct {
	Tables []Table // sorted by Name
}

// Generate writes a tree under dir (created if missing; must be empty or
// absent) and returns its truth. On a write error dir may hold part of the
// tree.
func Generate(dir string, opts Options) (*Tree, error) {
	p, err := newPlan(opts)
	if err != nil {
		return nil, err
	}
	if err := prepareRoot(dir); err != nil {
		return nil, err
	}
	if err := p.write(dir); err != nil {
		return nil, err
	}
	return p.tree(), nil
}

// Plan returns the same truth as Generate without writing files.
func Plan(opts Options) (*Tree, error) {
	p, err := newPlan(opts)
	if err != nil {
		return nil, err
	}
	return p.tree(), nil
}

func (o Options) validate() error {
	var errs []error
	if o.Tables < 1 {
		errs = append(errs, fmt.Errorf("pipelinegen: Tables is %d, want at least 1", o.Tables))
	}
	if o.Products < 0 {
		errs = append(errs, fmt.Errorf("pipelinegen: Products is %d, want 0 (default) or more", o.Products))
	}
	return errors.Join(errs...)
}

// tree turns the plan into the public truth, sorted by name.
func (p *plan) tree() *Tree {
	tables := make([]Table, len(p.nodes))
	for i := range p.nodes {
		n := &p.nodes[i]
		parents := make([]string, len(n.parents))
		for j, pi := range n.parents {
			parents[j] = p.nodes[pi].name
		}
		slices.Sort(parents)
		tables[i] = Table{
			Name:     n.name,
			Folder:   n.folder,
			Product:  n.product,
			Type:     kinds[n.kind].typ,
			Parents:  parents,
			Stateful: n.stateful(),
		}
	}
	slices.SortFunc(tables, func(a, b Table) int { return strings.Compare(a.Name, b.Name) })
	return &Tree{Tables: tables}
}
