package confluent_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/confluent/emulator"
	"github.com/shiftleft/shiftleft/internal/emulatortest"
	"github.com/shiftleft/shiftleft/internal/openapitest"
)

// The client against the emulator over real HTTP: the contract both sides
// must keep.
const (
	org         = emulatortest.Organization
	env         = emulatortest.Environment
	flinkKey    = emulatortest.FlinkKey
	flinkSecret = emulatortest.FlinkSecret
)

// rig is a client wired to a fresh emulator.
type rig struct{ *emulatortest.Rig }

// newRig starts an emulator; with a validator, every exchange goes through
// it and is checked against the specs when the test ends.
func newRig(t testing.TB, v *openapitest.Validator, opts ...emulator.Option) *rig {
	t.Helper()
	return &rig{emulatortest.Start(t, v, append([]emulator.Option{emulator.Seed(7)}, opts...)...)}
}

func ctxFor(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// run creates a statement and waits for one of the phases.
func (r *rig) run(t testing.TB, name, sql string, pool string, want ...confluent.Phase) (*confluent.Statement, error) {
	t.Helper()
	ctx := ctxFor(t)
	if _, err := r.Client.CreateStatement(ctx, confluent.StatementRequest{Name: name, SQL: sql, ComputePoolID: pool}); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return r.Client.WaitForPhase(ctx, name, want...)
}

func (r *rig) mustRun(t testing.TB, name, sql, pool string, want confluent.Phase) {
	t.Helper()
	st, err := r.run(t, name, sql, pool, want)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if st.Status.Phase != want {
		t.Fatalf("%s: phase %s, want %s", name, st.Status.Phase, want)
	}
}

func TestFlinkRulesThroughTheClient(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, r *rig)
	}{
		{"DDL then DML: COMPLETED then RUNNING", func(t *testing.T, r *rig) {
			r.mustRun(t, "ddl-src", "CREATE TABLE src (id STRING)", "", confluent.PhaseCompleted)
			r.mustRun(t, "ddl-sink", "CREATE TABLE IF NOT EXISTS sink (id STRING)", "", confluent.PhaseCompleted)
			r.mustRun(t, "dml-sink", "INSERT INTO sink SELECT id FROM `my-env`.`my-cluster`.src", "", confluent.PhaseRunning)
		}},
		{"DML first: FAILED naming the missing table", func(t *testing.T, r *rig) {
			r.mustRun(t, "ddl-sink", "CREATE TABLE sink (id STRING)", "", confluent.PhaseCompleted)
			_, err := r.run(t, "dml-sink", "INSERT INTO sink SELECT id FROM orders_raw", "", confluent.PhaseRunning)
			var failed *confluent.StatementFailedError
			if !errors.As(err, &failed) || failed.Phase != confluent.PhaseFailed {
				t.Fatalf("err = %v, want a StatementFailedError", err)
			}
			if !strings.Contains(err.Error(), "orders_raw") || !strings.Contains(err.Error(), "dml-sink") {
				t.Errorf("error does not name the statement and the missing table: %v", err)
			}
		}},
		{"CREATE TABLE twice: FAILED", func(t *testing.T, r *rig) {
			r.mustRun(t, "ddl-a-1", "CREATE TABLE a (id STRING)", "", confluent.PhaseCompleted)
			_, err := r.run(t, "ddl-a-2", "CREATE TABLE a (id STRING)", "", confluent.PhaseCompleted)
			if !strings.Contains(fmt.Sprint(err), "already exists") {
				t.Errorf("second CREATE TABLE: %v", err)
			}
		}},
		{"pool full: PENDING, then RUNNING when another statement is deleted", func(t *testing.T, r *rig) {
			ctx := ctxFor(t)
			pool, err := r.Client.CreateComputePool(ctx, confluent.ComputePoolRequest{DisplayName: "dev-small", Cloud: "AWS", Region: "us-west-2", MaxCFU: 2})
			if err != nil {
				t.Fatal(err)
			}
			r.mustRun(t, "ddl-src", "CREATE TABLE src (id STRING)", pool.ID, confluent.PhaseCompleted)
			for _, n := range []string{"one", "two"} {
				r.mustRun(t, "ddl-"+n, "CREATE TABLE "+n+" (id STRING)", pool.ID, confluent.PhaseCompleted)
				r.mustRun(t, "dml-"+n, "INSERT INTO "+n+" SELECT id FROM src", pool.ID, confluent.PhaseRunning)
			}
			r.mustRun(t, "ddl-three", "CREATE TABLE three (id STRING)", pool.ID, confluent.PhaseCompleted)
			if _, err := r.Client.CreateStatement(ctx, confluent.StatementRequest{Name: "dml-three", SQL: "INSERT INTO three SELECT id FROM src", ComputePoolID: pool.ID}); err != nil {
				t.Fatal(err)
			}
			short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			defer cancel()
			if _, err := r.Client.WaitForPhase(short, "dml-three", confluent.PhaseRunning); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("dml-three should wait for CFU: %v", err)
			}
			st, err := r.Client.GetStatement(ctx, "dml-three")
			if err != nil {
				t.Fatal(err)
			}
			if st.Status.Phase != confluent.PhasePending || !strings.Contains(st.Status.Detail, "CFU") {
				t.Errorf("dml-three: %s %q, want PENDING for lack of CFU", st.Status.Phase, st.Status.Detail)
			}
			if p, err := r.Client.GetComputePool(ctx, pool.ID); err != nil || p.Status.CurrentCFU != 2 {
				t.Errorf("pool: %+v, %v; want current_cfu 2", p, err)
			}
			if err := r.Client.DeleteStatement(ctx, "dml-one"); err != nil {
				t.Fatal(err)
			}
			if err := r.Client.WaitForDeletion(ctx, "dml-one"); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Client.WaitForPhase(ctx, "dml-three", confluent.PhaseRunning); err != nil {
				t.Errorf("dml-three after a CFU freed: %v", err)
			}
		}},
		{"dropping a parent table fails its running readers", func(t *testing.T, r *rig) {
			r.mustRun(t, "ddl-src", "CREATE TABLE src (id STRING)", "", confluent.PhaseCompleted)
			r.mustRun(t, "ddl-mid", "CREATE TABLE mid (id STRING)", "", confluent.PhaseCompleted)
			r.mustRun(t, "dml-mid", "INSERT INTO mid SELECT id FROM src", "", confluent.PhaseRunning)
			r.mustRun(t, "drop-src", "DROP TABLE src", "", confluent.PhaseCompleted)
			st, err := r.Client.WaitForPhase(ctxFor(t), "dml-mid", confluent.PhaseFailed)
			if err != nil || !strings.Contains(st.Status.Detail, "src") {
				t.Errorf("reader of a dropped table: %+v, %v", st.Status, err)
			}
		}},
		{"stop frees the CFU and resume re-checks the tables", func(t *testing.T, r *rig) {
			ctx := ctxFor(t)
			r.mustRun(t, "ddl-src", "CREATE TABLE src (id STRING)", "", confluent.PhaseCompleted)
			r.mustRun(t, "ddl-out", "CREATE TABLE out_t (id STRING)", "", confluent.PhaseCompleted)
			r.mustRun(t, "dml-out", "INSERT INTO out_t SELECT id FROM src", "", confluent.PhaseRunning)
			if err := r.Client.StopStatement(ctx, "dml-out"); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Client.WaitForPhase(ctx, "dml-out", confluent.PhaseStopped); err != nil {
				t.Fatal(err)
			}
			r.mustRun(t, "drop-src", "DROP TABLE src", "", confluent.PhaseCompleted)
			if err := r.Client.ResumeStatement(ctx, "dml-out", ""); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Client.WaitForPhase(ctx, "dml-out", confluent.PhaseRunning); err == nil || !strings.Contains(err.Error(), "src") {
				t.Errorf("resume without its source: %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, newRig(t, nil))
		})
	}
}

// TestEveryRouteConformsToTheSpecs drives every statement and compute-pool
// route, through the client where it has a method and raw otherwise, with a
// validator that checks each request and answer against Confluent's OpenAPI
// specs.
func TestEveryRouteConformsToTheSpecs(t *testing.T) {
	v := openapitest.New(t, openapitest.ConfluentSpecs(t)...)
	r := newRig(t, v, emulator.ExternalTables([]string{"raw_orders"}))
	ctx := ctxFor(t)
	c := r.Client

	pool, err := c.CreateComputePool(ctx, confluent.ComputePoolRequest{DisplayName: "dev-usw2-orders", Cloud: "AWS", Region: "us-west-2", MaxCFU: 5})
	must(t, err)
	_, err = c.GetComputePool(ctx, pool.ID)
	must(t, err)
	pools, err := c.ListComputePools(ctx)
	must(t, err)
	if len(pools) == 0 {
		t.Error("no pool listed")
	}
	_, err = c.CreateStatement(ctx, confluent.StatementRequest{Name: "dev-usw2-ddl-orders", SQL: "CREATE TABLE orders (id STRING)",
		ComputePoolID: pool.ID, Principal: "sa-123abc", Properties: map[string]string{"sql.current-catalog": "dev"},
		Labels: map[string]string{"shiftleft.table": "orders"}})
	must(t, err)
	_, err = c.WaitForPhase(ctx, "dev-usw2-ddl-orders", confluent.PhaseCompleted)
	must(t, err)
	_, err = c.CreateStatement(ctx, confluent.StatementRequest{Name: "dev-usw2-dml-orders", SQL: "INSERT INTO orders SELECT id FROM raw_orders",
		ComputePoolID: pool.ID, Labels: map[string]string{"shiftleft.table": "orders"}})
	must(t, err)
	_, err = c.WaitForPhase(ctx, "dev-usw2-dml-orders", confluent.PhaseRunning)
	must(t, err)
	listed, err := c.ListStatements(ctx, confluent.ListOptions{LabelSelector: "shiftleft.table=orders", ComputePoolID: pool.ID})
	must(t, err)
	if len(listed) != 2 {
		t.Errorf("listed %d statements by label, want 2", len(listed))
	}
	must(t, c.StopStatement(ctx, "dev-usw2-dml-orders"))
	_, err = c.WaitForPhase(ctx, "dev-usw2-dml-orders", confluent.PhaseStopped)
	must(t, err)
	must(t, c.ResumeStatement(ctx, "dev-usw2-dml-orders", ""))
	_, err = c.WaitForPhase(ctx, "dev-usw2-dml-orders", confluent.PhaseRunning)
	must(t, err)
	_, err = c.CreateStatement(ctx, confluent.StatementRequest{Name: "dev-usw2-dml-broken", SQL: "INSERT INTO orders SELECT id FROM nowhere", ComputePoolID: pool.ID})
	must(t, err)
	if _, err := c.WaitForPhase(ctx, "dev-usw2-dml-broken", confluent.PhaseRunning); err == nil {
		t.Error("a DML reading a missing table ran")
	}
	exceptions, err := c.StatementExceptions(ctx, "dev-usw2-dml-broken")
	must(t, err)
	if len(exceptions) == 0 || !strings.Contains(exceptions[0].Message, "nowhere") {
		t.Errorf("exceptions %+v", exceptions)
	}
	if _, err := c.CreateStatement(ctx, confluent.StatementRequest{Name: "dev-usw2-ddl-orders", SQL: "CREATE TABLE orders (id STRING)"}); !errors.Is(err, confluent.ErrAlreadyExists) {
		t.Errorf("duplicate name: %v", err)
	}
	if _, err := c.GetStatement(ctx, "no-such-statement"); !errors.Is(err, confluent.ErrStatementNotFound) {
		t.Errorf("unknown statement: %v", err)
	}

	// Routes the client has no method for.
	stmt := r.URL + "/sql/v1/organizations/" + org + "/environments/" + env + "/statements/dev-usw2-dml-orders"
	r.raw(t, "PATCH", stmt, "application/json-patch+json", `[{"op":"REPLACE","path":"/spec/stopped","value":true}]`, http.StatusOK)
	r.raw(t, "GET", stmt+"/results", "", "", http.StatusOK)
	r.raw(t, "PATCH", r.URL+"/fcpm/v2/compute-pools/"+pool.ID, "application/json",
		`{"spec":{"display_name":"dev-usw2-orders-2","environment":{"id":"`+env+`"}}}`, http.StatusOK)
	r.raw(t, "GET", r.URL+"/fcpm/v2/regions?cloud=AWS&region_name=us-west-2", "", "", http.StatusOK)

	for _, name := range []string{"dev-usw2-dml-orders", "dev-usw2-dml-broken", "dev-usw2-ddl-orders"} {
		must(t, c.DeleteStatement(ctx, name))
		must(t, c.WaitForDeletion(ctx, name))
	}
	must(t, c.DeleteComputePool(ctx, pool.ID))
	if _, err := c.GetComputePool(ctx, pool.ID); !errors.Is(err, confluent.ErrComputePoolNotFound) {
		t.Errorf("deleted pool: %v", err)
	}

	covered := v.Covered()
	for _, op := range []string{
		"createSqlv1Statement", "listSqlv1Statements", "getSqlv1Statement", "updateSqlv1Statement",
		"patchSqlv1Statement", "deleteSqlv1Statement", "getSqlv1StatementResult", "getSqlv1StatementExceptions",
		"createFcpmV2ComputePool", "listFcpmV2ComputePools", "getFcpmV2ComputePool", "updateFcpmV2ComputePool",
		"deleteFcpmV2ComputePool", "listFcpmV2Regions",
	} {
		if covered[op] == 0 {
			t.Errorf("the scenario never called %s", op)
		}
	}
}

// raw sends a request the client has no method for, with Basic credentials.
func (r *rig) raw(t *testing.T, method, url, contentType, body string, want int) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewBufferString(body))
	must(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(flinkKey, flinkSecret)
	res, err := r.HTTP.Do(req)
	must(t, err)
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Errorf("%s %s: %d %s, want %d", method, url, res.StatusCode, out, want)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestFaultsNoStatementCreatedTwice: with 20% of answers 429 or 503 and some
// answers lost after the change was made, 200 creates, gets, lists and
// deletes all succeed and no statement is created twice.
func TestFaultsNoStatementCreatedTwice(t *testing.T) {
	r := newRig(t, nil)
	must(t, r.Emulator.SetFaults(emulator.Faults{ErrorRate: 0.2, LostResponseRate: 0.1}))
	ctx := ctxFor(t)
	const rounds = 50 // four operations each
	for i := range rounds {
		name := fmt.Sprintf("dev-usw2-ddl-t%03d", i)
		if _, err := r.Client.CreateStatement(ctx, confluent.StatementRequest{Name: name, SQL: fmt.Sprintf("CREATE TABLE t%03d (id STRING)", i),
			Labels: map[string]string{"round": fmt.Sprint(i % 5)}}); err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		if _, err := r.Client.GetStatement(ctx, name); err != nil {
			t.Fatalf("get %s: %v", name, err)
		}
		if _, err := r.Client.ListStatements(ctx, confluent.ListOptions{LabelSelector: "round=" + fmt.Sprint(i%5)}); err != nil {
			t.Fatalf("list: %v", err)
		}
		if err := r.Client.DeleteStatement(ctx, name); err != nil {
			t.Fatalf("delete %s: %v", name, err)
		}
	}
	counters := r.Emulator.Counters()
	if len(counters.Creates) != rounds {
		t.Errorf("%d statements created, want %d", len(counters.Creates), rounds)
	}
	for name, n := range counters.Creates {
		if n != 1 {
			t.Errorf("%s created %d times", name, n)
		}
	}
	sent := 0
	for _, n := range counters.Requests {
		sent += n
	}
	// Faults force retries beyond the 200 operations.
	if sent <= 4*rounds {
		t.Errorf("%d requests for %d operations: no fault was injected", sent, 4*rounds)
	}
	must(t, r.Emulator.SetFaults(emulator.Faults{}))
	left, err := r.Client.ListStatements(ctx, confluent.ListOptions{})
	must(t, err)
	if len(left) != 0 {
		t.Errorf("%d statements left after deleting them all", len(left))
	}
}

// TestPagingGivesEveryStatementOnce lists 250 statements 100 at a time.
func TestPagingGivesEveryStatementOnce(t *testing.T) {
	r := newRig(t, nil)
	ctx := ctxFor(t)
	for i := range 250 {
		_, err := r.Client.CreateStatement(ctx, confluent.StatementRequest{Name: fmt.Sprintf("s-%03d", i), SQL: "SET 'table.local-time-zone' = 'UTC'"})
		must(t, err)
	}
	listed, err := r.Client.ListStatements(ctx, confluent.ListOptions{})
	must(t, err)
	seen := map[string]int{}
	for _, st := range listed {
		seen[st.Name]++
	}
	if len(listed) != 250 || len(seen) != 250 {
		t.Errorf("listed %d statements, %d distinct; want 250 each", len(listed), len(seen))
	}
	if got := r.Emulator.Counters().Requests["GET /sql/v1/organizations/{org}/environments/{env}/statements"]; got != 3 {
		t.Errorf("%d list requests, want 3 pages of at most 100", got)
	}
}

func TestCredentialsStayOutOfErrors(t *testing.T) {
	r := newRig(t, nil, emulator.Credentials("other-key-0000000", "other-secret-000000000"))
	_, err := r.Client.GetStatement(ctxFor(t), "anything")
	if !errors.Is(err, confluent.ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	for _, secret := range []string{flinkKey, flinkSecret} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error shows a credential: %v", err)
		}
	}
}

// TestDataPlaneConformsToTheSpecs drives the new answers through the client
// and the validator: traits, a carry-over replacement with its PENDING wait
// and latest_offsets, a dry run, a refused resume, quota errors and a 429 of
// the rate limit.
func TestDataPlaneConformsToTheSpecs(t *testing.T) {
	v := openapitest.New(t, openapitest.ConfluentSpecs(t)...)
	r := newRig(t, v, emulator.ExternalTables([]string{"src"}), emulator.MaxStatements(8))
	ctx := ctxFor(t)
	c := r.Client
	pool, err := c.CreateComputePool(ctx, confluent.ComputePoolRequest{DisplayName: "dev", Cloud: "AWS", Region: "us-west-2", MaxCFU: 50})
	must(t, err)
	r.mustRun(t, "ddl-mid", "CREATE TABLE mid (id INT)", pool.ID, confluent.PhaseCompleted)
	r.mustRun(t, "dml-mid", "INSERT INTO mid SELECT id FROM src", pool.ID, confluent.PhaseRunning)
	if st, err := c.GetStatement(ctx, "dml-mid"); err != nil || st.Status.Traits == nil || st.Status.Traits.SQLKind != "INSERT_INTO" {
		t.Fatalf("traits of a running DML: %+v, %v", st, err)
	}
	_, err = r.Emulator.AppendRecords(env, "src", 100)
	must(t, err)
	r.Emulator.Tick("")

	// Carry-over: the replacement waits until the old one stops, then
	// starts at its offsets.
	st, err := c.CreateStatement(ctx, confluent.StatementRequest{Name: "dml-mid-v2", SQL: "INSERT INTO mid SELECT id FROM src",
		ComputePoolID: pool.ID, Properties: map[string]string{confluent.PropertyInitialOffsetFrom: "dml-mid"}})
	must(t, err)
	if st.Status.Phase != confluent.PhasePending || st.Status.Traits == nil {
		t.Errorf("created: %s, traits %+v", st.Status.Phase, st.Status.Traits)
	}
	must(t, c.StopStatement(ctx, "dml-mid"))
	old, err := c.WaitForPhase(ctx, "dml-mid", confluent.PhaseStopped)
	must(t, err)
	offsets, err := confluent.ParseOffsets(old.Status.LatestOffsets["src"])
	if err != nil || offsets[0] != 100 || old.Status.LatestOffsetsTimestamp == nil {
		t.Errorf("latest_offsets %v at %v: %v, %v", old.Status.LatestOffsets, old.Status.LatestOffsetsTimestamp, offsets, err)
	}
	_, err = c.WaitForPhase(ctx, "dml-mid-v2", confluent.PhaseRunning)
	must(t, err)
	_, err = r.Emulator.AppendRecords(env, "src", 50)
	must(t, err)
	r.Emulator.Tick("")
	if got := r.Emulator.Topic(env, "mid"); got.Records != 150 || got.Duplicates != 0 || got.Missing != 0 {
		t.Errorf("mid after the replacement: %+v", got)
	}

	// A dry run, good and bad, creates nothing.
	must(t, c.ValidateStatement(ctx, confluent.StatementRequest{Name: "check", SQL: "INSERT INTO mid SELECT id FROM src"}))
	var failed *confluent.StatementFailedError
	if err := c.ValidateStatement(ctx, confluent.StatementRequest{Name: "check", SQL: "INSERT INTO mid SELECT id FROM nope"}); !errors.As(err, &failed) ||
		!strings.Contains(failed.Detail, "'nope'") {
		t.Errorf("dry run of a DML reading nothing: %v", err)
	}
	if _, err := c.GetStatement(ctx, "check"); !errors.Is(err, confluent.ErrStatementNotFound) {
		t.Errorf("a dry run left a statement: %v", err)
	}

	// A query does not resume.
	r.mustRun(t, "peek", "SELECT * FROM src", pool.ID, confluent.PhaseRunning)
	must(t, c.StopStatement(ctx, "peek"))
	_, err = c.WaitForPhase(ctx, "peek", confluent.PhaseStopped)
	must(t, err)
	if err := c.ResumeStatement(ctx, "peek", ""); !errors.Is(err, confluent.ErrNotResumable) {
		t.Errorf("resume of a query: %v", err)
	}

	// Quotas, each its own error.
	if _, err := c.CreateComputePool(ctx, confluent.ComputePoolRequest{DisplayName: "big", Cloud: "AWS", Region: "us-west-2", MaxCFU: 60}); !errors.Is(err, confluent.ErrCFUQuota) ||
		!errors.Is(err, confluent.ErrQuotaExceeded) {
		t.Errorf("a 60-CFU pool: %v", err)
	}
	for i := 0; ; i++ {
		_, err := c.CreateStatement(ctx, confluent.StatementRequest{Name: fmt.Sprintf("fill-%d", i), SQL: "SELECT 1", ComputePoolID: pool.ID})
		if errors.Is(err, confluent.ErrStatementQuota) {
			break
		}
		if err != nil || i > 8 {
			t.Fatalf("statement %d beyond the quota of 8: %v", i, err)
		}
	}
	if _, err := c.CreateStatement(ctx, confluent.StatementRequest{Name: strings.Repeat("x", confluent.MaxNameLength+1), SQL: "SELECT 1"}); !errors.Is(err, confluent.ErrNameTooLong) ||
		!errors.Is(err, confluent.ErrInvalidRequest) {
		t.Errorf("a name too long: %v", err)
	}
	listed, err := c.ListStatements(ctx, confluent.ListOptions{})
	must(t, err)
	if len(listed) != 8 {
		t.Errorf("listed %d statements, want 8", len(listed))
	}
}

// TestRateLimitConformsToTheSpecs: the 429 of the rate limit is what the
// specs declare, and the client waits it out.
func TestRateLimitConformsToTheSpecs(t *testing.T) {
	v := openapitest.New(t, openapitest.ConfluentSpecs(t)...)
	r := newRig(t, v, emulator.RateLimit(1))
	stmts := r.URL + "/sql/v1/organizations/" + org + "/environments/" + env + "/statements"
	r.raw(t, "GET", stmts, "", "", http.StatusOK)
	r.raw(t, "GET", stmts, "", "", http.StatusTooManyRequests)
	r.raw(t, "GET", r.URL+"/fcpm/v2/compute-pools?environment="+env, "", "", http.StatusOK)
	r.raw(t, "GET", r.URL+"/fcpm/v2/compute-pools?environment="+env, "", "", http.StatusTooManyRequests)
	client, err := confluent.New(confluent.WithHTTPClient(r.HTTP), confluent.WithFlinkURL(r.URL), confluent.WithCloudURL(r.URL),
		confluent.WithOrganization(org), confluent.WithEnvironment(env), confluent.WithFlinkAPIKey(flinkKey, flinkSecret),
		confluent.WithRetry(confluent.RetryPolicy{MaxAttempts: 5, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Second}))
	must(t, err)
	if _, err := client.ListStatements(ctxFor(t), confluent.ListOptions{}); err != nil {
		t.Errorf("the client did not wait out the rate limit: %v", err)
	}
}
