package emulator

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shiftleft/shiftleft/confluent"
)

// chain is a 3-table stateless chain: src (external) -> mid -> sink.
func chain(t *testing.T, opts ...Option) *harness {
	t.Helper()
	h := start(t, append([]Option{ExternalTables([]string{"src"})}, opts...)...)
	h.create("ddl-mid", "CREATE TABLE mid (id INT)")
	h.create("ddl-sink", "CREATE TABLE sink (id INT)")
	h.settle()
	h.create("dml-mid", "INSERT INTO mid SELECT id FROM src")
	h.create("dml-sink", "INSERT INTO sink SELECT id FROM mid")
	h.settle()
	h.mustPhase("dml-mid", confluent.PhaseRunning)
	h.mustPhase("dml-sink", confluent.PhaseRunning)
	return h
}

// TestChain is the data plane: what a deploy's actions do to the
// records of a 3-table stateless chain fed 1,000 records.
func TestChain(t *testing.T) {
	tests := []struct {
		name      string
		act       func(h *harness)
		mid, sink TopicStats
	}{
		{"steady", func(*harness) {},
			TopicStats{Exists: true, Records: 1000, DistinctOrigins: 1000},
			TopicStats{Exists: true, Records: 1000, DistinctOrigins: 1000}},
		{"the middle DML deleted and created again under its name", func(h *harness) {
			h.deleteNow("dml-mid")
			h.create("dml-mid", "INSERT INTO mid SELECT id FROM src") // earliest offset: all again
			h.settle()
			h.tick()
		},
			TopicStats{Exists: true, Records: 2000, DistinctOrigins: 1000, Duplicates: 1000},
			TopicStats{Exists: true, Records: 2000, DistinctOrigins: 1000, Duplicates: 1000}},
		{"a carry-over replacement, then 1,000 more records", func(h *harness) {
			h.createWith("dml-mid-v2", "INSERT INTO mid SELECT id FROM src", map[string]string{propInitialOffsetFrom: "dml-mid"})
			h.settle()
			if detail := h.mustPhase("dml-mid-v2", confluent.PhasePending); !strings.Contains(detail, "'dml-mid'") {
				t.Errorf("waiting detail %q does not name dml-mid", detail)
			}
			h.setStopped("dml-mid", true)
			h.settle()
			h.mustPhase("dml-mid-v2", confluent.PhaseRunning)
			h.records("src", 1000)
			h.tick()
		},
			TopicStats{Exists: true, Records: 2000, DistinctOrigins: 2000},
			TopicStats{Exists: true, Records: 2000, DistinctOrigins: 2000}},
		{"DROP TABLE of the middle table", func(h *harness) {
			h.create("drop-mid", "DROP TABLE mid")
			h.settle()
			for _, name := range []string{"dml-mid", "dml-sink"} {
				if detail := h.mustPhase(name, confluent.PhaseFailed); !strings.Contains(detail, "'mid'") ||
					!strings.Contains(detail, exTopicGone) {
					t.Errorf("%s failed with %q, want the topic of mid deleted", name, detail)
				}
			}
			if ex := h.exceptions("dml-sink"); len(ex) == 0 || ex[0].Name != exTopicGone {
				t.Errorf("exceptions %+v, want %s", ex, exTopicGone)
			}
		},
			// Its writer still exists (FAILED): the records it copied are
			// missing, gone with the topic.
			TopicStats{Missing: 1000, Deleted: 1},
			TopicStats{Exists: true, Records: 1000, DistinctOrigins: 1000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := chain(t)
			h.records("src", 1000)
			if moved := h.tick(); moved != 2000 {
				t.Errorf("the first tick moved %d records, want 2000 (1000 per DML)", moved)
			}
			tt.act(h)
			if got := h.topic("mid"); got != tt.mid {
				t.Errorf("mid: %+v, want %+v", got, tt.mid)
			}
			if got := h.topic("sink"); got != tt.sink {
				t.Errorf("sink: %+v, want %+v", got, tt.sink)
			}
			if moved := h.tick(); moved != 0 {
				t.Errorf("a tick after everything moved %d more records", moved)
			}
		})
	}
}

// TestStartPositions: where a new DML starts reading a topic that already
// holds 100 records, before 50 more come.
func TestStartPositions(t *testing.T) {
	const src = "CREATE TABLE src (id INT)"
	latest := "CREATE TABLE src (id INT) WITH ('scan.startup.mode' = 'latest-offset')"
	tests := []struct {
		name    string
		ddl     string
		dml     string
		props   map[string]string
		records uint64 // in the sink after the 50 new records
		failure string // a part of the detail when the DML fails
	}{
		{"earliest by default", src, "INSERT INTO sink SELECT * FROM src", nil, 150, ""},
		{"property latest-offset", src, "INSERT INTO sink SELECT * FROM src", map[string]string{"sql.tables.scan.startup.mode": "latest-offset"}, 50, ""},
		{"hint latest-offset", src, "INSERT INTO sink SELECT * FROM src /*+ OPTIONS('scan.startup.mode'='latest-offset') */", nil, 50, ""},
		{"table option latest-offset", latest, "INSERT INTO sink SELECT * FROM src", nil, 50, ""},
		{"property wins over the table", latest, "INSERT INTO sink SELECT * FROM src", map[string]string{"sql.tables.scan.startup.mode": "earliest-offset"}, 150, ""},
		{"hint wins over the property", src, "INSERT INTO sink SELECT * FROM `src` /*+ OPTIONS('scan.startup.mode'='earliest-offset') */",
			map[string]string{"sql.tables.scan.startup.mode": "latest-offset"}, 150, ""},
		{"specific offsets", src, "INSERT INTO sink SELECT * FROM src /*+ OPTIONS('scan.startup.mode'='specific-offsets', " +
			"'scan.startup.specific-offsets'='partition:0,offset:30;partition:1,offset:7') */", nil, 120, ""},
		{"timestamp", src, "INSERT INTO sink SELECT * FROM src", map[string]string{"sql.tables.scan.startup.mode": "timestamp",
			"sql.tables.scan.startup.timestamp-millis": "TS"}, 50, ""},
		{"unknown mode", src, "INSERT INTO sink SELECT * FROM src", map[string]string{"sql.tables.scan.startup.mode": "group-offsets"}, 0,
			"Could not parse value 'group-offsets' for key 'sql.tables.scan.startup.mode'"},
		{"timestamp without millis", src, "INSERT INTO sink SELECT * FROM src /*+ OPTIONS('scan.startup.mode'='timestamp') */", nil, 0,
			"'scan.startup.timestamp-millis' is required in 'timestamp' startup mode but missing"},
		{"malformed offsets", src, "INSERT INTO sink SELECT * FROM src /*+ OPTIONS('scan.startup.mode'='specific-offsets', " +
			"'scan.startup.specific-offsets'='p0:30') */", nil, 0, "should follow the format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t)
			h.create("ddl-src", tt.ddl)
			h.create("ddl-sink", "CREATE TABLE sink (id INT)")
			h.settle()
			h.records("src", 100)
			h.settle() // the next records are an hour later
			props := map[string]string{}
			for k, v := range tt.props {
				props[k] = strings.ReplaceAll(v, "TS", strconv.FormatInt(h.clock.Now().UnixMilli(), 10))
			}
			h.createWith("dml", tt.dml, props)
			h.settle()
			if tt.failure != "" {
				if detail := h.mustPhase("dml", confluent.PhaseFailed); !strings.Contains(detail, tt.failure) {
					t.Errorf("detail %q, want %q", detail, tt.failure)
				}
				return
			}
			h.mustPhase("dml", confluent.PhaseRunning)
			h.records("src", 50)
			h.tick()
			got := h.topic("sink")
			if got.Records != tt.records || got.Duplicates != 0 || got.Missing != 150-tt.records {
				t.Errorf("sink %+v, want %d records, none duplicated, %d missing", got, tt.records, 150-tt.records)
			}
		})
	}
}

// TestCarryOver: the rules of sql.tables.initial-offset-from.
func TestCarryOver(t *testing.T) {
	carry := map[string]string{propInitialOffsetFrom: "dml-mid"}
	tests := []struct {
		name    string
		act     func(h *harness)
		phase   confluent.Phase
		detail  string
		records uint64 // in mid at the end
	}{
		{"waits for the old one to stop", func(h *harness) {
			h.createWith("v2", "INSERT INTO mid SELECT id FROM src", carry)
			h.settle()
			if d := h.data("v2"); d.WaitingFor != "dml-mid" {
				t.Errorf("waiting_for %q", d.WaitingFor)
			}
			h.records("src", 10)
			h.tick()
		}, confluent.PhasePending, "Waiting for statement 'dml-mid' to stop", 20},
		{"starts at the old one's offsets", func(h *harness) {
			h.createWith("v2", "INSERT INTO mid SELECT id FROM src", carry)
			h.setStopped("dml-mid", true)
			h.settle()
			h.records("src", 10)
			h.tick()
		}, confluent.PhaseRunning, "", 20},
		{"an explicit hint wins", func(h *harness) {
			h.createWith("v2", "INSERT INTO mid SELECT id FROM src /*+ OPTIONS('scan.startup.mode'='earliest-offset') */", carry)
			h.setStopped("dml-mid", true)
			h.settle()
			h.tick()
		}, confluent.PhaseRunning, "", 20},
		{"the old one does not exist", func(h *harness) {
			h.createWith("v2", "INSERT INTO mid SELECT id FROM src", map[string]string{propInitialOffsetFrom: "nope"})
			h.settle()
		}, confluent.PhaseFailed, "Statement 'nope' named by sql.tables.initial-offset-from does not exist", 10},
		{"the old one is deleted while it waits", func(h *harness) {
			h.createWith("v2", "INSERT INTO mid SELECT id FROM src", carry)
			h.settle()
			h.deleteNow("dml-mid")
		}, confluent.PhaseFailed, "does not exist or was deleted", 10},
		{"a stateful query", func(h *harness) {
			h.createWith("v2", "INSERT INTO mid SELECT id FROM src GROUP BY id", carry)
			h.setStopped("dml-mid", true)
			h.settle()
		}, confluent.PhaseFailed, "only for stateless statements; this one keeps state: GROUP BY", 10},
		{"six hours of waiting", func(h *harness) {
			h.createWith("v2", "INSERT INTO mid SELECT id FROM src", carry)
			h.settle()
			h.advanceClock(CarryOverTimeout)
		}, confluent.PhaseFailed, "did not stop within 6h0m0s", 10},
		{"just under six hours", func(h *harness) {
			h.createWith("v2", "INSERT INTO mid SELECT id FROM src", carry)
			h.advanceClock(CarryOverTimeout - time.Minute)
			h.setStopped("dml-mid", true)
			h.settle()
		}, confluent.PhaseRunning, "", 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, ExternalTables([]string{"src"}))
			h.create("ddl-mid", "CREATE TABLE mid (id INT)")
			h.settle()
			h.create("dml-mid", "INSERT INTO mid SELECT id FROM src")
			h.settle()
			h.records("src", 10)
			h.tick()
			tt.act(h)
			if detail := h.mustPhase("v2", tt.phase); !strings.Contains(detail, tt.detail) {
				t.Errorf("detail %q, want %q", detail, tt.detail)
			}
			if got := h.topic("mid"); got.Records != tt.records {
				t.Errorf("mid: %+v, want %d records", got, tt.records)
			}
		})
	}
}

// TestStopResumeKeepsOffsetsAndState: a stop shows the offsets reached; a
// resume reads on from them with the state it had; a statement created
// again under the name starts with no state.
func TestStopResumeKeepsOffsetsAndState(t *testing.T) {
	h := start(t, ExternalTables([]string{"src", "counts"}))
	const agg = "INSERT INTO counts SELECT id, COUNT(*) FROM src GROUP BY id"
	h.create("agg", agg)
	h.settle()
	h.records("src", 10)
	h.tick()
	h.setStopped("agg", true)
	h.settle()
	st := h.get("agg")
	if st.Status.Phase != confluent.PhaseStopped || st.Status.LatestOffsets["src"] != "partition:0,offset:10" ||
		st.Status.LatestOffsetsTimestamp == nil {
		t.Fatalf("stopped: %s, latest_offsets %v at %v", st.Status.Phase, st.Status.LatestOffsets, st.Status.LatestOffsetsTimestamp)
	}
	h.records("src", 5)
	if moved := h.tick(); moved != 0 {
		t.Errorf("a stopped statement read %d records", moved)
	}
	h.setStopped("agg", false)
	h.settle()
	if st := h.get("agg"); st.Status.LatestOffsets != nil || st.Status.LatestOffsetsTimestamp != nil {
		t.Errorf("a resumed statement shows latest_offsets %v", st.Status.LatestOffsets)
	}
	h.tick()
	if d := h.data("agg"); d.Positions["src"] != 15 || d.StateOrigins != 15 || len(d.Stateful) == 0 {
		t.Errorf("after resume: %+v, want position 15 and 15 origins of state", d)
	}
	if got := h.topic("counts"); got.Records != 15 || got.Duplicates != 0 {
		t.Errorf("counts: %+v", got)
	}

	h.deleteNow("agg")
	h.createWith("agg", agg, map[string]string{"sql.tables.scan.startup.mode": "latest-offset"})
	h.settle()
	h.tick()
	if d := h.data("agg"); d.StateOrigins != 0 || d.Positions["src"] != 15 {
		t.Errorf("created again: %+v, want no state at position 15", d)
	}
}

// TestResumeOnlyJobs: only INSERT INTO, CTAS and statement sets resume.
func TestResumeOnlyJobs(t *testing.T) {
	tests := []struct {
		sql       string
		resumable bool
	}{
		{"INSERT INTO sink SELECT * FROM src", true},
		{"CREATE TABLE copy AS SELECT * FROM src", true},
		{"EXECUTE STATEMENT SET BEGIN INSERT INTO sink SELECT * FROM src; END", true},
		{"SELECT * FROM src", false},
		{"CREATE TABLE other (id INT)", false},
	}
	for _, tt := range tests {
		t.Run(tt.sql, func(t *testing.T) {
			h := start(t, ExternalTables([]string{"src", "sink"}))
			h.create("s", tt.sql)
			h.settle()
			h.setStopped("s", true)
			h.settle()
			h.mustPhase("s", confluent.PhaseStopped)
			body := h.get("s")
			no := false
			body.Spec.Stopped = &no
			if tt.resumable {
				h.do("PUT", stmts+"/s", body).want(t, http.StatusAccepted, nil)
				h.settle()
				return
			}
			if e := h.do("PUT", stmts+"/s", body).failure(t, http.StatusBadRequest); e.Code != codeNotResumable {
				t.Errorf("code %q, want %q", e.Code, codeNotResumable)
			}
			patch := `[{"op":"replace","path":"/spec/stopped","value":false}]`
			if e := h.do("PATCH", stmts+"/s", patch).failure(t, http.StatusUnprocessableEntity); e.Code != codeNotResumable {
				t.Errorf("PATCH code %q, want %q", e.Code, codeNotResumable)
			}
		})
	}
}

// TestFlowsKeepOrigins: a join writes the records of both inputs, a
// statement set each INSERT's own, a query over tables reads and writes
// nowhere.
func TestFlowsKeepOrigins(t *testing.T) {
	h := start(t, ExternalTables([]string{"x", "y", "a", "b", "j"}))
	h.create("join", "INSERT INTO j SELECT * FROM x JOIN y ON x.id = y.id")
	h.create("set", "EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT * FROM x; INSERT INTO b SELECT * FROM y; END")
	h.create("query", "SELECT * FROM x")
	h.settle()
	h.records("x", 3)
	h.records("y", 4)
	if moved := h.tick(); moved != 3+4+3+4+3 {
		t.Errorf("moved %d", moved)
	}
	for table, want := range map[string]TopicStats{
		"j": {Exists: true, Records: 7, DistinctOrigins: 7},
		"a": {Exists: true, Records: 3, DistinctOrigins: 3},
		"b": {Exists: true, Records: 4, DistinctOrigins: 4},
	} {
		if got := h.topic(table); got != want {
			t.Errorf("%s: %+v, want %+v", table, got, want)
		}
	}
	if d := h.data("query"); d.Positions["x"] != 3 {
		t.Errorf("the query read to %v", d.Positions)
	}
}

// TestTickOrder: a chain created sink first still empties in one tick; a
// cycle moves one lap per tick and ends.
func TestTickOrder(t *testing.T) {
	h := start(t, ExternalTables([]string{"src", "t1", "t2", "t3", "c1", "c2"}))
	h.create("d3", "INSERT INTO t3 SELECT * FROM t2")
	h.create("d2", "INSERT INTO t2 SELECT * FROM t1")
	h.create("d1", "INSERT INTO t1 SELECT * FROM src")
	h.create("loop-a", "INSERT INTO c2 SELECT * FROM c1")
	h.create("loop-b", "INSERT INTO c1 SELECT * FROM c2")
	h.settle()
	h.records("src", 5)
	h.tick()
	if got := h.topic("t3"); got.Records != 5 {
		t.Errorf("t3 after one tick: %+v", got)
	}
	// c1 is written by loop-b, so feed the cycle through a statement
	// that no longer runs.
	h.deleteNow("loop-b")
	h.records("c1", 1)
	h.create("loop-b", "INSERT INTO c1 SELECT * FROM c2 /*+ OPTIONS('scan.startup.mode'='latest-offset') */")
	h.settle()
	for lap := 1; lap <= 3; lap++ {
		h.tick()
		if got := h.topic("c1"); got.Records != uint64(1+lap) {
			t.Fatalf("lap %d: c1 %+v, want the record and one copy a lap", lap, got)
		}
	}
}

// TestDataRoutesBadInput: every admin data route refuses what it cannot
// do, with a Failure.
func TestDataRoutesBadInput(t *testing.T) {
	tests := []struct {
		name, method, path string
		body               any
		status             int
	}{
		{"records for a missing table", "POST", "/_emulator/topics/nope/records", map[string]any{"environment_id": testEnv, "count": 1}, 404},
		{"records for a table a statement writes", "POST", "/_emulator/topics/sink/records", map[string]any{"environment_id": testEnv, "count": 1}, 409},
		{"no count", "POST", "/_emulator/topics/src/records", map[string]any{"environment_id": testEnv}, 422},
		{"negative count", "POST", "/_emulator/topics/src/records", map[string]any{"environment_id": testEnv, "count": -5}, 422},
		{"no environment", "POST", "/_emulator/topics/src/records", map[string]any{"count": 1}, 400},
		{"records not JSON", "POST", "/_emulator/topics/src/records", "{", 400},
		{"topic without environment", "GET", "/_emulator/topics/src", nil, 400},
		{"tick not JSON", "POST", "/_emulator/tick", "[", 400},
		{"clock backwards", "POST", "/_emulator/clock", map[string]string{"advance": "-1h"}, 422},
		{"clock not a duration", "POST", "/_emulator/clock", map[string]string{"advance": "a month"}, 422},
		{"data of a missing statement", "GET", "/_emulator/statements/nope?environment_id=" + testEnv, nil, 404},
		{"data without environment", "GET", "/_emulator/statements/dml", nil, 400},
		{"tick by GET", "GET", "/_emulator/tick", nil, 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, ExternalTables([]string{"src", "sink"}))
			h.create("dml", "INSERT INTO sink SELECT * FROM src")
			h.settle()
			h.do(tt.method, tt.path, tt.body).failure(t, tt.status)
		})
	}
}

// TestGoDataAPI: the Go methods beside the admin routes.
func TestGoDataAPI(t *testing.T) {
	h := start(t, ExternalTables([]string{"src", "sink"}))
	h.create("dml", "INSERT INTO sink SELECT * FROM src")
	h.settle()
	if _, err := h.emu.AppendRecords(testEnv, "src", 7); err != nil {
		t.Fatal(err)
	}
	if moved := h.emu.Tick(""); moved != 7 {
		t.Errorf("Tick moved %d", moved)
	}
	if got := h.emu.Topic(testEnv, "sink"); got.Records != 7 {
		t.Errorf("Topic: %+v", got)
	}
	// Reading an environment never used creates none.
	if got := h.emu.Topic("env-never", "src"); got != (TopicStats{Exists: true}) {
		t.Errorf("a global table of an environment never used: %+v", got)
	}
	var state stateView
	h.do("GET", "/_emulator/state", nil).want(t, http.StatusOK, &state)
	if _, ok := state.Environments["env-never"]; ok {
		t.Error("reading a topic created its environment")
	}
	if d, err := h.emu.StatementData(testEnv, "dml"); err != nil || d.Positions["src"] != 7 {
		t.Errorf("StatementData: %+v, %v", d, err)
	}
	for _, err := range []error{
		func() error { _, err := h.emu.AppendRecords(testEnv, "sink", 1); return err }(),
		func() error { _, err := h.emu.AppendRecords(testEnv, "nope", 1); return err }(),
		func() error { _, err := h.emu.StatementData(testEnv, "nope"); return err }(),
	} {
		if !errors.Is(err, ErrRefused) {
			t.Errorf("%v, want ErrRefused", err)
		}
	}
	if _, err := h.emu.AppendRecords(testEnv, "src", 0); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("count 0: %v", err)
	}
	before := h.clock.Now()
	now, err := h.emu.AdvanceClock(time.Hour)
	if err != nil || !now.Equal(before.Add(time.Hour)) {
		t.Errorf("AdvanceClock: %v, %v", now, err)
	}
	if _, err := h.emu.AdvanceClock(-time.Second); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("negative advance: %v", err)
	}
}

func TestDegradeStatements(t *testing.T) {
	h := start(t, ExternalTables([]string{"src", "sink"}))
	h.create("dml", "INSERT INTO sink SELECT * FROM src")
	h.settle()
	h.do("POST", "/_emulator/faults", `{"degrade_statements": {"dml": "Statement is backpressured"}}`).want(t, http.StatusOK, nil)
	if detail := h.mustPhase("dml", confluent.PhaseDegraded); detail != "Statement is backpressured" {
		t.Errorf("detail %q", detail)
	}
	h.records("src", 3)
	if moved := h.tick(); moved != 3 {
		t.Errorf("a degraded statement moved %d records, want 3", moved)
	}
	// One named before it starts starts degraded; leaving it out of the
	// faults makes it run normally.
	h.do("POST", "/_emulator/faults", `{"degrade_statements": {"dml": "slow", "later": "slow too"}}`).want(t, http.StatusOK, nil)
	h.create("later", "SELECT * FROM src")
	h.settle()
	h.mustPhase("later", confluent.PhaseDegraded)
	h.do("POST", "/_emulator/faults", `{}`).want(t, http.StatusOK, nil)
	h.mustPhase("dml", confluent.PhaseRunning)
	h.mustPhase("later", confluent.PhaseRunning)
	h.do("POST", "/_emulator/faults", `{"degrade_statements": {"": "x"}}`).failure(t, http.StatusUnprocessableEntity)
}

// TestDropTableDeletesTheTopic: a table created again after a DROP TABLE
// has an empty topic with new origins; a stopped reader keeps no position
// in the old one and resumes from its start mode.
func TestDropTableDeletesTheTopic(t *testing.T) {
	h := start(t, ExternalTables([]string{"sink"}))
	h.create("ddl", "CREATE TABLE src (id INT)")
	h.settle()
	h.create("dml", "INSERT INTO sink SELECT * FROM src")
	h.settle()
	h.records("src", 10)
	h.tick()
	h.setStopped("dml", true)
	h.settle()
	for i := range 2 {
		h.create(fmt.Sprintf("drop-%d", i), "DROP TABLE src")
		h.create(fmt.Sprintf("ddl-%d", i), "CREATE TABLE src (id INT)")
		h.settle()
	}
	h.mustPhase("dml", confluent.PhaseStopped) // not running: not failed
	if got := h.topic("src"); got != (TopicStats{Exists: true, Deleted: 2}) {
		t.Errorf("src after two drops: %+v", got)
	}
	h.records("src", 10)
	h.setStopped("dml", false)
	h.settle()
	h.tick()
	if got := h.topic("sink"); got.Records != 20 || got.Duplicates != 0 || got.Missing != 0 {
		t.Errorf("sink: %+v, want 20 records of 20 origins", got)
	}
}

// TestProcessInterval: with an interval, records move without a tick.
func TestProcessInterval(t *testing.T) {
	h := start(t, ProcessInterval(5*time.Millisecond), ExternalTables([]string{"src", "sink"}))
	h.create("dml", "INSERT INTO sink SELECT * FROM src")
	h.settle()
	h.records("src", 5)
	for deadline := time.Now().Add(5 * time.Second); h.topic("sink").Records != 5; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("sink: %+v after 5 s", h.topic("sink"))
		}
	}
}
