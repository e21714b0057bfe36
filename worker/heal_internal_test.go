package worker

import (
	"reflect"
	"testing"

	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/jobs"
	"github.com/shiftleft/shiftleft/planner"
)

func TestHealRequestAndReasons(t *testing.T) {
	heal := []jobs.Drifted{
		{Table: "orders", State: "failed", Detail: "FAILED: boom"},
		{Table: "gone", State: "orphaned", Statement: "dml-gone"},
		{Table: "users", State: "stopped"},
		{Table: "absent", State: "missing"}, // no table of the commit: left out
	}
	req := planner.Request{Tables: []string{"users"}}
	healRequest(&req, heal, func(n string) bool { return n == "orders" || n == "users" || n == "gone" })
	if want := []string{"users", "orders"}; !reflect.DeepEqual(req.Tables, want) {
		t.Errorf("start tables %v, want %v (orphans and tables the commit lacks left out, none twice)", req.Tables, want)
	}
	p := &planner.Plan{Actions: []planner.Action{{Table: "orders", Reason: "stateless DML: restart it"}, {Table: "other", Reason: "impacted"}}}
	healReasons(p, heal)
	if got := p.Actions[0].Reason; got != "self-heal, failed (FAILED: boom): stateless DML: restart it" {
		t.Errorf("reason %q", got)
	}
	if got := p.Actions[1].Reason; got != "impacted" {
		t.Errorf("a table not healed got reason %q", got)
	}
}

func TestHealBase(t *testing.T) {
	const sha, other = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222"
	for _, tt := range []struct {
		name        string
		deployed    string
		hasDeployed bool
		superseded  bool
	}{
		{"the deployed commit", sha, true, false},
		{"another deployed since", other, true, true},
		{"none deployed", "", false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			j := &jobs.Job{After: sha, Status: jobs.StatusRunning}
			base, superseded := healBase(j, tt.deployed, tt.hasDeployed, zap.NewNop())
			if superseded != tt.superseded || (!superseded && base != sha) || (superseded && j.Status != jobs.StatusSuperseded) {
				t.Errorf("base %q superseded %v status %s", base, superseded, j.Status)
			}
		})
	}
}
