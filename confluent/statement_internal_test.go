package confluent

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const testSQL = "INSERT INTO orders_enriched SELECT o.*, c.name FROM orders o JOIN customers c ON o.cid = c.id;"

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func decodeStatement(t *testing.T, s string) *Statement {
	t.Helper()
	var st Statement
	if err := json.Unmarshal([]byte(s), &st); err != nil {
		t.Fatal(err)
	}
	return &st
}

// callCase is one call of a Client method against a scripted server.
type callCase struct {
	name   string
	script []exchange
	// faults: the script answers off the spec on purpose (see newFaultyClient).
	faults  bool
	call    func(context.Context, *Client) (any, error)
	want    string // JSON of the result, when wantErr is nil and want is set
	wantErr error
}

// errAny as a wantErr accepts any error.
var errAny = errors.New("any error")

func runCases(t *testing.T, tests []callCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := newScript(t, tt.script...)
			c := specClient(t, srv.URL, tt.faults)
			got, err := tt.call(testCtx(t), c)
			if tt.wantErr == errAny && err != nil {
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil || tt.want == "" {
				return
			}
			if d := jsonDiff(tt.want, mustJSON(got)); d != "" {
				t.Errorf("result (-want +got):\n%s", d)
			}
		})
	}
}

func createCall(r StatementRequest) func(context.Context, *Client) (any, error) {
	return func(ctx context.Context, c *Client) (any, error) { return c.CreateStatement(ctx, r) }
}

func nameCall(f func(*Client, context.Context, string) error, name string) func(context.Context, *Client) (any, error) {
	return func(ctx context.Context, c *Client) (any, error) { return nil, f(c, ctx, name) }
}

func TestStatements(t *testing.T) {
	req := StatementRequest{
		Name:          "orders-v2",
		SQL:           testSQL,
		ComputePoolID: "lfcp-8m03rm",
		Principal:     "sa-23kgz4",
		Properties:    map[string]string{"sql.current-catalog": "my-env", "sql.current-database": "my-cluster"},
	}
	createBody := mustJSON(map[string]any{
		"name":            "orders-v2",
		"organization_id": testOrg,
		"environment_id":  testEnv,
		"spec": map[string]any{
			"statement":       testSQL,
			"compute_pool_id": "lfcp-8m03rm",
			"principal":       "sa-23kgz4",
			"properties":      req.Properties,
			"stopped":         false,
		},
	})
	labelled := req
	labelled.Labels = map[string]string{"team": "sales"}
	labelledBody := mustJSON(map[string]any{
		"name":            "orders-v2",
		"organization_id": testOrg,
		"environment_id":  testEnv,
		"metadata":        map[string]any{"labels": map[string]string{"team": "sales"}},
		"spec": map[string]any{
			"statement":       testSQL,
			"compute_pool_id": "lfcp-8m03rm",
			"principal":       "sa-23kgz4",
			"properties":      req.Properties,
			"stopped":         false,
		},
	})
	pending := statementJSON("orders-v2", testSQL, PhasePending, "", "1")
	one := stmtPath + "/orders-v2"
	exceptions := `{"api_version":"sql/v1","kind":"StatementExceptionList","metadata":{"self":"x"},"data":[
		{"kind":"StatementException","name":"org.apache.flink.table.api.ValidationException","message":"Table 'customers' not found","timestamp":"2026-03-02T10:15:29Z"}]}`
	notFound := failureJSON(http.StatusNotFound, "", "Not Found", "")

	runCases(t, []callCase{
		{
			name:   "create sends the writable fields and decodes the 201",
			script: []exchange{{method: "POST", path: stmtPath, body: createBody, status: 201, resp: pending}},
			call:   createCall(req),
			want:   pending,
		},
		{
			name:   "create puts labels in metadata.labels",
			script: []exchange{{method: "POST", path: stmtPath, body: labelledBody, status: 201, resp: pending}},
			call:   createCall(labelled),
			want:   pending,
		},
		{
			name:    "create with an invalid name sends nothing",
			call:    createCall(StatementRequest{Name: "Orders_V2", SQL: testSQL}),
			wantErr: ErrInvalidRequest,
		},
		{
			name:    "create with no SQL sends nothing",
			call:    createCall(StatementRequest{Name: "orders-v2"}),
			wantErr: ErrInvalidRequest,
		},
		{
			name:    "create with a name over 72 characters sends nothing",
			call:    createCall(StatementRequest{Name: strings.Repeat("a", MaxNameLength+1), SQL: testSQL}),
			wantErr: ErrNameTooLong,
		},
		{
			name:    "create with a dot in the name sends nothing",
			call:    createCall(StatementRequest{Name: "orders.v2", SQL: testSQL}),
			wantErr: ErrInvalidRequest,
		},
		{
			name:    "create with SQL over 131072 characters sends nothing",
			call:    createCall(StatementRequest{Name: "orders-v2", SQL: strings.Repeat("x", MaxSQLLength+1)}),
			wantErr: ErrSQLTooLong,
		},
		{
			name:   "a statement of the spec's longer names with dots can be read",
			script: []exchange{{method: "GET", path: stmtPath + "/" + strings.Repeat("a.", 40) + "b", status: 200, resp: pending}},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.GetStatement(ctx, strings.Repeat("a.", 40)+"b")
			},
			want: pending,
		},
		{
			name:   "get decodes the statement",
			script: []exchange{{method: "GET", path: one, status: 200, resp: pending}},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.GetStatement(ctx, "orders-v2")
			},
			want: pending,
		},
		{
			name:   "get of a missing statement",
			script: []exchange{{method: "GET", path: one, status: 404, resp: notFound}},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.GetStatement(ctx, "orders-v2")
			},
			wantErr: ErrStatementNotFound,
		},
		{
			name:   "delete is accepted",
			script: []exchange{{method: "DELETE", path: one, status: 202}},
			call:   nameCall((*Client).DeleteStatement, "orders-v2"),
		},
		{
			name:    "delete of a missing statement",
			script:  []exchange{{method: "DELETE", path: one, status: 404, resp: notFound}},
			call:    nameCall((*Client).DeleteStatement, "orders-v2"),
			wantErr: ErrStatementNotFound,
		},
		{
			name: "delete whose lost answer deleted it",
			script: []exchange{
				{method: "DELETE", path: one, hangup: true},
				{method: "DELETE", path: one, status: 404, resp: notFound},
			},
			call: nameCall((*Client).DeleteStatement, "orders-v2"),
		},
		{
			name:   "exceptions",
			script: []exchange{{method: "GET", path: one + "/exceptions", status: 200, resp: exceptions}},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.StatementExceptions(ctx, "orders-v2")
			},
			want: `[{"kind":"StatementException","name":"org.apache.flink.table.api.ValidationException","message":"Table 'customers' not found","timestamp":"2026-03-02T10:15:29Z"}]`,
		},
		{
			name: "list follows metadata.next over three pages",
			script: []exchange{
				{method: "GET", path: stmtPath, status: 200,
					query: url.Values{"page_size": {"100"}, "spec.compute_pool_id": {"lfcp-1"}, "label_selector": {"team=sales"}},
					resp:  listJSON(StatementAPIVersion, "StatementList", "https://flink.example"+stmtPath+"?page_size=100&page_token=tok2", statementJSON("a", "SELECT 1", PhaseRunning, "", "1"))},
				{method: "GET", path: stmtPath, status: 200,
					query: url.Values{"page_size": {"100"}, "spec.compute_pool_id": {"lfcp-1"}, "label_selector": {"team=sales"}, "page_token": {"tok2"}},
					resp:  listJSON(StatementAPIVersion, "StatementList", "https://flink.example"+stmtPath+"?page_token=tok3", statementJSON("b", "SELECT 2", PhaseRunning, "", "1"))},
				{method: "GET", path: stmtPath, status: 200,
					query: url.Values{"page_size": {"100"}, "spec.compute_pool_id": {"lfcp-1"}, "label_selector": {"team=sales"}, "page_token": {"tok3"}},
					resp:  listJSON(StatementAPIVersion, "StatementList", "", statementJSON("c", "SELECT 3", PhaseStopped, "", "1"))},
			},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListStatements(ctx, ListOptions{ComputePoolID: "lfcp-1", LabelSelector: "team=sales"})
			},
			want: "[" + statementJSON("a", "SELECT 1", PhaseRunning, "", "1") + "," +
				statementJSON("b", "SELECT 2", PhaseRunning, "", "1") + "," +
				statementJSON("c", "SELECT 3", PhaseStopped, "", "1") + "]",
		},
		{
			name: "list stops on a page token that comes back",
			script: []exchange{
				{method: "GET", path: stmtPath, status: 200, resp: listJSON(StatementAPIVersion, "StatementList", "https://x/?page_token=t")},
				{method: "GET", path: stmtPath, status: 200, resp: listJSON(StatementAPIVersion, "StatementList", "https://x/?page_token=t")},
			},
			call: func(ctx context.Context, c *Client) (any, error) {
				s, err := c.ListStatements(ctx, ListOptions{})
				if err == nil {
					t.Errorf("got %d statements, want an error", len(s))
				}
				return nil, nil
			},
		},
	})
}

// listJSON is a list answer of the given kind.
func listJSON(apiVersion, kind, next string, items ...string) string {
	meta := map[string]string{"self": "https://example/list"}
	if next != "" {
		meta["next"] = next
	}
	data := make([]json.RawMessage, len(items))
	for i, it := range items {
		data[i] = json.RawMessage(it)
	}
	return mustJSON(map[string]any{"api_version": apiVersion, "kind": kind, "metadata": meta, "data": data})
}

func TestLostCreate(t *testing.T) {
	req := StatementRequest{Name: "orders-v2", SQL: testSQL}
	one := stmtPath + "/orders-v2"
	taken := failureJSON(http.StatusConflict, "resource_already_exists", "Resource Already exists", "Statement 'orders-v2' already exists.")
	ours := statementJSON("orders-v2", testSQL, PhasePending, "", "1")
	theirs := statementJSON("orders-v2", "INSERT INTO other SELECT 1;", PhaseRunning, "", "7")

	runCases(t, []callCase{
		{
			name: "connection cut, retry gets 409, same SQL: created",
			script: []exchange{
				{method: "POST", path: stmtPath, hangup: true},
				{method: "POST", path: stmtPath, status: 409, resp: taken},
				{method: "GET", path: one, status: 200, resp: ours},
			},
			call: createCall(req),
			want: ours,
		},
		{
			name:   "503, retry gets 409, other SQL: already exists",
			faults: true,
			script: []exchange{
				{method: "POST", path: stmtPath, status: 503},
				{method: "POST", path: stmtPath, status: 409, resp: taken},
				{method: "GET", path: one, status: 200, resp: theirs},
			},
			call:    createCall(req),
			wantErr: ErrAlreadyExists,
		},
		{
			name:    "409 on the first attempt: already exists, no GET",
			script:  []exchange{{method: "POST", path: stmtPath, status: 409, resp: taken}},
			call:    createCall(req),
			wantErr: ErrAlreadyExists,
		},
		{
			name: "429 then 409: the 429 was not acted on, so already exists",
			script: []exchange{
				{method: "POST", path: stmtPath, status: 429},
				{method: "POST", path: stmtPath, status: 409, resp: taken},
			},
			call:    createCall(req),
			wantErr: ErrAlreadyExists,
		},
	})
}

func TestStopResume(t *testing.T) {
	one := stmtPath + "/orders-v2"
	// The server's statement carries fields types.go does not model; a PUT
	// must send them back.
	running := func(rv string) string {
		return `{"api_version":"sql/v1","kind":"Statement","name":"orders-v2","organization_id":"` + testOrg + `","environment_id":"` + testEnv + `",
			"metadata":{"self":"https://x","resource_version":"` + rv + `","labels":{"team":"sales"}},
			"spec":{"statement":"INSERT INTO t SELECT 1;","statement_name":"orders-v2","compute_pool_id":"lfcp-1","principal":"sa-1","stopped":false,
				"execution_mode":"streaming","scaling":{"baseline_cfu":2}},
			"status":{"phase":"RUNNING","warnings":[]}}`
	}
	// The PUT sends what was read but the read-only fields.
	stoppedPut := func(rv string) string {
		return `{"name":"orders-v2","organization_id":"` + testOrg + `","environment_id":"` + testEnv + `",
			"metadata":{"self":"https://x","resource_version":"` + rv + `","labels":{"team":"sales"}},
			"spec":{"statement":"INSERT INTO t SELECT 1;","statement_name":"orders-v2","compute_pool_id":"lfcp-1","principal":"sa-1","stopped":true,
				"scaling":{"baseline_cfu":2}}}`
	}
	stopped := `{"api_version":"sql/v1","kind":"Statement","name":"orders-v2","metadata":{"self":"https://x","resource_version":"5"},
		"spec":{"statement":"INSERT INTO t SELECT 1;","statement_name":"orders-v2","compute_pool_id":"lfcp-1","stopped":true},"status":{"phase":"STOPPED"}}`
	resumedPut := `{"name":"orders-v2","metadata":{"self":"https://x","resource_version":"5"},
		"spec":{"statement":"INSERT INTO t SELECT 1;","statement_name":"orders-v2","compute_pool_id":"lfcp-2","stopped":false}}`
	conflict := failureJSON(http.StatusConflict, "", "Conflict", "resource_version is stale")
	stop := nameCall((*Client).StopStatement, "orders-v2")
	resume := func(pool string) func(context.Context, *Client) (any, error) {
		return func(ctx context.Context, c *Client) (any, error) {
			return nil, c.ResumeStatement(ctx, "orders-v2", pool)
		}
	}

	runCases(t, []callCase{
		{
			name: "stop PUTs the object with stopped true",
			script: []exchange{
				{method: "GET", path: one, status: 200, resp: running("3")},
				{method: "PUT", path: one, body: stoppedPut("3"), status: 202},
			},
			call: stop,
		},
		{
			name:   "stop re-reads after a resource_version conflict",
			faults: true,
			script: []exchange{
				{method: "GET", path: one, status: 200, resp: running("3")},
				{method: "PUT", path: one, body: stoppedPut("3"), status: 409, resp: conflict},
				{method: "GET", path: one, status: 200, resp: running("4")},
				{method: "PUT", path: one, body: stoppedPut("4"), status: 202},
			},
			call: stop,
		},
		{
			name:   "stop gives up after as many conflicts as attempts",
			faults: true,
			script: []exchange{
				{method: "GET", path: one, status: 200, resp: running("3")},
				{method: "PUT", path: one, status: 409, resp: conflict},
				{method: "GET", path: one, status: 200, resp: running("4")},
				{method: "PUT", path: one, status: 409, resp: conflict},
				{method: "GET", path: one, status: 200, resp: running("5")},
				{method: "PUT", path: one, status: 409, resp: conflict},
			},
			call:    stop,
			wantErr: ErrConflict,
		},
		{
			name:   "stop of a stopped statement sends no PUT",
			script: []exchange{{method: "GET", path: one, status: 200, resp: stopped}},
			call:   stop,
		},
		{
			name:   "a PUT whose lost answer stopped it ends on the re-read",
			faults: true,
			script: []exchange{
				{method: "GET", path: one, status: 200, resp: running("3")},
				{method: "PUT", path: one, status: 503},
				{method: "PUT", path: one, status: 409, resp: conflict},
				{method: "GET", path: one, status: 200, resp: stopped},
			},
			call: stop,
		},
		{
			name:    "stop of a missing statement",
			script:  []exchange{{method: "GET", path: one, status: 404, resp: failureJSON(404, "", "Not Found", "")}},
			call:    stop,
			wantErr: ErrStatementNotFound,
		},
		{
			name: "resume into another pool",
			script: []exchange{
				{method: "GET", path: one, status: 200, resp: stopped},
				{method: "PUT", path: one, body: resumedPut, status: 202},
			},
			call: resume("lfcp-2"),
		},
		{
			name:   "resume of a running statement in its pool sends no PUT",
			script: []exchange{{method: "GET", path: one, status: 200, resp: running("3")}},
			call:   resume("lfcp-1"),
		},
		{
			name:    "a running statement cannot change pools",
			script:  []exchange{{method: "GET", path: one, status: 200, resp: running("3")}},
			call:    resume("lfcp-2"),
			wantErr: ErrInvalidRequest,
		},
	})
}

func TestStatementHeaders(t *testing.T) {
	s, srv := newScript(t,
		exchange{method: "POST", path: stmtPath, status: 201, resp: statementJSON("a", "SELECT 1", PhasePending, "", "1")},
		exchange{method: "GET", path: stmtPath + "/a", status: 404, header: map[string]string{"X-Request-Id": "req-42"}, resp: failureJSON(404, "", "Not Found", "")},
	)
	c := newTestClient(t, srv.URL)
	ctx := testCtx(t)
	if _, err := c.CreateStatement(ctx, StatementRequest{Name: "a", SQL: "SELECT 1"}); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetStatement(ctx, "a")
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("got %v, want an *APIError", err)
	}
	want := &APIError{StatusCode: 404, Title: "Not Found", RequestID: "req-42", Method: "GET", Path: stmtPath + "/a", Resource: ResourceStatement}
	if d := cmp.Diff(want, apiErr); d != "" {
		t.Errorf("APIError (-want +got):\n%s", d)
	}
	if errors.Is(err, ErrComputePoolNotFound) {
		t.Error("a missing statement is not a missing compute pool")
	}

	reqs := s.requests()
	for i, wantCT := range []string{"application/json", ""} {
		h := reqs[i].Header
		if got := h.Get("Content-Type"); got != wantCT {
			t.Errorf("%s Content-Type %q, want %q", reqs[i].Method, got, wantCT)
		}
		if got := h.Get("Accept"); got != "application/json" {
			t.Errorf("%s Accept %q", reqs[i].Method, got)
		}
		if got := h.Get("User-Agent"); got != "shiftleft/test" {
			t.Errorf("%s User-Agent %q", reqs[i].Method, got)
		}
		if key, secret, ok := reqs[i].BasicAuth(); !ok || key != testFlinkKey || secret != testFlinkSecret {
			t.Errorf("%s Basic auth %q %q %v, want the Flink key", reqs[i].Method, key, secret, ok)
		}
	}
}
