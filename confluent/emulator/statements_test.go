package emulator

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shiftleft/shiftleft/confluent"
)

func TestCreateStatement(t *testing.T) {
	h := start(t)
	in := createBody("orders-dedup", "CREATE TABLE orders (id INT)")
	in.OrganizationID, in.EnvironmentID = testOrg, testEnv
	in.Spec.Principal = "sa-23kgz4"
	in.Spec.Properties = map[string]string{"sql.current-catalog": "my-env"}
	in.Metadata = &confluent.StatementMetadata{Labels: map[string]string{"team": "sales"}}
	res := h.do("POST", stmts, in)
	var st confluent.Statement
	res.want(t, http.StatusCreated, &st)

	self := h.srv.URL + stmts + "/orders-dedup"
	checks := []struct{ what, got, want string }{
		{"Location", res.header.Get("Location"), self},
		{"Content-Type", res.header.Get("Content-Type"), "application/json"},
		{"api_version", st.APIVersion, "sql/v1"},
		{"kind", st.Kind, "Statement"},
		{"name", st.Name, "orders-dedup"},
		{"organization_id", st.OrganizationID, testOrg},
		{"environment_id", st.EnvironmentID, testEnv},
		{"metadata.self", st.Metadata.Self, self},
		{"metadata.resource_version", st.Metadata.ResourceVersion, "1"},
		{"metadata.labels.team", st.Metadata.Labels["team"], "sales"},
		{"spec.statement", st.Spec.Statement, "CREATE TABLE orders (id INT)"},
		{"spec.statement_name", st.Spec.StatementName, "orders-dedup"},
		{"spec.principal", st.Spec.Principal, "sa-23kgz4"},
		{"spec.properties", st.Spec.Properties["sql.current-catalog"], "my-env"},
		{"status.phase", string(st.Status.Phase), "PENDING"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if res.header.Get("X-Request-Id") == "" || st.Metadata.UID == "" || st.Metadata.CreatedAt == nil ||
		st.Metadata.UpdatedAt == nil {
		t.Errorf("X-Request-Id, uid, created_at and updated_at must be set: %s", res.body)
	}
	if !strings.HasPrefix(st.Spec.ComputePoolID, "lfcp-") || st.Spec.Stopped == nil || *st.Spec.Stopped {
		t.Errorf("want the default pool and stopped=false, got %q %v", st.Spec.ComputePoolID, st.Spec.Stopped)
	}
}

// TestStatementRoutes checks each route's status on a statement that exists
// and on one that does not.
func TestStatementRoutes(t *testing.T) {
	stopped := true
	put := createBody("s1", "CREATE TABLE t (id INT)")
	put.Metadata = &confluent.StatementMetadata{ResourceVersion: "2"}
	put.Spec.Stopped = &stopped
	tests := []struct {
		name, method, path string
		body               any
		want               int
	}{
		{"get", "GET", stmts + "/s1", nil, http.StatusOK},
		{"get missing", "GET", stmts + "/nope", nil, http.StatusNotFound},
		{"get other environment", "GET", strings.Replace(stmts, testEnv, "env-other", 1) + "/s1", nil, http.StatusNotFound},
		{"list", "GET", stmts, nil, http.StatusOK},
		{"list other environment", "GET", strings.Replace(stmts, testEnv, "env-other", 1), nil, http.StatusOK},
		{"put", "PUT", stmts + "/s1", put, http.StatusAccepted},
		{"put missing", "PUT", stmts + "/nope", put, http.StatusNotFound},
		{"patch", "PATCH", stmts + "/s1", `[{"op":"replace","path":"/spec/stopped","value":true}]`, http.StatusOK},
		{"patch missing", "PATCH", stmts + "/nope", `[]`, http.StatusNotFound},
		{"delete", "DELETE", stmts + "/s1", nil, http.StatusAccepted},
		{"delete missing", "DELETE", stmts + "/nope", nil, http.StatusNotFound},
		{"exceptions", "GET", stmts + "/s1/exceptions", nil, http.StatusOK},
		{"exceptions missing", "GET", stmts + "/nope/exceptions", nil, http.StatusNotFound},
		{"results", "GET", stmts + "/s1/results", nil, http.StatusOK},
		{"results missing", "GET", stmts + "/nope/results", nil, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t)
			h.create("s1", "CREATE TABLE t (id INT)")
			h.settle() // COMPLETED: resource_version 2
			res := h.do(tt.method, tt.path, tt.body)
			if tt.want >= 400 {
				res.failure(t, tt.want)
				return
			}
			res.want(t, tt.want, nil)
			if tt.want == http.StatusAccepted && len(res.body) != 0 {
				t.Errorf("202 with a body: %s", res.body)
			}
		})
	}
}

func TestResultsAndExceptionsShape(t *testing.T) {
	h := start(t)
	h.create("q1", "INSERT INTO missing SELECT * FROM gone")
	h.settle()
	var res statementResult
	h.do("GET", stmts+"/q1/results", nil).want(t, http.StatusOK, &res)
	if res.Kind != "StatementResult" || res.APIVersion != "sql/v1" || res.Results.Data == nil {
		t.Errorf("results = %+v", res)
	}
	var list confluent.StatementExceptionList
	h.do("GET", stmts+"/q1/exceptions", nil).want(t, http.StatusOK, &list)
	if list.Kind != "StatementExceptionList" || len(list.Data) != 1 || list.Data[0].Kind != "StatementException" ||
		list.Data[0].Timestamp == nil {
		t.Errorf("exceptions = %+v", list)
	}
}

// TestExceptionsNewestFirstAtMostTen records exceptions directly: a statement
// of the emulator fails only once, where Flink restarts a job and fails again.
func TestExceptionsNewestFirstAtMostTen(t *testing.T) {
	h := start(t)
	h.create("s1", "SELECT 1")
	h.emu.mu.Lock()
	st := h.emu.m.Environments[testEnv].Statements["s1"]
	for i := range 12 {
		h.emu.except(st, exRuntime, fmt.Sprintf("failure %d", i), h.clock.Now().Add(time.Duration(i)*time.Second))
	}
	h.emu.mu.Unlock()
	ex := h.exceptions("s1")
	if len(ex) != 10 || ex[0].Message != "failure 11" || ex[9].Message != "failure 2" {
		t.Errorf("got %d exceptions, first %q, last %q", len(ex), ex[0].Message, ex[len(ex)-1].Message)
	}
}

func TestStopResume(t *testing.T) {
	// A latency makes STOPPING and PENDING visible.
	h := start(t, Latency(time.Second), ExternalTables([]string{"src", "sink"}))
	h.create("job", "INSERT INTO sink SELECT * FROM src")
	h.settle()
	running := h.get("job")
	if running.Status.Phase != confluent.PhaseRunning {
		t.Fatalf("phase %s, want RUNNING: %s", running.Status.Phase, running.Status.Detail)
	}

	yes, no := true, false
	// Pool and principal change only on a stopped statement.
	var pool confluent.ComputePool
	h.do("POST", "/fcpm/v2/compute-pools", poolBody("other", 5)).want(t, http.StatusAccepted, &pool)
	h.settle()
	running = h.get("job")
	for _, edit := range []func(*confluent.Statement){
		func(s *confluent.Statement) { s.Spec.ComputePoolID = pool.ID },
		func(s *confluent.Statement) { s.Spec.Principal = "sa-other" },
	} {
		body := running
		body.Spec.Stopped = &no
		edit(&body)
		if e := h.do("PUT", stmts+"/job", body).failure(t, http.StatusBadRequest); e.Code != codeInvalidConfig {
			t.Errorf("pool or principal change on a running statement: code %q", e.Code)
		}
	}

	stop := running
	stop.Spec.Stopped = &yes
	stale := stop
	stale.Metadata = &confluent.StatementMetadata{ResourceVersion: "1"}
	e := h.do("PUT", stmts+"/job", stale).failure(t, http.StatusConflict)
	if e.Code != codeVersionConflict {
		t.Errorf("code %q, want %q", e.Code, codeVersionConflict)
	}

	h.do("PUT", stmts+"/job", stop).want(t, http.StatusAccepted, nil)
	stopping := h.get("job")
	if stopping.Status.Phase != confluent.PhaseStopping || stopping.Metadata.ResourceVersion == running.Metadata.ResourceVersion ||
		!stopping.Metadata.UpdatedAt.After(*running.Metadata.UpdatedAt) {
		t.Fatalf("after stop: phase %s, version %s (was %s)", stopping.Status.Phase,
			stopping.Metadata.ResourceVersion, running.Metadata.ResourceVersion)
	}
	// The same PUT again is stale now.
	h.do("PUT", stmts+"/job", stop).failure(t, http.StatusConflict)

	h.settle()
	st := h.get("job")
	if st.Status.Phase != confluent.PhaseStopped || st.Status.LatestOffsets["src"] == "" ||
		st.Status.LatestOffsetsTimestamp == nil || st.Status.EndTime == nil {
		t.Fatalf("after stop: %+v", st.Status)
	}

	rejected := []struct {
		name    string
		edit    func(*confluent.Statement)
		pointer string
	}{
		{"new statement", func(s *confluent.Statement) { s.Spec.Statement = "SELECT 1"; s.Spec.Stopped = &no }, "/spec/statement"},
		{"new properties", func(s *confluent.Statement) { s.Spec.Properties = map[string]string{"a": "b"} }, "/spec/properties"},
		{"unknown pool", func(s *confluent.Statement) { s.Spec.ComputePoolID = "lfcp-nope"; s.Spec.Stopped = &no }, "/spec/compute_pool_id"},
		{"no version", func(s *confluent.Statement) { s.Metadata = nil }, "/metadata/resource_version"},
		{"no stopped", func(s *confluent.Statement) { s.Spec.Stopped = nil }, "/spec/stopped"},
		{"other name", func(s *confluent.Statement) { s.Name = "other" }, "/name"},
	}
	for _, r := range rejected {
		t.Run(r.name, func(t *testing.T) {
			body := st
			body.Spec.Stopped = &yes
			r.edit(&body)
			e := h.do("PUT", stmts+"/job", body).failure(t, http.StatusBadRequest)
			if e.Source == nil || e.Source.Pointer != r.pointer {
				t.Errorf("source %+v, want pointer %s", e.Source, r.pointer)
			}
		})
	}

	// A stopped statement moves to another pool and stays stopped.
	st.Spec.ComputePoolID = pool.ID
	h.do("PUT", stmts+"/job", st).want(t, http.StatusAccepted, nil)
	st = h.get("job")
	if st.Status.Phase != confluent.PhaseStopped || st.Spec.ComputePoolID != pool.ID {
		t.Fatalf("after moving a stopped statement: phase %s, pool %s", st.Status.Phase, st.Spec.ComputePoolID)
	}
	// Resume as another principal.
	st.Spec.Stopped, st.Spec.Principal = &no, "sa-new"
	h.do("PUT", stmts+"/job", st).want(t, http.StatusAccepted, nil)
	if got := h.get("job"); got.Status.Phase != confluent.PhasePending || got.Status.EndTime != nil {
		t.Errorf("after resume: phase %s, end_time %v; want PENDING without end_time", got.Status.Phase, got.Status.EndTime)
	}
	h.settle()
	got := h.get("job")
	if got.Status.Phase != confluent.PhaseRunning || got.Spec.ComputePoolID != pool.ID || got.Spec.Principal != "sa-new" {
		t.Errorf("after resume: phase %s, pool %s, principal %s", got.Status.Phase, got.Spec.ComputePoolID, got.Spec.Principal)
	}

	// A PUT that changes nothing keeps the version.
	h.do("PUT", stmts+"/job", got).want(t, http.StatusAccepted, nil)
	if again := h.get("job"); again.Metadata.ResourceVersion != got.Metadata.ResourceVersion {
		t.Errorf("no-op PUT bumped resource_version %s to %s", got.Metadata.ResourceVersion, again.Metadata.ResourceVersion)
	}
}

func TestResumeRechecksTables(t *testing.T) {
	h := start(t)
	for _, s := range []struct{ name, sql string }{
		{"ddl-src", "CREATE TABLE src (id INT)"},
		{"ddl-sink", "CREATE TABLE sink (id INT)"},
	} {
		h.create(s.name, s.sql)
		h.settle()
	}
	h.create("job", "INSERT INTO sink SELECT * FROM src")
	h.settle()
	h.setStopped("job", true)
	h.settle()
	h.create("drop", "DROP TABLE src")
	h.settle()
	h.setStopped("job", false)
	h.settle()
	if phase, detail := h.phaseOf("job"); phase != confluent.PhaseFailed || !strings.Contains(detail, "'src'") {
		t.Errorf("resumed without its table: %s %q, want FAILED naming src", phase, detail)
	}
}

func TestPatch(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		want        int
		wantStopped bool
		pointer     string
	}{
		{"replace", "application/json-patch+json", `[{"op":"replace","path":"/spec/stopped","value":true}]`, 200, true, ""},
		{"upper case op, plain JSON", "application/json", `[{"op":"REPLACE","path":"/spec/stopped","value":true}]`, 200, true, ""},
		{"charset", "application/json; charset=utf-8", `[{"op":"replace","path":"/spec/stopped","value":true}]`, 200, true, ""},
		{"test then replace", "application/json-patch+json",
			`[{"op":"test","path":"/metadata/resource_version","value":"2"},{"op":"replace","path":"/spec/stopped","value":true}]`, 200, true, ""},
		{"stale test", "application/json-patch+json",
			`[{"op":"test","path":"/metadata/resource_version","value":"1"},{"op":"replace","path":"/spec/stopped","value":true}]`, 409, false, "/0/value"},
		{"empty patch", "application/json-patch+json", `[]`, 200, false, ""},
		{"wrong content type", "text/plain", `[]`, 415, false, ""},
		{"malformed", "application/json-patch+json", `[{"op":`, 400, false, ""},
		{"not an array", "application/json-patch+json", `{"op":"replace"}`, 400, false, ""},
		{"unknown op", "application/json-patch+json", `[{"op":"frobnicate","path":"/spec/stopped"}]`, 422, false, "/0/op"},
		{"missing path", "application/json-patch+json", `[{"op":"replace","path":"/spec/nothing/here","value":1}]`, 422, false, "/0/path"},
		{"bad pointer", "application/json-patch+json", `[{"op":"replace","path":"spec","value":1}]`, 422, false, "/0/path"},
		{"immutable statement", "application/json-patch+json", `[{"op":"replace","path":"/spec/statement","value":"SELECT 2"}]`, 422, false, "/spec/statement"},
		{"wrong type", "application/json-patch+json", `[{"op":"replace","path":"/spec/stopped","value":"yes"}]`, 422, false, "/spec/stopped"},
		{"remove stopped", "application/json-patch+json", `[{"op":"remove","path":"/spec/stopped"}]`, 422, false, "/spec/stopped"},
		{"replace everything", "application/json-patch+json", `[{"op":"replace","path":"","value":5}]`, 422, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t)
			h.create("s1", "CREATE TABLE t (id INT)")
			h.settle()
			res := h.do("PATCH", stmts+"/s1", tt.body, "Content-Type", tt.contentType)
			if tt.want != http.StatusOK {
				e := res.failure(t, tt.want)
				if tt.pointer != "" && (e.Source == nil || e.Source.Pointer != tt.pointer) {
					t.Errorf("source %+v, want pointer %s", e.Source, tt.pointer)
				}
				return
			}
			var st confluent.Statement
			res.want(t, http.StatusOK, &st)
			if *st.Spec.Stopped != tt.wantStopped {
				t.Errorf("stopped = %v, want %v", *st.Spec.Stopped, tt.wantStopped)
			}
			if tt.wantStopped && st.Status.Phase != confluent.PhaseStopping {
				t.Errorf("phase %s, want STOPPING", st.Status.Phase)
			}
		})
	}
}

func TestDeleteStatement(t *testing.T) {
	h := start(t, Latency(time.Second))
	h.create("s1", "CREATE TABLE t (id INT)")
	h.do("DELETE", stmts+"/s1", nil).want(t, http.StatusAccepted, nil)
	if phase, _ := h.phaseOf("s1"); phase != confluent.PhaseDeleting {
		t.Errorf("phase %s, want DELETING", phase)
	}
	// A second delete is accepted too, and a create of the name conflicts
	// until the statement is gone.
	h.do("DELETE", stmts+"/s1", nil).want(t, http.StatusAccepted, nil)
	h.do("POST", stmts, createBody("s1", "SELECT 1")).failure(t, http.StatusConflict)
	h.do("PUT", stmts+"/s1", h.get("s1")).failure(t, http.StatusConflict)
	h.settle()
	h.do("GET", stmts+"/s1", nil).failure(t, http.StatusNotFound)
	h.create("s1", "SELECT 1")
}

func TestListFilters(t *testing.T) {
	h := start(t)
	var pool confluent.ComputePool
	h.do("POST", "/fcpm/v2/compute-pools", poolBody("p", 10)).want(t, http.StatusAccepted, &pool)
	for _, s := range []struct {
		name, pool string
		labels     map[string]string
	}{
		{"a", "", map[string]string{"team": "sales", "tier": "gold"}},
		{"b", pool.ID, map[string]string{"team": "sales"}},
		{"c", pool.ID, map[string]string{"team": "ops"}},
		{"d", "", nil},
	} {
		in := createBody(s.name, "SELECT 1")
		in.Spec.ComputePoolID = s.pool
		in.Metadata = &confluent.StatementMetadata{Labels: s.labels}
		h.do("POST", stmts, in).want(t, http.StatusCreated, nil)
	}
	tests := []struct {
		query string
		want  string
	}{
		{"", "a,b,c,d"},
		{"spec.compute_pool_id=" + pool.ID, "b,c"},
		{"label_selector=team%3Dsales", "a,b"},
		{"label_selector=team%3Dsales,tier%3Dgold", "a"},
		{"label_selector=team%3Dsales&spec.compute_pool_id=" + pool.ID, "b"},
		{"label_selector=team%3Dnobody", ""},
		{"label_selector=team%3D%3Dsales", "a,b"},
		{"label_selector=team%21%3Dsales", "c,d"},
		{"label_selector=team%21%3Dsales,tier%21%3Dgold", "c,d"},
		{"label_selector=" + url.QueryEscape("team = sales , tier=gold"), "a"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			var list confluent.StatementList
			h.do("GET", stmts+"?"+tt.query, nil).want(t, http.StatusOK, &list)
			var names []string
			for _, st := range list.Data {
				names = append(names, st.Name)
			}
			if got := strings.Join(names, ","); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if list.Kind != "StatementList" || list.APIVersion != "sql/v1" || list.Metadata.Next != "" {
				t.Errorf("list %s/%s next %q", list.APIVersion, list.Kind, list.Metadata.Next)
			}
		})
	}
}

func TestListBadQuery(t *testing.T) {
	tests := []struct{ query, param string }{
		{"page_size=101", "page_size"},
		{"page_size=0", "page_size"},
		{"page_size=ten", "page_size"},
		{"page_token=%21%21", "page_token"},
		{"page_token=" + strings.Repeat("a", 256), "page_token"},
		{"label_selector=team", "label_selector"},
		{"label_selector=%3Dx", "label_selector"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			h := start(t)
			e := h.do("GET", stmts+"?"+tt.query, nil).failure(t, http.StatusBadRequest)
			if e.Source == nil || e.Source.Parameter != tt.param {
				t.Errorf("source %+v, want parameter %s", e.Source, tt.param)
			}
		})
	}
}

// TestPaging lists 250 statements 100 at a time, following metadata.next,
// while statements are created before and after the cursor: each of the 250
// comes exactly once.
func TestPaging(t *testing.T) {
	h := start(t)
	for i := range 250 {
		h.create(fmt.Sprintf("s-%03d", i), "SELECT 1")
	}
	seen := map[string]int{}
	next := stmts + "?page_size=100"
	var sizes []int
	for page := 0; next != ""; page++ {
		var list confluent.StatementList
		h.do("GET", next, nil, "Host", "flink.example.test").want(t, http.StatusOK, &list)
		sizes = append(sizes, len(list.Data))
		for _, st := range list.Data {
			seen[st.Name]++
		}
		h.create(fmt.Sprintf("a-%d", page), "SELECT 1") // before the cursor
		h.create(fmt.Sprintf("t-%d", page), "SELECT 1") // after it
		next = list.Metadata.Next
		if next == "" {
			break
		}
		u, err := url.Parse(next)
		if err != nil || u.Scheme != "http" || u.Host != "flink.example.test" || u.Query().Get("page_size") != "100" {
			t.Fatalf("next %q: want an absolute URL on the request's host keeping page_size", next)
		}
		next = u.RequestURI()
	}
	for i := range 250 {
		if n := seen[fmt.Sprintf("s-%03d", i)]; n != 1 {
			t.Errorf("s-%03d listed %d times", i, n)
		}
	}
	if len(sizes) != 3 || sizes[0] != 100 || sizes[1] != 100 {
		t.Errorf("page sizes %v, want 100, 100 and the rest", sizes)
	}
}

// TestListByLabelFollowsDeletesAndPages: a list by label sees a create and
// a delete at once, and pages through the statements carrying the label.
func TestListByLabelFollowsDeletesAndPages(t *testing.T) {
	h := start(t)
	for name, team := range map[string]string{"a": "sales", "b": "sales", "c": "ops", "d": "sales"} {
		in := createBody(name, "SELECT 1")
		in.Metadata = &confluent.StatementMetadata{Labels: map[string]string{"team": team}}
		h.do("POST", stmts, in).want(t, http.StatusCreated, nil)
	}
	h.deleteNow("b")
	var got []string
	for query := stmts + "?page_size=1&label_selector=team%3Dsales"; query != ""; {
		var list confluent.StatementList
		h.do("GET", query, nil).want(t, http.StatusOK, &list)
		for _, st := range list.Data {
			got = append(got, st.Name)
		}
		query = ""
		if next := list.Metadata.Next; next != "" {
			u, err := url.Parse(next)
			if err != nil {
				t.Fatal(err)
			}
			query = u.RequestURI()
		}
	}
	if strings.Join(got, ",") != "a,d" {
		t.Errorf("team=sales, a page at a time, after deleting b: %v, want a,d", got)
	}
}
