package openapitest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// org is a UUID because organization_id is format: uuid in the specs.
const org = "0b1f5c0e-1d0c-4b4e-9f3e-3f2a4f8b9c01"

const (
	statements = "/sql/v1/organizations/" + org + "/environments/env-1/statements"
	pools      = "/fcpm/v2/compute-pools"
)

// statementJSON is a statement as the service returns it from create, get
// and patch: those responses also require spec.statement_name.
const statementJSON = `{
  "api_version": "sql/v1",
  "kind": "Statement",
  "organization_id": "0b1f5c0e-1d0c-4b4e-9f3e-3f2a4f8b9c01",
  "environment_id": "env-1",
  "name": "s1",
  "metadata": {
    "self": "http://127.0.0.1/sql/v1/organizations/0b1f5c0e-1d0c-4b4e-9f3e-3f2a4f8b9c01/environments/env-1/statements/s1",
    "created_at": "2025-01-02T03:04:05Z",
    "updated_at": "2025-01-02T03:04:05Z",
    "uid": "6f1d2c3b-4a59-4e68-8b7a-9c0d1e2f3a4b",
    "resource_version": "1"
  },
  "spec": {
    "statement": "SELECT 1;",
    "statement_name": "s1",
    "compute_pool_id": "lfcp-1",
    "principal": "sa-1",
    "properties": {"sql.current-catalog": "env-1"},
    "stopped": false
  },
  "status": {"phase": "PENDING", "detail": "Statement is pending"}
}`

// statementListJSON is a one-item list; list items need no statement_name.
const statementListJSON = `{
  "api_version": "sql/v1",
  "kind": "StatementList",
  "metadata": {"self": "http://127.0.0.1` + statements + `"},
  "data": [{
    "api_version": "sql/v1",
    "kind": "Statement",
    "organization_id": "0b1f5c0e-1d0c-4b4e-9f3e-3f2a4f8b9c01",
    "environment_id": "env-1",
    "name": "s1",
    "metadata": {"self": "http://127.0.0.1` + statements + `/s1", "resource_version": "1"},
    "spec": {"statement": "SELECT 1;", "compute_pool_id": "lfcp-1"},
    "status": {"phase": "RUNNING"}
  }]
}`

const poolJSON = `{
  "api_version": "fcpm/v2",
  "kind": "ComputePool",
  "id": "lfcp-1",
  "metadata": {
    "self": "http://127.0.0.1/fcpm/v2/compute-pools/lfcp-1",
    "resource_name": "crn://confluent.cloud/organization=0b1f5c0e-1d0c-4b4e-9f3e-3f2a4f8b9c01/environment=env-1/flink-region=aws.us-east-1/compute-pool=lfcp-1",
    "created_at": "2025-01-02T03:04:05Z"
  },
  "spec": {
    "display_name": "pool-1",
    "cloud": "AWS",
    "region": "us-east-1",
    "max_cfu": 5,
    "environment": {
      "id": "env-1",
      "related": "http://127.0.0.1/org/v2/environments/env-1",
      "resource_name": "crn://confluent.cloud/organization=0b1f5c0e-1d0c-4b4e-9f3e-3f2a4f8b9c01/environment=env-1"
    }
  },
  "status": {"phase": "PROVISIONING", "current_cfu": 0}
}`

func failureJSON(status int) string {
	return fmt.Sprintf(`{"errors": [{"id": "e-1", "status": "%d", "code": "conflict", "title": %q, "detail": "details"}]}`,
		status, http.StatusText(status))
}

// exchange is one canned request and the response the test server gives.
type exchange struct {
	method, path, contentType, body string
	noAuth                          bool

	status   int
	respType string // Content-Type of the response, none when empty
	respBody string
}

func TestRoundTripper(t *testing.T) {
	const createBody = `{"name": "s1", "organization_id": "` + org + `", "environment_id": "env-1",
	  "spec": {"statement": "SELECT 1;", "compute_pool_id": "lfcp-1", "properties": {"sql.current-catalog": "env-1"}}}`
	const poolCreateBody = `{"spec": {"display_name": "pool-1", "cloud": "AWS", "region": "us-east-1",
	  "max_cfu": 5, "environment": {"id": "env-1"}}}`
	tests := []struct {
		name string
		ex   exchange
		op   string // operationId that must be counted, none for an unknown route
		want string // substring of the violation; empty when the exchange is valid
	}{
		{
			name: "statement create 201",
			ex:   exchange{method: "POST", path: statements, contentType: "application/json", body: createBody, status: 201, respType: "application/json", respBody: statementJSON},
			op:   "createSqlv1Statement",
		},
		{
			name: "statement list",
			ex:   exchange{method: "GET", path: statements + "?page_size=10&spec.compute_pool_id=lfcp-1", status: 200, respType: "application/json", respBody: statementListJSON},
			op:   "listSqlv1Statements",
		},
		{
			name: "statement get",
			ex:   exchange{method: "GET", path: statements + "/s1", status: 200, respType: "application/json", respBody: statementJSON},
			op:   "getSqlv1Statement",
		},
		{
			name: "statement create 409 Failure",
			ex:   exchange{method: "POST", path: statements, contentType: "application/json", body: createBody, status: 409, respType: "application/json", respBody: failureJSON(409)},
			op:   "createSqlv1Statement",
		},
		{
			name: "statement get 404 Failure",
			ex:   exchange{method: "GET", path: statements + "/s2", status: 404, respType: "application/json", respBody: failureJSON(404)},
			op:   "getSqlv1Statement",
		},
		{
			// The PUT requires metadata.resource_version, and metadata is the
			// readOnly StatementObjectMeta: accepted without metadata.self.
			name: "statement update with resource_version 202",
			ex: exchange{method: "PUT", path: statements + "/s1", contentType: "application/json",
				body:   `{"name": "s1", "metadata": {"resource_version": "1"}, "spec": {"statement": "SELECT 1;", "stopped": true}}`,
				status: 202},
			op: "updateSqlv1Statement",
		},
		{
			name: "statement patch json-patch 200",
			ex: exchange{method: "PATCH", path: statements + "/s1", contentType: "application/json-patch+json",
				body:   `[{"op": "REPLACE", "path": "/spec/stopped", "value": true}]`,
				status: 200, respType: "application/json", respBody: statementJSON},
			op: "patchSqlv1Statement",
		},
		{
			name: "statement delete 202",
			ex:   exchange{method: "DELETE", path: statements + "/s1", status: 202},
			op:   "deleteSqlv1Statement",
		},
		{
			name: "statement get 429 without body",
			ex:   exchange{method: "GET", path: statements + "/s1", status: 429},
			op:   "getSqlv1Statement",
		},
		{
			name: "pool create 202",
			ex:   exchange{method: "POST", path: pools, contentType: "application/json", body: poolCreateBody, status: 202, respType: "application/json", respBody: poolJSON},
			op:   "createFcpmV2ComputePool",
		},
		{
			name: "pool get",
			ex:   exchange{method: "GET", path: pools + "/lfcp-1?environment=env-1", status: 200, respType: "application/json", respBody: poolJSON},
			op:   "getFcpmV2ComputePool",
		},
		{
			name: "pool delete 204",
			ex:   exchange{method: "DELETE", path: pools + "/lfcp-1?environment=env-1", status: 204},
			op:   "deleteFcpmV2ComputePool",
		},
		{
			name: "wrong field type in request",
			ex: exchange{method: "POST", path: statements, contentType: "application/json",
				body:   `{"name": "s1", "spec": {"statement": 42}}`,
				status: 201, respType: "application/json", respBody: statementJSON},
			op:   "createSqlv1Statement",
			want: `Error at "/spec/statement": value must be a string`,
		},
		{
			name: "create without required name",
			ex: exchange{method: "POST", path: statements, contentType: "application/json",
				body:   `{"spec": {"statement": "SELECT 1;"}}`,
				status: 201, respType: "application/json", respBody: statementJSON},
			op:   "createSqlv1Statement",
			want: `property "name" is missing`,
		},
		{
			name: "readOnly property in create",
			ex: exchange{method: "POST", path: statements, contentType: "application/json",
				body:   `{"api_version": "sql/v1", "name": "s1", "spec": {"statement": "SELECT 1;"}}`,
				status: 201, respType: "application/json", respBody: statementJSON},
			op:   "createSqlv1Statement",
			want: `readOnly property "api_version" in request`,
		},
		{
			name: "update without resource_version",
			ex: exchange{method: "PUT", path: statements + "/s1", contentType: "application/json",
				body:   `{"name": "s1", "metadata": {}, "spec": {"statement": "SELECT 1;", "stopped": true}}`,
				status: 202},
			op:   "updateSqlv1Statement",
			want: `property "resource_version" is missing`,
		},
		{
			// The spec's JSON Patch ops are upper case, unlike RFC 6902.
			name: "lower-case json-patch op",
			ex: exchange{method: "PATCH", path: statements + "/s1", contentType: "application/json-patch+json",
				body:   `[{"op": "replace", "path": "/spec/stopped", "value": true}]`,
				status: 200, respType: "application/json", respBody: statementJSON},
			op:   "patchSqlv1Statement",
			want: `Error at "/op": value is not one of the allowed values ["ADD","REPLACE","TEST"]`,
		},
		{
			name: "organization id not a UUID",
			ex:   exchange{method: "GET", path: "/sql/v1/organizations/org-1/environments/env-1/statements", status: 200, respType: "application/json", respBody: statementListJSON},
			op:   "listSqlv1Statements",
			want: `parameter "organization_id" in path has an error`,
		},
		{
			name: "no Authorization header",
			ex:   exchange{method: "GET", path: statements, noAuth: true, status: 200, respType: "application/json", respBody: statementListJSON},
			op:   "listSqlv1Statements",
			want: "no HTTP Basic credentials",
		},
		{
			name: "unknown path",
			ex:   exchange{method: "GET", path: "/sql/v1/organizations/" + org + "/environments/env-1/widgets", status: 200, respType: "application/json", respBody: `{}`},
			want: "no operation in the specs has this method and path",
		},
		{
			name: "method not allowed",
			ex:   exchange{method: "POST", path: statements + "/s1", contentType: "application/json", body: createBody, status: 201, respType: "application/json", respBody: statementJSON},
			want: "no operation in the specs has this method and path",
		},
		{
			name: "create response without spec.statement_name",
			ex: exchange{method: "POST", path: statements, contentType: "application/json", body: createBody,
				status: 201, respType: "application/json", respBody: strings.Replace(statementJSON, `"statement_name": "s1",`, "", 1)},
			op:   "createSqlv1Statement",
			want: `response: response body doesn't match schema: doesn't match schema due to: Error at "/spec/statement_name": property "statement_name" is missing`,
		},
		{
			name: "wrong type in response",
			ex: exchange{method: "POST", path: pools, contentType: "application/json", body: poolCreateBody,
				status: 202, respType: "application/json", respBody: strings.Replace(poolJSON, `"max_cfu": 5`, `"max_cfu": "5"`, 1)},
			op:   "createFcpmV2ComputePool",
			want: `Error at "/spec/max_cfu": value must be an integer`,
		},
		{
			// Request bodies need no metadata.self; responses still do.
			name: "response without metadata.self",
			ex: exchange{method: "GET", path: statements + "/s1", status: 200, respType: "application/json",
				respBody: strings.Replace(statementJSON, `"self": "http://127.0.0.1/sql/v1/organizations/0b1f5c0e-1d0c-4b4e-9f3e-3f2a4f8b9c01/environments/env-1/statements/s1",`, "", 1)},
			op:   "getSqlv1Statement",
			want: `Error at "/metadata": doesn't match schema due to: Error at "/self": property "self" is missing`,
		},
		{
			name: "relative self URL in response",
			ex: exchange{method: "GET", path: statements + "/s1", status: 200, respType: "application/json",
				respBody: strings.Replace(statementJSON, `"self": "http://127.0.0.1/sql`, `"self": "/sql`, 1)},
			op:   "getSqlv1Statement",
			want: `Error at "/self": string doesn't match the format "uri": "/sql/v1/organizations/` + org + `/environments/env-1/statements/s1" is not an absolute URI`,
		},
		{
			name: "error response not a Failure",
			ex:   exchange{method: "GET", path: statements + "/s2", status: 404, respType: "application/json", respBody: `{"message": "not found"}`},
			op:   "getSqlv1Statement",
			want: `property "errors" is missing`,
		},
		{
			name: "body on a status declared without content",
			ex:   exchange{method: "DELETE", path: statements + "/s1", status: 202, respType: "application/json", respBody: statementJSON},
			op:   "deleteSqlv1Statement",
			want: "status 202 is declared without content",
		},
		{
			name: "status the operation does not declare",
			ex:   exchange{method: "DELETE", path: pools + "/lfcp-1?environment=env-1", status: 200, respType: "application/json", respBody: poolJSON},
			op:   "deleteFcpmV2ComputePool",
			want: "status is not supported",
		},
		{
			name: "response without Content-Type",
			ex:   exchange{method: "GET", path: statements + "/s1", status: 200, respBody: statementJSON},
			op:   "getSqlv1Statement",
			want: "response header Content-Type has unexpected value",
		},
	}
	specs := ConfluentSpecs(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := New(t, specs...)
			gotReq, gotResp := roundTrip(t, v, tt.ex)
			if gotReq != tt.ex.body {
				t.Errorf("server got request body %q, want %q", gotReq, tt.ex.body)
			}
			if gotResp != tt.ex.respBody {
				t.Errorf("client got response body %q, want %q", gotResp, tt.ex.respBody)
			}
			violations := v.Violations()
			switch {
			case tt.want == "" && len(violations) > 0:
				t.Errorf("valid exchange reported:\n%s", strings.Join(violations, "\n"))
			case tt.want != "" && !strings.Contains(strings.Join(violations, "\n"), tt.want):
				t.Errorf("violations %q\ndo not mention %q", violations, tt.want)
			}
			covered := v.Covered()
			if tt.op == "" && len(covered) > 0 {
				t.Errorf("Covered() = %v for a request the specs do not route", covered)
			}
			if tt.op != "" && (covered[tt.op] != 1 || len(covered) != 1) {
				t.Errorf("Covered() = %v, want %s once", covered, tt.op)
			}
		})
	}
}

// roundTrip sends ex through v's transport to a server answering with the
// canned response, and returns the request body the server received and the
// response body the client read.
func roundTrip(t *testing.T, v *Validator, ex exchange) (gotReq, gotResp string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("server: read body: %v", err)
		}
		gotReq = string(b)
		if ex.respType != "" {
			w.Header().Set("Content-Type", ex.respType)
		} else {
			// Keep net/http from sniffing one.
			w.Header()["Content-Type"] = nil
		}
		w.WriteHeader(ex.status)
		io.WriteString(w, ex.respBody)
	}))
	defer srv.Close()

	var body io.Reader
	if ex.body != "" {
		body = strings.NewReader(ex.body)
	}
	req, err := http.NewRequest(ex.method, srv.URL+ex.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if ex.contentType != "" {
		req.Header.Set("Content-Type", ex.contentType)
	}
	if !ex.noAuth {
		req.SetBasicAuth("API-KEY", "API-SECRET")
	}
	client := &http.Client{Transport: v.RoundTripper(srv.Client().Transport)}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return gotReq, string(b)
}

// TestConcurrent shows that one Validator can serve parallel requests (run
// with -race) and counts each of them.
func TestConcurrent(t *testing.T) {
	v := New(t, ConfluentSpecs(t)...)
	ex := exchange{method: "GET", path: statements + "/s1", status: 200, respType: "application/json", respBody: statementJSON}
	const n = 8
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { roundTrip(t, v, ex) })
	}
	wg.Wait()
	v.Check(t)
	if got := v.Covered()["getSqlv1Statement"]; got != n {
		t.Errorf("Covered()[getSqlv1Statement] = %d, want %d", got, n)
	}
}

// recordingTB captures what Check reports instead of failing the test.
type recordingTB struct {
	testing.TB
	errors []string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestCheck(t *testing.T) {
	v := New(t, ConfluentSpecs(t)...)
	tb := &recordingTB{TB: t}
	v.Check(tb)
	if len(tb.errors) != 0 {
		t.Fatalf("Check of a fresh validator reported %q", tb.errors)
	}
	roundTrip(t, v, exchange{method: "GET", path: "/nowhere", status: 404})
	roundTrip(t, v, exchange{method: "GET", path: "/elsewhere", status: 404})
	v.Check(tb)
	if len(tb.errors) != 1 {
		t.Fatalf("Check reported %d errors, want 1 listing both violations: %q", len(tb.errors), tb.errors)
	}
	for _, want := range []string{"2 OpenAPI violation(s)", "GET /nowhere (404 Not Found): request: no operation", "GET /elsewhere (404 Not Found)"} {
		if !strings.Contains(tb.errors[0], want) {
			t.Errorf("Check reported %q, want it to mention %q", tb.errors[0], want)
		}
	}
}
