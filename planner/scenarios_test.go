package planner_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/planner"
)

// TestShiftLeftBugScenarios replays the two cases of shift_left's
// execution-plan scenarios, on its p2 graph, where shiftleft used to
// disagree with shift_left by a bug of its own (issue 12): the start state,
// the command, the tables to run and restart, and what each running table
// outside the lineage asked for is left as.
func TestShiftLeftBugScenarios(t *testing.T) {
	g := corpusGraph(t)
	var dirP2 []string
	for _, n := range g.Order() {
		if tb, _ := g.Table(n); strings.HasPrefix(tb.Folder, "pipelines/sources/p2/") {
			dirP2 = append(dirP2, n)
		}
	}
	tests := []struct {
		name    string
		req     planner.Request
		opts    planner.Options
		run     []string
		restart []string
		// kinds: what the plan does to tables the bugs touched.
		kinds map[string]planner.ActionKind
	}{
		// Exclusions are applied before walking descendants: src_x and
		// src_y excluded, a and src_a, reachable only through src_x, are
		// not in the lineage and stay untouched.
		{"z with descendants and force, src_x and src_y excluded", planner.Request{Tables: []string{"z"}},
			planner.Options{ForceAncestors: true, MayStartDescendants: true, Exclude: []string{"src_x", "src_y"}},
			[]string{"x", "y"}, []string{"c", "d", "e", "f", "p", "z"},
			map[string]planner.ActionKind{"a": "", "src_a": "", "src_x": planner.Skip, "src_y": planner.Skip}},
		// --force-ancestors forces the requested tables' ancestors only:
		// the sources of p2 are recreated (with --dir they are the request)
		// and their readers redeployed (x and b are stateful: recreated);
		// the running y, stateless, reads the dropped src_y: its DML
		// restarts, its table is not recreated as a forced ancestor of d.
		{"--dir sources/p2 with descendants and force", planner.Request{Ensure: dirP2},
			planner.Options{ForceAncestors: true, MayStartDescendants: true},
			nil, []string{"a", "b", "c", "d", "e", "f", "p", "src_a", "src_b", "src_x", "src_y", "x", "y", "z"},
			map[string]planner.ActionKind{"y": planner.RestartDML, "x": planner.Recreate, "b": planner.Recreate,
				"src_x": planner.Recreate, "src_y": planner.Recreate}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := shiftLeftBuild(g, running(g), tt.req, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			run, restart := sets(p)
			if !reflect.DeepEqual(run, tt.run) || !reflect.DeepEqual(restart, tt.restart) {
				t.Errorf("run %v restart %v, want run %v restart %v", run, restart, tt.run, tt.restart)
			}
			got := kinds(p)
			for table, want := range tt.kinds {
				if got[table] != want {
					t.Errorf("%s: %q, want %q", table, got[table], want)
				}
			}
		})
	}
}
