package planner_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/planner"
)

// TestDropsNeedPermission: a plan that runs DROP TABLE fails with a
// DropError naming each topic and why, unless the deploy, the
// configuration or the table allows the drop.
func TestDropsNeedPermission(t *testing.T) {
	g := chain(t, "src:", "mid: src", "agg*: mid", "top*: agg*")
	live := deployed(g, false, "src", "mid", "agg", "top")
	agg := planner.Change{Table: "agg", DML: true}
	tests := []struct {
		name      string
		opts      planner.Options
		allowOn   string // a table whose .properties say allow_drop: true
		refused   []string
		recreated []string
	}{
		{"no permission", planner.Options{Strategy: planner.StrategyRecreate}, "", []string{"agg", "top"}, nil},
		{"--allow-drop", planner.Options{Strategy: planner.StrategyRecreate, AllowDrop: true}, "", nil, []string{"agg", "top"}},
		{"one table allows it, its reader does not", planner.Options{Strategy: planner.StrategyRecreate}, "agg", []string{"top"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.allowOn != "" {
				tb, _ := g.Table(tt.allowOn)
				tb.DDLProperties = map[string]string{planner.PropertyAllowDrop: "true"}
				defer func() { tb.DDLProperties = nil }()
			}
			tt.opts.MayStartDescendants = true
			p, err := planner.Build(g, live, planner.Request{Changes: []planner.Change{agg}}, tt.opts)
			var de *planner.DropError
			switch {
			case tt.refused == nil && err != nil:
				t.Fatal(err)
			case tt.refused != nil && (!errors.As(err, &de) || !errors.Is(err, planner.ErrDropNotAllowed)):
				t.Fatalf("error %v, want a DropError", err)
			}
			if de != nil {
				var got []string
				for _, r := range de.Refused {
					got = append(got, r.Table)
					if !strings.Contains(err.Error(), "topic "+r.Table+" (recreate: ") {
						t.Errorf("%q does not name topic %s and why", err, r.Table)
					}
				}
				if strings.Join(got, " ") != strings.Join(tt.refused, " ") {
					t.Errorf("refused %v, want %v", got, tt.refused)
				}
			}
			if p == nil {
				t.Fatal("no plan returned with the error: the caller cannot show it")
			}
			for _, n := range tt.recreated {
				if a, _ := p.Action(n); a.Kind != planner.Recreate || !strings.HasPrefix(a.Consequence, "drops topic "+n+" (its records and schema)") {
					t.Errorf("%s: %s %q", n, a.Kind, a.Consequence)
				}
			}
		})
	}
}

// TestAnInterruptedDropNeedsNoPermission: a recreate that dropped the
// table already is finished: its topic is gone, nothing more is dropped.
func TestAnInterruptedDropNeedsNoPermission(t *testing.T) {
	g := chain(t, "src:", "mid: src", "agg*: mid", "top*: agg*")
	live := interrupted(g, deployed(g, true, "src", "mid", "agg", "top"), "agg")
	delete(live.Statements, naming.DDL("agg", "p"))
	p, err := planner.Build(g, live, planner.Request{Tables: []string{"agg"}}, planner.Options{})
	var de *planner.DropError
	if errors.As(err, &de) {
		for _, r := range de.Refused {
			if r.Table == "agg" {
				t.Errorf("agg refused: %v", err)
			}
		}
	}
	if a, _ := p.Action("agg"); a.Kind != planner.Create || !strings.Contains(a.Consequence, "dropped by an interrupted recreate") {
		t.Errorf("agg: %s %q", a.Kind, a.Consequence)
	}
}

// TestTableSettings: strategy and allow_drop in a table's .properties are
// read, and refused when they do not parse.
func TestTableSettings(t *testing.T) {
	tests := []struct {
		name  string
		props map[string]string
		opts  planner.Options
		want  planner.ActionKind
		err   error
	}{
		{"strategy: recreate with allow_drop: true", map[string]string{"strategy": "recreate", "allow_drop": "true"}, planner.Options{},
			planner.RestartDML, nil},
		{"--strategy wins over the table", map[string]string{"strategy": "recreate"}, planner.Options{Strategy: planner.StrategyVersion},
			planner.CarryOver, nil},
		{"the table wins over deploy.strategy", map[string]string{"strategy": "version"}, planner.Options{ConfigStrategy: planner.StrategyRecreate},
			planner.CarryOver, nil},
		{"deploy.strategy", nil, planner.Options{ConfigStrategy: planner.StrategyRecreate}, planner.RestartDML, nil},
		{"an unknown strategy", map[string]string{"strategy": "blue-green"}, planner.Options{}, "", planner.ErrInvalidStrategy},
		{"allow_drop not a boolean", map[string]string{"allow_drop": "sure"}, planner.Options{}, "", planner.ErrInvalidStrategy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := chain(t, "src:", "mid: src")
			tb, _ := g.Table("mid")
			tb.DMLProperties = tt.props
			p, err := planner.Build(g, deployed(g, false, "src", "mid"), planner.Request{Changes: []planner.Change{{Table: "mid", DML: true}}}, tt.opts)
			if !errors.Is(err, tt.err) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			if err != nil {
				if !strings.Contains(err.Error(), "mid (pipelines/facts/p/mid/sql-scripts/dml.mid.properties)") {
					t.Errorf("%q does not name the table and its file", err)
				}
				return
			}
			if a, _ := p.Action("mid"); a.Kind != tt.want {
				t.Errorf("mid: %s, want %s", a.Kind, tt.want)
			}
		})
	}
}

func TestParseStrategy(t *testing.T) {
	for in, want := range map[string]planner.Strategy{"": "", "version": planner.StrategyVersion, " in-place": planner.StrategyInPlace, "recreate": planner.StrategyRecreate} {
		if got, err := planner.ParseStrategy(in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	if _, err := planner.ParseStrategy("force"); !errors.Is(err, planner.ErrInvalidStrategy) {
		t.Errorf("force: %v", err)
	}
}

// TestEveryActionStatesItsConsequence: every action of a plan, skips
// included, says what it does to the table's data.
func TestEveryActionStatesItsConsequence(t *testing.T) {
	g := chain(t, "src:", "mid: src", "agg*: mid", "top*: agg*", "new: top*")
	p, err := planner.Build(g, deployed(g, false, "src", "mid", "agg", "top"),
		planner.Request{Changes: []planner.Change{{Table: "mid", DML: true}, {Table: "new", New: true}}}, planner.Options{MayStartDescendants: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range p.Actions {
		if a.Consequence == "" {
			t.Errorf("%s (%s) states no consequence", a.Table, a.Kind)
		}
	}
	if a, _ := p.Action("new"); !strings.HasPrefix(a.Consequence, "creates topic new") {
		t.Errorf("new: %q", a.Consequence)
	}
}
