package deployments

import (
	"fmt"

	"github.com/shiftleft/shiftleft/planner"
)

// graph is a plan's dependencies by action index: an action waits for its
// parents, the actions of the tables in its After list.
type graph struct {
	parents  [][]int
	children [][]int
}

// newGraph checks the plan can run — every table once, every After naming
// a table of the plan, no cycle, steps it knows — before anything is done.
func newGraph(plan *planner.Plan) (*graph, error) {
	if plan == nil {
		return nil, fmt.Errorf("%w: no plan", ErrInvalidPlan)
	}
	index := make(map[string]int, len(plan.Actions))
	for i, a := range plan.Actions {
		if a.Table == "" {
			return nil, fmt.Errorf("%w: action %d has no table", ErrInvalidPlan, i)
		}
		if _, dup := index[a.Table]; dup {
			return nil, fmt.Errorf("%w: table %s has two actions", ErrInvalidPlan, a.Table)
		}
		index[a.Table] = i
		if err := checkSteps(a); err != nil {
			return nil, err
		}
	}
	g := &graph{parents: make([][]int, len(plan.Actions)), children: make([][]int, len(plan.Actions))}
	for i, a := range plan.Actions {
		for _, t := range a.After {
			p, ok := index[t]
			if !ok {
				return nil, fmt.Errorf("%w: %s waits for %s, which has no action in the plan", ErrInvalidPlan, a.Table, t)
			}
			g.parents[i] = append(g.parents[i], p)
			g.children[p] = append(g.children[p], i)
		}
	}
	if t, ok := g.cycle(plan); ok {
		return nil, fmt.Errorf("%w: %s waits for itself through its After lists", ErrInvalidPlan, t)
	}
	return g, nil
}

func checkSteps(a planner.Action) error {
	if a.Kind == planner.Skip {
		return nil
	}
	for _, s := range a.Steps {
		switch {
		case s.Statement == "":
			return fmt.Errorf("%w: %s: a %s step has no statement", ErrInvalidPlan, a.Table, s.Kind)
		case creates(s.Kind):
			if s.Ref == "" {
				return fmt.Errorf("%w: %s: step %s %s has no SQL file", ErrInvalidPlan, a.Table, s.Kind, s.Statement)
			}
		case s.Kind == planner.AlterTable:
			if s.SQL == "" || s.Fingerprint == "" {
				return fmt.Errorf("%w: %s: step %s %s has no SQL or no fingerprint", ErrInvalidPlan, a.Table, s.Kind, s.Statement)
			}
		case !destroys(s.Kind) && s.Kind != planner.StopStatement:
			return fmt.Errorf("%w: %s: unknown step %q", ErrInvalidPlan, a.Table, s.Kind)
		}
	}
	return nil
}

// cycle finds a table on a dependency cycle (Kahn's algorithm: what cannot
// be sorted is on or behind a cycle), which would leave the run waiting
// forever.
func (g *graph) cycle(plan *planner.Plan) (string, bool) {
	waiting := make([]int, len(g.parents))
	var queue []int
	for i, ps := range g.parents {
		waiting[i] = len(ps)
		if waiting[i] == 0 {
			queue = append(queue, i)
		}
	}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		for _, c := range g.children[i] {
			if waiting[c]--; waiting[c] == 0 {
				queue = append(queue, c)
			}
		}
	}
	for i, w := range waiting {
		if w > 0 {
			return plan.Actions[i].Table, true
		}
	}
	return "", false
}
