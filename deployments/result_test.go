package deployments_test

import (
	"bytes"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shiftleft/shiftleft/confluent/emulator"
	"github.com/shiftleft/shiftleft/deployments"
)

// clock is a fake clock: each reading is a second after the previous one.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) read() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Second)
	return c.now
}

func TestResultAndProgress(t *testing.T) {
	r := newRig(t, nil)
	if err := r.Emulator.SetFaults(emulator.Faults{FailStatements: map[string]string{"dev-usw2-dml-b": "boom"}}); err != nil {
		t.Fatal(err)
	}
	// s runs already.
	if err := r.Emulator.AddTables(env, "s"); err != nil {
		t.Fatal(err)
	}
	f := fixture{}
	// s is skipped; a chain runs one action at a time, so the clock is
	// read in a known order: the run's start, each action's start and end,
	// the run's end.
	p := plan(skip("s"), f.create("a", "s"), f.create("b", "a"), f.create("c", "b"))
	var progress bytes.Buffer
	clk := &clock{now: time.Date(2026, 1, 2, 3, 4, 4, 0, time.UTC)}
	res, err := runner(t, r.Client, f, deployments.WithCommit("c1"), deployments.WithClock(clk.read),
		deployments.WithProgress(&progress)).Run(ctxFor(t), p)
	if err != nil {
		t.Fatal(err)
	}
	const wantProgress = "[1/3] a create: succeeded in 1s\n" +
		"[2/3] b create: failed after 1s: create-dml dev-usw2-dml-b: statement dev-usw2-dml-b is FAILED: boom\n" +
		"[3/3] c create: blocked: not run: b failed\n"
	if diff := cmp.Diff(wantProgress, progress.String()); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}
	const wantJSON = `{
  "status": "failed",
  "commit": "c1",
  "started": "2026-01-02T03:04:05Z",
  "wall": "5s",
  "totals": {
    "actions": 4,
    "succeeded": 1,
    "failed": 1,
    "blocked": 1,
    "cancelled": 0,
    "skipped": 1
  },
  "actions": [
    {
      "table": "s",
      "action": "skip",
      "reason": "runs already",
      "status": "skipped",
      "duration": "0s"
    },
    {
      "table": "a",
      "action": "create",
      "reason": "test",
      "status": "succeeded",
      "statements": [
        "dev-usw2-ddl-a",
        "dev-usw2-dml-a"
      ],
      "final_phase": "RUNNING",
      "duration": "1s"
    },
    {
      "table": "b",
      "action": "create",
      "reason": "test",
      "status": "failed",
      "statements": [
        "dev-usw2-ddl-b",
        "dev-usw2-dml-b"
      ],
      "final_phase": "FAILED",
      "duration": "1s",
      "error": "create-dml dev-usw2-dml-b: statement dev-usw2-dml-b is FAILED: boom"
    },
    {
      "table": "c",
      "action": "create",
      "reason": "test",
      "status": "blocked",
      "blocked_by": "b",
      "duration": "0s",
      "error": "not run: b failed"
    }
  ],
  "verified": true,
  "out_of_sync": [
    {
      "table": "b",
      "state": "failed",
      "statement": "dev-usw2-dml-b",
      "detail": "FAILED: boom"
    },
    {
      "table": "c",
      "state": "missing",
      "statement": "dev-usw2-dml-c",
      "detail": "no statement dev-usw2-dml-c"
    }
  ],
  "health": {
    "settle": "0s",
    "running": [
      "a"
    ],
    "unchanged": []
  }
}`
	got, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantJSON, string(got)); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
	var back deployments.Result
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	for i := range res.Actions {
		res.Actions[i].Err = nil // not in the JSON
	}
	if diff := cmp.Diff(*res, back); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
}
