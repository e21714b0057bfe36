package emulator

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/confluent"
)

// step is one statement of a scenario and what it must end as.
type step struct {
	sql    string
	phase  confluent.Phase
	detail string // a part of status.detail; "" checks nothing
}

// TestFlinkRules posts each scenario's statements in order, letting each
// settle before the next, and checks where each ends.
func TestFlinkRules(t *testing.T) {
	const (
		src  = "CREATE TABLE src (id INT) WITH ('connector' = 'confluent')"
		sink = "CREATE TABLE sink (id INT)"
	)
	tests := []struct {
		name     string
		external []string
		steps    []step
		tables   []string // the catalog at the end
	}{
		{"DDL then DML", nil, []step{
			{src, confluent.PhaseCompleted, ""},
			{sink, confluent.PhaseCompleted, ""},
			{"INSERT INTO sink SELECT id FROM src", confluent.PhaseRunning, "running"},
		}, []string{"sink", "src"}},
		{"DML first", nil, []step{
			{"INSERT INTO sink SELECT id FROM src", confluent.PhaseFailed, "Table (or view) 'src' does not exist"},
		}, nil},
		{"DML with a missing sink", nil, []step{
			{src, confluent.PhaseCompleted, ""},
			{"INSERT INTO sink SELECT id FROM src", confluent.PhaseFailed, "'sink' does not exist"},
		}, []string{"src"}},
		{"CREATE TABLE twice", nil, []step{
			{src, confluent.PhaseCompleted, ""},
			{src, confluent.PhaseFailed, "Table 'src' already exists in catalog '" + testEnv + "'"},
		}, []string{"src"}},
		{"IF NOT EXISTS", nil, []step{
			{src, confluent.PhaseCompleted, ""},
			{"CREATE TABLE IF NOT EXISTS src (id INT)", confluent.PhaseCompleted, ""},
		}, []string{"src"}},
		{"CREATE OR REPLACE", nil, []step{
			{src, confluent.PhaseCompleted, ""},
			{"CREATE OR REPLACE TABLE src (id INT)", confluent.PhaseCompleted, ""},
		}, []string{"src"}},
		{"DROP TABLE", nil, []step{
			{src, confluent.PhaseCompleted, ""},
			{"DROP TABLE src", confluent.PhaseCompleted, ""},
			{"DROP TABLE src", confluent.PhaseFailed, "Table with identifier 'src' does not exist"},
			{"DROP TABLE IF EXISTS src", confluent.PhaseCompleted, ""},
		}, nil},
		{"qualified names", nil, []step{
			{"CREATE TABLE `my-env`.`cluster-1`.src (id INT)", confluent.PhaseCompleted, ""},
			{"CREATE TABLE other.db.sink (id INT)", confluent.PhaseCompleted, ""},
			{"INSERT INTO `my-env`.`cluster-1`.sink SELECT id FROM cat.db.src", confluent.PhaseRunning, ""},
		}, []string{"sink", "src"}},
		{"external tables", []string{"raw_orders"}, []step{
			{sink, confluent.PhaseCompleted, ""},
			{"INSERT INTO sink SELECT * FROM raw_orders", confluent.PhaseRunning, ""},
		}, []string{"raw_orders", "sink"}},
		{"CTAS", nil, []step{
			{src, confluent.PhaseCompleted, ""},
			{"CREATE TABLE enriched AS SELECT id FROM src", confluent.PhaseRunning, ""},
			{"INSERT INTO src SELECT id FROM enriched", confluent.PhaseRunning, ""},
		}, []string{"enriched", "src"}},
		{"CTAS without its source", nil, []step{
			{"CREATE TABLE enriched AS SELECT id FROM src", confluent.PhaseFailed, "'src' does not exist"},
		}, nil},
		{"LIKE", nil, []step{
			{src, confluent.PhaseCompleted, ""},
			{"CREATE TABLE copy (PRIMARY KEY (id) NOT ENFORCED) LIKE src", confluent.PhaseCompleted, ""},
		}, []string{"copy", "src"}},
		{"computed column is not CTAS", nil, []step{
			{"CREATE TABLE t (id INT, ts AS PROCTIME(), WATERMARK FOR ts AS ts)", confluent.PhaseCompleted, ""},
		}, []string{"t"}},
		{"view", nil, []step{
			{src, confluent.PhaseCompleted, ""},
			{"CREATE VIEW v AS SELECT id FROM src", confluent.PhaseCompleted, ""},
			{"SELECT * FROM v", confluent.PhaseRunning, ""},
		}, []string{"src", "v"}},
		{"statement set", nil, []step{
			{src, confluent.PhaseCompleted, ""},
			{sink, confluent.PhaseCompleted, ""},
			{"EXECUTE STATEMENT SET BEGIN INSERT INTO sink SELECT * FROM src; INSERT INTO other SELECT * FROM src; END",
				confluent.PhaseFailed, "'other' does not exist"},
		}, []string{"sink", "src"}},
		{"ALTER TABLE", nil, []step{
			{"ALTER TABLE src SET ('x' = 'y')", confluent.PhaseFailed, "'src' does not exist"},
			{src, confluent.PhaseCompleted, ""},
			{"ALTER TABLE src SET ('x' = 'y')", confluent.PhaseCompleted, ""},
		}, []string{"src"}},
		{"syntax error", nil, []step{
			{"SELECT 'unterminated", confluent.PhaseFailed, "SQL parse failed"},
		}, nil},
		{"two statements", nil, []step{
			{"CREATE TABLE a (id INT); CREATE TABLE b (id INT);", confluent.PhaseFailed, "exactly one statement, found 2"},
		}, nil},
		{"SET and other statements", nil, []step{
			{"SET 'sql.state-ttl' = '1h'", confluent.PhaseCompleted, ""},
			{"SHOW TABLES", confluent.PhaseCompleted, ""},
			{"SELECT 1", confluent.PhaseCompleted, ""},
		}, nil},
		{"materialized table", nil, []step{
			{"CREATE MATERIALIZED TABLE m AS SELECT 1", confluent.PhaseFailed, "not supported"},
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, ExternalTables(tt.external))
			for i, s := range tt.steps {
				name := fmt.Sprintf("step-%d", i)
				h.create(name, s.sql)
				h.settle()
				st := h.get(name)
				if st.Status.Phase != s.phase || !strings.Contains(st.Status.Detail, s.detail) {
					t.Fatalf("%s: %s %q, want %s with %q", s.sql, st.Status.Phase, st.Status.Detail, s.phase, s.detail)
				}
				if ex := h.exceptions(name); (s.phase == confluent.PhaseFailed) != (len(ex) == 1) ||
					len(ex) == 1 && ex[0].Message != st.Status.Detail {
					t.Errorf("%s: exceptions %+v", s.sql, ex)
				}
			}
			if got := tables(t, h); !slices.Equal(got, tt.tables) {
				t.Errorf("tables %v, want %v", got, tt.tables)
			}
		})
	}
}

// tables lists the test environment's catalog from /_emulator/state.
func tables(t *testing.T, h *harness) []string {
	t.Helper()
	var s stateView
	h.do("GET", "/_emulator/state", nil).want(t, http.StatusOK, &s)
	if len(s.Environments[testEnv].Tables) == 0 {
		return nil
	}
	return s.Environments[testEnv].Tables
}

func TestMissingTableException(t *testing.T) {
	h := start(t)
	h.create("dml", "INSERT INTO sink SELECT id FROM src")
	h.settle()
	ex := h.exceptions("dml")
	if len(ex) != 1 || ex[0].Name != "org.apache.flink.table.api.ValidationException" ||
		!strings.Contains(ex[0].Message, "'src'") {
		t.Errorf("exceptions %+v", ex)
	}
}

// TestDropFailsUsers drops a table that a running and a pending statement
// read: both fail naming it; a statement on other tables keeps running.
func TestDropFailsUsers(t *testing.T) {
	h := start(t, ExternalTables([]string{"src", "sink", "other", "other_sink"}))
	var pool confluent.ComputePool
	h.do("POST", "/fcpm/v2/compute-pools", poolBody("small", 2)).want(t, http.StatusAccepted, &pool)
	h.settle()
	for _, s := range []struct{ name, sql string }{
		{"reader", "INSERT INTO sink SELECT * FROM src"},
		{"bystander", "INSERT INTO other_sink SELECT * FROM other"},
		{"waiter", "INSERT INTO sink SELECT * FROM src"},
	} {
		in := createBody(s.name, s.sql)
		in.Spec.ComputePoolID = pool.ID
		h.do("POST", stmts, in).want(t, http.StatusCreated, nil)
	}
	h.settle()
	if phase, _ := h.phaseOf("waiter"); phase != confluent.PhasePending {
		t.Fatalf("waiter is %s, want PENDING in a full pool", phase)
	}
	h.create("drop", "DROP TABLE src")
	h.settle()
	for _, name := range []string{"reader", "waiter"} {
		phase, detail := h.phaseOf(name)
		if phase != confluent.PhaseFailed || !strings.Contains(detail, "'src'") {
			t.Errorf("%s: %s %q, want FAILED naming src", name, phase, detail)
		}
		if len(h.exceptions(name)) != 1 {
			t.Errorf("%s: want one exception", name)
		}
	}
	if phase, _ := h.phaseOf("bystander"); phase != confluent.PhaseRunning {
		t.Errorf("bystander is %s, want RUNNING", phase)
	}
	if phase, _ := h.phaseOf("drop"); phase != confluent.PhaseCompleted {
		t.Errorf("drop is %s, want COMPLETED", phase)
	}
}

// TestEnvironmentsAreSeparate creates a table in one environment: another
// environment does not have it.
func TestEnvironmentsAreSeparate(t *testing.T) {
	h := start(t)
	h.create("ddl", "CREATE TABLE src (id INT)")
	h.settle()
	other := strings.Replace(stmts, testEnv, "env-other", 1)
	h.do("POST", other, createBody("dml", "SELECT * FROM src")).want(t, http.StatusCreated, nil)
	h.do("POST", other, createBody("ddl", "CREATE TABLE src (id INT)")).want(t, http.StatusCreated, nil)
	h.settle()
	var st confluent.Statement
	h.do("GET", other+"/dml", nil).want(t, http.StatusOK, &st)
	if st.Status.Phase != confluent.PhaseFailed {
		t.Errorf("env-other read env-z3y2x1's table: %s", st.Status.Phase)
	}
	h.do("GET", other+"/ddl", nil).want(t, http.StatusOK, &st)
	if st.Status.Phase != confluent.PhaseCompleted {
		t.Errorf("same name in another environment: %s %s", st.Status.Phase, st.Status.Detail)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		sql     string
		sqlKind string
		job     bool
	}{
		{"CREATE TABLE t (id INT)", "CREATE_TABLE", false},
		{"CREATE TABLE t AS SELECT * FROM s", "CREATE_TABLE_AS", true},
		{"CREATE TABLE t WITH ('a' = 'b') AS SELECT * FROM s", "CREATE_TABLE_AS", true},
		{"CREATE TABLE t (ts AS NOW()) LIKE s", "CREATE_TABLE", false},
		{"INSERT INTO t SELECT * FROM s", "INSERT_INTO", true},
		{"SELECT * FROM s", "SELECT", true},
		{"VALUES (1)", "SELECT", false},
		{"set 'a' = 'b'", "SET", false},
		{"DROP TABLE t", "DROP_TABLE", false},
		{"-- only a comment", "UNKNOWN", false},
	}
	for _, tt := range tests {
		t.Run(tt.sql, func(t *testing.T) {
			p := classify(tt.sql)
			if p.SQLKind != tt.sqlKind || p.Job != tt.job {
				t.Errorf("sql_kind %s job %v, want %s %v", p.SQLKind, p.Job, tt.sqlKind, tt.job)
			}
		})
	}
}

// TestFlowsAndHints: where each statement's records go, and the OPTIONS
// hints it gives its tables.
func TestFlowsAndHints(t *testing.T) {
	tests := []struct {
		sql   string
		flows []flow
		hints map[string]map[string]string
	}{
		{"INSERT INTO t SELECT * FROM a JOIN b ON a.id = b.id", []flow{{Reads: []string{"a", "b"}, Writes: []string{"t"}}}, nil},
		{"CREATE TABLE t AS SELECT * FROM `cat`.`db`.a", []flow{{Reads: []string{"a"}, Writes: []string{"t"}}}, nil},
		{"EXECUTE STATEMENT SET BEGIN INSERT INTO t1 SELECT * FROM a; INSERT INTO t2 SELECT * FROM b; END",
			[]flow{{Reads: []string{"a"}, Writes: []string{"t1"}}, {Reads: []string{"b"}, Writes: []string{"t2"}}}, nil},
		{"BEGIN STATEMENT SET; INSERT INTO t1 SELECT * FROM a; INSERT INTO t2 SELECT * FROM a, b; END;",
			[]flow{{Reads: []string{"a"}, Writes: []string{"t1"}}, {Reads: []string{"a", "b"}, Writes: []string{"t2"}}}, nil},
		{"SELECT * FROM a", []flow{{Reads: []string{"a"}}}, nil},
		{"CREATE TABLE t (id INT)", nil, nil},
		{"INSERT INTO t SELECT /*+ STATE_TTL('a'='1d') */ * FROM a /*+ OPTIONS('Scan.Startup.Mode'='latest-offset', 'x'='it''s') */ AS x " +
			"JOIN `my.b` /*+ OPTIONS('scan.startup.mode'='earliest-offset') */ ON x.id = `my.b`.id",
			[]flow{{Reads: []string{"a", "my.b"}, Writes: []string{"t"}}},
			map[string]map[string]string{"a": {"scan.startup.mode": "latest-offset", "x": "it's"}, "my.b": {"scan.startup.mode": "earliest-offset"}}},
	}
	for _, tt := range tests {
		t.Run(tt.sql, func(t *testing.T) {
			p := classify(tt.sql)
			if !reflect.DeepEqual(p.Flows, tt.flows) || !reflect.DeepEqual(p.Hints, tt.hints) {
				t.Errorf("flows %+v hints %v, want %+v %v", p.Flows, p.Hints, tt.flows, tt.hints)
			}
		})
	}
}
