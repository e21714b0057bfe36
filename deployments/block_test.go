package deployments_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shiftleft/shiftleft/confluent/emulator"
	"github.com/shiftleft/shiftleft/deployments"
	"github.com/shiftleft/shiftleft/internal/emulatortest"
	"github.com/shiftleft/shiftleft/planner"
)

// TestFailureBlocksEveryDescendant runs a plan against the emulator where
// a table fails: every table below it is blocked, however deep, and through
// a table the plan skips — none is left behind as if the run had been
// cancelled. It builds its plan from the public types alone.
func TestFailureBlocksEveryDescendant(t *testing.T) {
	// raw -> a -> b (fails) -> c -> d -> e, and b -> s (skipped: runs
	// already) -> u.
	const failing = "b"
	type table struct{ name, parent string }
	chain := []table{{"a", "raw"}, {"b", "a"}, {"c", "b"}, {"d", "c"}, {"e", "d"}, {"s", "b"}, {"u", "s"}}
	n := planner.DefaultNaming
	files := map[string]string{}
	p := &planner.Plan{}
	wave := map[string]int{"raw": -1}
	for _, tb := range chain {
		a := planner.Action{Table: tb.name, Kind: planner.Create, Reason: "test", Wave: wave[tb.parent] + 1}
		if tb.parent != "raw" {
			a.After = []string{tb.parent}
		}
		wave[tb.name] = a.Wave
		if tb.name == "s" {
			a.Kind, a.Reason = planner.Skip, "runs already"
			p.Actions = append(p.Actions, a)
			continue
		}
		for _, st := range []struct {
			kind           planner.StepKind
			file           string
			statement, sql string
		}{
			{planner.CreateDDL, "ddl", n.DDL(tb.name, ""), "CREATE TABLE " + tb.name + " (id STRING)"},
			{planner.CreateDML, "dml", n.DML(tb.name, ""), "INSERT INTO " + tb.name + " SELECT id FROM " + tb.parent},
		} {
			ref := fmt.Sprintf("pipelines/%s/%s.%s.sql", tb.name, st.file, tb.name)
			files[ref] = st.sql
			sum := sha256.Sum256([]byte(st.sql))
			a.Steps = append(a.Steps, planner.Step{Kind: st.kind, Statement: st.statement, Ref: ref, Fingerprint: hex.EncodeToString(sum[:])})
		}
		p.Actions = append(p.Actions, a)
	}

	rig := emulatortest.Start(t, nil, emulator.Seed(1), emulator.ExternalTables([]string{"raw"}))
	if err := rig.Emulator.SetFaults(emulator.Faults{FailStatements: map[string]string{n.DML(failing, ""): "Kafka topic b: TopicAuthorizationException"}}); err != nil {
		t.Fatal(err)
	}
	load := func(ref string) (string, map[string]string, error) {
		sql, ok := files[ref]
		if !ok {
			return "", nil, fmt.Errorf("no file %s", ref)
		}
		return sql, nil, nil
	}
	r, err := deployments.NewRunner(rig.Client, load)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}

	got := map[string]deployments.Status{}
	for _, a := range res.Actions {
		got[a.Table] = a.Status
		if a.Status == deployments.StatusBlocked && a.BlockedBy != failing {
			t.Errorf("%s: blocked by %q, want %s", a.Table, a.BlockedBy, failing)
		}
	}
	want := map[string]deployments.Status{
		"a": deployments.StatusSucceeded, "b": deployments.StatusFailed,
		"c": deployments.StatusBlocked, "d": deployments.StatusBlocked, "e": deployments.StatusBlocked,
		"s": deployments.StatusSkipped, "u": deployments.StatusBlocked,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if res.Totals.Cancelled != 0 || res.Totals.Blocked != 4 {
		t.Errorf("totals %+v, want 4 blocked and none cancelled", res.Totals)
	}
	for _, tb := range []string{"c", "d", "e", "u"} {
		if c := rig.Emulator.Counters().Creates[n.DDL(tb, "")]; c != 0 {
			t.Errorf("blocked table %s was deployed (%d creates)", tb, c)
		}
	}
}
