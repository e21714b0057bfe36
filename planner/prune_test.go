package planner_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/planner"
)

func TestPrune(t *testing.T) {
	// At base, keep reads old; head's keep no longer does, and old, older
	// (which reads old) and idle (never deployed) are gone.
	base := chain(t, "src:", "mid: src", "old: mid", "older: old", "keep: mid old", "idle: src")
	head := chain(t, "src:", "mid: src", "keep: mid")
	live := deployed(base, false, "src", "mid", "old", "older", "keep")
	p, err := planner.Build(head, live, planner.Request{Changes: []planner.Change{{Table: "keep", DML: true}}}, planner.Options{MayStartDescendants: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := planner.Prune(p, base.Inventory(), live, []string{"old", "older", "idle"}, planner.Options{}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range p.Actions {
		if a.Kind != planner.Skip || a.Table == "idle" {
			got = append(got, a.Table+":"+string(a.Kind))
		}
	}
	// Children first among the deleted tables, after what the plan deploys.
	if want := []string{"keep:carry-over", "idle:skip", "older:drop", "old:drop"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("actions %v, want %v", got, want)
	}
	old, _ := p.Action("old")
	if !reflect.DeepEqual(old.After, []string{"keep", "older"}) || old.Wave != 1 {
		t.Errorf("old waits for %v in wave %d, want [keep older] in wave 1", old.After, old.Wave)
	}
	if !reflect.DeepEqual(stepKinds(old), []string{"delete-statement", "drop-table", "delete-statement", "delete-statement"}) {
		t.Errorf("old's steps %v", stepKinds(old))
	}
	if !strings.Contains(old.Reason, "deleted") {
		t.Errorf("old's reason %q does not say it was deleted", old.Reason)
	}
	if idle, _ := p.Action("idle"); idle.Reason != "not deployed" || len(idle.Steps) != 0 {
		t.Errorf("idle: %q with steps %v", idle.Reason, idle.Steps)
	}
	if got := p.Waves(); !reflect.DeepEqual(got, [][]string{{"keep", "older"}, {"old"}}) {
		t.Errorf("waves %v", got)
	}

	tests := []struct {
		name    string
		deleted []string
		want    string
	}{
		{"not a table of the base commit", []string{"nowhere"}, "nowhere: not a table of the base commit"},
		{"a table the plan deploys", []string{"keep"}, "keep: the plan deploys it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := planner.Prune(p, base.Inventory(), live, tt.deleted, planner.Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Prune(%v) = %v, want an error with %q", tt.deleted, err, tt.want)
			}
		})
	}
}
