package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shiftleft/shiftleft/confluent"
)

// TestQuotas: each quota is a 400 naming it, with its own code.
func TestQuotas(t *testing.T) {
	fill := func(h *harness, n int) {
		for i := range n {
			h.do("POST", pools, poolBody(fmt.Sprintf("p%d", i), 5)).want(h.t, http.StatusAccepted, nil)
		}
	}
	tests := []struct {
		name    string
		opts    []Option
		setup   func(h *harness)
		method  string
		path    string
		body    any
		code    string
		pointer string
		quota   string
	}{
		{"51st pool", nil, func(h *harness) { fill(h, MaxPoolsPerEnvironment) }, "POST", pools, poolBody("one-more", 5),
			codeComputePoolQuota, "/spec/environment/id", "compute pools per environment, 50"},
		{"the default pool beyond 50", nil, func(h *harness) { fill(h, MaxPoolsPerEnvironment) }, "POST", stmts, createBody("s", "SELECT 1"),
			codeComputePoolQuota, "/spec/environment/id", "compute pools per environment"},
		{"a pool quota of 2", []Option{MaxComputePools(2)}, func(h *harness) { fill(h, 2) }, "POST", pools, poolBody("one-more", 5),
			codeComputePoolQuota, "/spec/environment/id", "compute pools per environment, 2"},
		{"max_cfu over 50", nil, func(*harness) {}, "POST", pools, poolBody("big", 60),
			codeCFUQuota, "/spec/max_cfu", "CFU per compute pool"},
		{"statements per environment", []Option{MaxStatements(3)}, func(h *harness) {
			for i := range 3 {
				h.create(fmt.Sprintf("s%d", i), "SELECT 1")
			}
			h.settle() // COMPLETED statements still count
		}, "POST", stmts, createBody("s3", "SELECT 1"), codeStatementQuota, "/name", "statements per environment, 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, tt.opts...)
			tt.setup(h)
			e := h.do(tt.method, tt.path, tt.body).failure(t, http.StatusBadRequest)
			if e.Code != tt.code || e.Source == nil || e.Source.Pointer != tt.pointer || !strings.Contains(e.Detail, tt.quota) {
				t.Errorf("error %+v, want code %s at %s naming %q", e, tt.code, tt.pointer, tt.quota)
			}
		})
	}
}

// TestStatementQuotaFreesOnDelete: a statement being deleted no longer
// counts, and another environment has its own quota.
func TestStatementQuotaFreesOnDelete(t *testing.T) {
	h := start(t, MaxStatements(2), Latency(time.Second))
	h.create("a", "SELECT 1")
	h.create("b", "SELECT 1")
	h.do("POST", stmts, createBody("c", "SELECT 1")).failure(t, http.StatusBadRequest)
	other := strings.Replace(stmts, testEnv, "env-other", 1)
	h.do("POST", other, createBody("c", "SELECT 1")).want(t, http.StatusCreated, nil)
	h.do("DELETE", stmts+"/a", nil).want(t, http.StatusAccepted, nil)
	h.mustPhase("a", confluent.PhaseDeleting)
	h.create("c", "SELECT 1")
	h.do("POST", stmts, createBody("d", "SELECT 1")).failure(t, http.StatusBadRequest)
}

// TestRateLimit: a token bucket of N per organization on the emulator's
// clock; 429 with Retry-After and no body beyond it; admin routes are not
// limited; the compute pools API has its own bucket.
func TestRateLimit(t *testing.T) {
	h := start(t, RateLimit(3))
	other := strings.Replace(stmts, testOrg, "c0b21724-4586-4a07-b787-d0bb5aacbf88", 1)
	for i, want := range []string{"2", "1", "0"} {
		res := h.do("GET", stmts, nil)
		res.want(t, http.StatusOK, nil)
		if got := res.header.Get("X-RateLimit-Remaining"); got != want || res.header.Get("X-RateLimit-Limit") != "3" {
			t.Errorf("request %d: remaining %q limit %q, want %s of 3", i, got, res.header.Get("X-RateLimit-Limit"), want)
		}
	}
	res := h.do("GET", stmts, nil)
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") != "1" || len(res.body) != 0 {
		t.Errorf("4th request: %d, Retry-After %q, body %q; want 429, 1, none", res.status, res.header.Get("Retry-After"), res.body)
	}
	h.do("GET", "/_emulator/state", nil).want(t, http.StatusOK, nil)
	h.do("GET", other, nil).want(t, http.StatusOK, nil)
	h.do("GET", pools+"?environment="+testEnv, nil).want(t, http.StatusOK, nil)
	h.clock.Advance(400 * time.Millisecond) // 1.2 tokens
	h.do("GET", stmts, nil).want(t, http.StatusOK, nil)
	h.do("GET", stmts, nil).want(t, http.StatusTooManyRequests, nil)
	h.clock.Advance(time.Hour) // full again, not more
	for range 3 {
		h.do("GET", stmts, nil).want(t, http.StatusOK, nil)
	}
	h.do("GET", stmts, nil).want(t, http.StatusTooManyRequests, nil)
	if n := h.emu.Counters().Requests["GET /sql/v1/organizations/{org}/environments/{env}/statements"]; n != 11 {
		t.Errorf("counted %d requests to the route, want 11, 429s included", n)
	}
}

// TestRetention: a statement in a terminal phase is deleted 30 days after
// it ended; one that runs is kept.
func TestRetention(t *testing.T) {
	h := start(t, ExternalTables([]string{"src", "sink"}))
	h.create("done", "CREATE TABLE t (id INT)")
	h.create("failed", "INSERT INTO nope SELECT * FROM src")
	h.create("running", "INSERT INTO sink SELECT * FROM src")
	h.create("stopped", "INSERT INTO sink SELECT * FROM src")
	h.settle()
	h.advanceClock(10 * 24 * time.Hour)
	h.setStopped("stopped", true)
	h.settle()
	h.advanceClock(Retention - 10*24*time.Hour) // 30 days after the first ended
	for _, name := range []string{"done", "failed"} {
		h.do("GET", stmts+"/"+name, nil).failure(t, http.StatusNotFound)
	}
	h.mustPhase("running", confluent.PhaseRunning)
	h.mustPhase("stopped", confluent.PhaseStopped)
	h.advanceClock(10 * 24 * time.Hour)
	h.do("GET", stmts+"/stopped", nil).failure(t, http.StatusNotFound)
	h.mustPhase("running", confluent.PhaseRunning)
}

// TestClock: GET says the time, POST moves it forward.
func TestClock(t *testing.T) {
	h := start(t)
	var c clockResult
	h.do("POST", "/_emulator/clock", `{"advance": "720h"}`).want(t, http.StatusOK, &c)
	if want := h.clock.Now().Add(720 * time.Hour); !c.Now.Equal(want) {
		t.Errorf("now %s, want %s", c.Now, want)
	}
	h.do("GET", "/_emulator/clock", nil).want(t, http.StatusOK, &c)
	st := h.create("s", "SELECT 1")
	if !st.Metadata.CreatedAt.Equal(c.Now) {
		t.Errorf("created at %s, want the emulator's time %s", st.Metadata.CreatedAt, c.Now)
	}
}

// TestTraits: status.traits in every phase but FAILED, as the confluent-sql
// driver requires.
func TestTraits(t *testing.T) {
	tests := []struct {
		sql              string
		phase            confluent.Phase
		kind             string
		bounded, appends bool
		schema           bool
	}{
		{"CREATE TABLE t (id INT)", confluent.PhaseCompleted, "CREATE_TABLE", true, true, false},
		{"INSERT INTO sink SELECT * FROM src", confluent.PhaseRunning, "INSERT_INTO", false, true, true},
		{"INSERT INTO sink SELECT id, COUNT(*) FROM src GROUP BY id", confluent.PhaseRunning, "INSERT_INTO", false, false, true},
		{"INSERT INTO sink SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE src, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) GROUP BY window_start, window_end",
			confluent.PhaseRunning, "INSERT_INTO", false, true, true},
		{"INSERT INTO sink SELECT * FROM src LEFT JOIN sink ON src.id = sink.id", confluent.PhaseRunning, "INSERT_INTO", false, false, true},
		{"SELECT 1", confluent.PhaseCompleted, "SELECT", true, true, true},
		{"CREATE TABLE c AS SELECT * FROM src", confluent.PhaseRunning, "CREATE_TABLE_AS", false, true, true},
		{"INSERT INTO missing SELECT * FROM src", confluent.PhaseFailed, "INSERT_INTO", false, true, true}, // PENDING has them
	}
	for _, tt := range tests {
		t.Run(tt.sql, func(t *testing.T) {
			h := start(t, ExternalTables([]string{"src", "sink"}))
			pending := h.create("s", tt.sql)
			h.settle()
			for _, st := range []confluent.Statement{pending, h.get("s")} {
				tr := st.Status.Traits
				if st.Status.Phase == confluent.PhaseFailed {
					if tr != nil {
						t.Errorf("traits on a FAILED statement: %+v", tr)
					}
					continue
				}
				if tr == nil || tr.SQLKind != tt.kind || tr.IsBounded == nil || *tr.IsBounded != tt.bounded ||
					tr.IsAppendOnly == nil || *tr.IsAppendOnly != tt.appends || tr.UpsertColumns == nil || (tr.Schema != nil) != tt.schema {
					t.Errorf("%s: traits %+v", st.Status.Phase, tr)
				}
			}
			h.mustPhase("s", tt.phase)
		})
	}
}

// TestListLastPageHasNext: metadata.next is present and empty on the last
// page of statements, as Confluent sends it.
func TestListLastPageHasNext(t *testing.T) {
	h := start(t)
	h.create("a", "SELECT 1")
	h.create("b", "SELECT 1")
	var page struct {
		Metadata map[string]any `json:"metadata"`
	}
	h.do("GET", stmts+"?page_size=1", nil).want(t, http.StatusOK, &page)
	next, _ := page.Metadata["next"].(string)
	if next == "" {
		t.Fatalf("first page: metadata %v", page.Metadata)
	}
	h.do("GET", next[len(h.srv.URL):], nil).want(t, http.StatusOK, &page)
	if next, ok := page.Metadata["next"]; !ok || next != "" {
		t.Errorf("last page: metadata %v, want next present and empty", page.Metadata)
	}
}

// TestDryRun: sql.dry-run checks a statement against the catalog and
// answers COMPLETED or FAILED, neither running nor keeping it.
func TestDryRun(t *testing.T) {
	dry := map[string]string{propDryRun: "true"}
	tests := []struct {
		name, sql string
		props     map[string]string
		phase     confluent.Phase
		detail    string
	}{
		{"a DML whose tables exist", "INSERT INTO sink SELECT * FROM src", dry, confluent.PhaseCompleted, ""},
		{"a missing source", "INSERT INTO sink SELECT * FROM nope", dry, confluent.PhaseFailed, "Table (or view) 'nope' does not exist"},
		{"a missing sink", "INSERT INTO nope SELECT * FROM src", dry, confluent.PhaseFailed, "'nope' does not exist"},
		{"a table that exists", "CREATE TABLE src (id INT)", dry, confluent.PhaseFailed, "Table 'src' already exists"},
		{"a new table", "CREATE TABLE fresh (id INT)", dry, confluent.PhaseCompleted, ""},
		{"a drop of nothing", "DROP TABLE nope", map[string]string{propDryRun: "TRUE"}, confluent.PhaseFailed, "does not exist"},
		{"bad SQL", "SELECT 'unterminated", dry, confluent.PhaseFailed, "SQL parse failed"},
		{"a bad start mode", "INSERT INTO sink SELECT * FROM src", map[string]string{propDryRun: "true", "sql.tables.scan.startup.mode": "x"},
			confluent.PhaseFailed, "Could not parse value 'x'"},
		{"a stateful carry-over", "INSERT INTO sink SELECT id, COUNT(*) FROM src GROUP BY id",
			map[string]string{propDryRun: "true", propInitialOffsetFrom: "old"}, confluent.PhaseFailed, "stateless"},
		{"a name in use", "SELECT 1", dry, confluent.PhaseCompleted, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, ExternalTables([]string{"src", "sink"}))
			h.create("taken", "SELECT 1")
			name := "dry"
			if tt.name == "a name in use" {
				name = "taken"
			}
			st := h.createWith(name, tt.sql, tt.props)
			if st.Status.Phase != tt.phase || !strings.Contains(st.Status.Detail, tt.detail) {
				t.Errorf("dry run: %s %q, want %s %q", st.Status.Phase, st.Status.Detail, tt.phase, tt.detail)
			}
			h.settle()
			if name == "dry" {
				h.do("GET", stmts+"/dry", nil).failure(t, http.StatusNotFound)
			}
			if got := h.get("taken").Spec.Statement; got != "SELECT 1" {
				t.Errorf("the statement in use became %q", got)
			}
			if n := h.emu.Counters().Creates[name]; n > 1 {
				t.Errorf("a dry run counted as a create")
			}
			if got := h.topic("fresh"); got.Exists {
				t.Error("a dry run created a table")
			}
		})
	}
}

// TestPutErrorsAre400: the spec declares 400 for the PUT, not 422.
func TestPutErrorsAre400(t *testing.T) {
	h := start(t)
	h.create("s", "SELECT 1")
	body := h.get("s")
	body.Spec.Statement = "SELECT 2"
	e := h.do("PUT", stmts+"/s", body).failure(t, http.StatusBadRequest)
	if e.Code != codeInvalidConfig || e.Source == nil || e.Source.Pointer != "/spec/statement" {
		t.Errorf("error %+v", e)
	}
	raw, _ := json.Marshal(e)
	if !strings.Contains(string(raw), `"status":"400"`) {
		t.Errorf("error status in the body: %s", raw)
	}
}
