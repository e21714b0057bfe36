package planner

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/shiftleft/shiftleft/inventory"
	"github.com/shiftleft/shiftleft/pipeline"
)

// ErrUnread is Build's (or Prune's) answer when it needed the statements of
// a table a scoped read of what runs (Live.Tables) left out: the plan would
// rest on a guess, so the caller reads everything and plans again.
var ErrUnread = errors.New("planner: what runs was read for other tables")

// Scope is the tables whose statements Build is expected to read for req:
// the tables it names and the changed ones, everything the descendant walk
// can reach from them (a fan-out's written tables and their readers
// included), and every ancestor of those. It is a guess from the graph
// alone, right whenever the ancestors the plan needs already run; when
// Build needs another table it says so with ErrUnread instead of planning
// on what it did not read. Sorted.
func Scope(g *pipeline.Graph, req Request) []string {
	seen := map[string]bool{}
	var down []string
	add := func(n string) {
		if _, err := g.Table(n); err == nil && !seen[n] {
			seen[n] = true
			down = append(down, n)
		}
	}
	for _, n := range req.Tables {
		add(n)
	}
	for _, n := range req.Ensure {
		add(n)
	}
	for _, c := range req.Changes {
		add(c.Table)
	}
	for i := 0; i < len(down); i++ {
		t, _ := g.Table(down[i])
		for _, c := range g.Children(down[i]) {
			add(c)
		}
		for _, w := range t.AlsoWrites {
			add(w)
		}
	}
	up := slices.Clone(down)
	for i := 0; i < len(up); i++ {
		for _, p := range g.Parents(up[i]) {
			if !seen[p] {
				seen[p] = true
				up = append(up, p)
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// DesiredOf is DesiredState for the named tables of inv only; a name inv
// does not have (a nil inv has none), or a table that cannot be deployed,
// has none. A zero Naming is DefaultNaming, as for Build.
func DesiredOf(inv *inventory.Inventory, n Naming, names []string) []Desired {
	if inv == nil {
		return nil
	}
	n = n.orDefault()
	var out []Desired
	for _, name := range names {
		if t := inv.Tables[name]; t != nil && deployable(t) {
			out = append(out, desiredOf(t, n))
		}
	}
	return out
}

// UnreadError is ErrUnread with the tables the plan needed.
type UnreadError struct {
	// Tables, sorted; none: it needs every statement (to count them
	// against the statement quota).
	Tables []string
}

func (e *UnreadError) Error() string {
	if len(e.Tables) == 0 {
		return fmt.Sprintf("%v: the plan adds statements, which counts every statement against the quota", ErrUnread)
	}
	names := e.Tables
	if len(names) > 5 {
		names = append(slices.Clip(names[:5]), fmt.Sprintf("and %d more", len(e.Tables)-5))
	}
	return fmt.Sprintf("%v: %s", ErrUnread, strings.Join(names, ", "))
}

func (e *UnreadError) Is(target error) bool { return target == ErrUnread }

// unread is the UnreadError of the tables a scoped read left out, nil when
// there are none.
func unread(tables []string) error {
	if len(tables) == 0 {
		return nil
	}
	return &UnreadError{Tables: slices.Sorted(slices.Values(tables))}
}
