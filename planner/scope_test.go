package planner_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/pipeline"
	"github.com/shiftleft/shiftleft/planner"
)

// scoped is live as a read of the named tables' statements sees it.
func scoped(g *pipeline.Graph, live planner.Live, tables []string) planner.Live {
	out := planner.Live{Statements: map[string]planner.Statement{}, Pools: live.Pools, Tables: map[string]bool{}, Elsewhere: -1}
	for _, d := range planner.DesiredOf(g.Inventory(), naming, tables) {
		out.Tables[d.Table] = true
		for _, n := range []string{d.DDL, d.DML, d.Drop} {
			if st, ok := live.Statements[n]; ok && n != "" {
				out.Statements[n] = st
			}
		}
	}
	return out
}

func TestScope(t *testing.T) {
	// src -> mid -> agg* -> top, with other -> agg, and a sibling branch
	// src -> side; x writes y too (a statement set), y -> yr.
	g := chain(t,
		"mid: src", "side: src", "agg*: mid other", "top: agg", "other: ext_o",
		"x: ext_o", "yr: y", "lone: ext_l")
	x, _ := g.Table("x")
	x.AlsoWrites = []string{"y"}
	tests := []struct {
		name string
		req  planner.Request
		want []string
	}{
		{"a change: its descendants and every ancestor of those",
			planner.Request{Changes: []planner.Change{{Table: "mid", DML: true}}},
			[]string{"agg", "ext_o", "mid", "other", "src", "top"}},
		{"a sink", planner.Request{Tables: []string{"top"}}, []string{"agg", "ext_o", "mid", "other", "src", "top"}},
		{"a statement set's other sinks and their readers", planner.Request{Tables: []string{"x"}}, []string{"ext_o", "x", "y", "yr"}},
		{"ensure and several", planner.Request{Ensure: []string{"lone"}, Tables: []string{"side"}}, []string{"ext_l", "lone", "side", "src"}},
		{"a name the graph does not have", planner.Request{Tables: []string{"nope"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := planner.Scope(g, tt.req); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Scope = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestAScopedReadPlansAsAFullOne builds every plan of a change to each
// table of a graph, against lives where all, some or none of it runs, from
// the full live state and from the read of Scope's tables only: the plans
// are equal, or the scoped one says it needs more (ErrUnread) — never a
// different plan.
func TestAScopedReadPlansAsAFullOne(t *testing.T) {
	t.Run("hand-made", func(t *testing.T) {
		g := chain(t,
			"mid: src", "side: src", "agg*: mid other", "top: agg", "other: ext_o", "sidekick: side agg")
		checkScopedPlans(t, g, map[string]planner.Live{
			"all current":      deployed(g, true, g.Order()...),
			"all old":          deployed(g, false, g.Order()...),
			"nothing":          {Statements: map[string]planner.Statement{}},
			"ancestors absent": deployed(g, true, "mid", "agg", "top", "side", "sidekick"),
		})
	})
	t.Run("shift_left's sample project", func(t *testing.T) {
		g := corpusGraph(t)
		checkScopedPlans(t, g, map[string]planner.Live{
			"all running":      running(g),
			"nothing":          {Statements: map[string]planner.Statement{}},
			"some not running": running(g, "src_x", "z", "c"),
		})
	})
}

// checkScopedPlans builds, for each live state, the plans of a change to
// each table of g and of deploying it, from the full live state and from
// the read of Scope's tables only: the plans are equal, or the scoped one
// says it needs more (ErrUnread) — never a different plan. Both outcomes
// must occur, so both are checked.
func checkScopedPlans(t *testing.T, g *pipeline.Graph, lives map[string]planner.Live) {
	var same, unread int
	for name, live := range lives {
		for _, table := range g.Order() {
			if tb, _ := g.Table(table); tb.External() {
				continue
			}
			for _, req := range []planner.Request{
				{Changes: []planner.Change{{Table: table, DML: true}}},
				{Changes: []planner.Change{{Table: table, DDL: true}}},
				{Tables: []string{table}},
			} {
				opts := planner.Options{MayStartDescendants: true}
				want, wantErr := planner.Build(g, live, req, opts)
				got, err := planner.Build(g, scoped(g, live, planner.Scope(g, req)), req, opts)
				if got != nil && want != nil {
					// Counted on what was read: the only part that differs.
					got.Statements, want.Statements = nil, nil
				}
				switch {
				case errors.Is(err, planner.ErrUnread):
					unread++
				case (err == nil) != (wantErr == nil):
					t.Errorf("%s, %+v: scoped error %v, full %v", name, req, err, wantErr)
				case err == nil && !reflect.DeepEqual(got, want):
					t.Errorf("%s, %+v: scoped plan\n%+v\nfull plan\n%+v", name, req, got, want)
				default:
					same++
				}
			}
		}
	}
	t.Logf("%d plans equal, %d asked for more", same, unread)
	if same == 0 || unread == 0 {
		t.Errorf("%d plans equal, %d asked for more: want both", same, unread)
	}
}

func TestAPlanNeedingAnUnreadTableSaysSo(t *testing.T) {
	g := chain(t, "mid: src", "top: mid")
	live := scoped(g, deployed(g, true, "src", "mid", "top"), []string{"mid", "top"})
	_, err := planner.Build(g, live, planner.Request{Tables: []string{"top"}}, planner.Options{})
	if !errors.Is(err, planner.ErrUnread) || !strings.Contains(err.Error(), "src") {
		t.Fatalf("Build = %v, want ErrUnread naming src", err)
	}
}

// TestDesiredOfNamesAsBuildDoes: the reads a plan rests on name the
// statements Build looks for, a zero Naming included.
func TestDesiredOfNamesAsBuildDoes(t *testing.T) {
	g := chain(t, "mid: src")
	zero := planner.DesiredOf(g.Inventory(), planner.Naming{}, []string{"mid", "src"})
	named := planner.DesiredOf(g.Inventory(), planner.DefaultNaming, []string{"mid", "src"})
	if !reflect.DeepEqual(zero, named) || len(zero) != 2 {
		t.Errorf("zero naming %+v, default %+v", zero, named)
	}
	if all := planner.DesiredState(g.Inventory(), planner.Naming{}); !reflect.DeepEqual(all, named) {
		t.Errorf("DesiredState with a zero naming %+v, want %+v", all, named)
	}
}

// TestAScopedPlanThatAddsStatementsReadsEverything: the statement quota is
// the environment's, so a plan on a scoped read that leaves more
// statements than it read asks for every statement.
func TestAScopedPlanThatAddsStatementsReadsEverything(t *testing.T) {
	g := chain(t, "mid: src", "top: mid")
	live := deployed(g, true, "src", "mid")
	_, err := planner.Build(g, scoped(g, live, []string{"src", "mid", "top"}), planner.Request{Tables: []string{"top"}}, planner.Options{})
	var unread *planner.UnreadError
	if !errors.As(err, &unread) || len(unread.Tables) != 0 {
		t.Fatalf("a new table on a scoped read: %v, want ErrUnread for every statement", err)
	}
	if _, err := planner.Build(g, live, planner.Request{Tables: []string{"top"}}, planner.Options{}); err != nil {
		t.Errorf("the same plan on everything: %v", err)
	}
}
