package confluent

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/shiftleft/shiftleft/internal/openapitest"
)

const (
	testOrg         = "b0b21724-4586-4a07-b787-d0bb5aacbf87"
	testEnv         = "env-z3y2x1"
	testFlinkKey    = "FLINKKEY7Q2W"
	testFlinkSecret = "flink-secret-9f8e7d6c"
	testCloudKey    = "CLOUDKEY3X4Y"
	testCloudSecret = "cloud-secret-1a2b3c4d"
	stmtPath        = "/sql/v1/organizations/" + testOrg + "/environments/" + testEnv + "/statements"
)

// exchange is one scripted request and its answer.
type exchange struct {
	method string
	path   string
	query  url.Values // the whole query, checked when not nil
	body   string     // the JSON the request carries, compared as values; "" checks nothing

	status int
	header map[string]string
	resp   string
	hangup bool // close the connection without an answer
	// forever keeps answering this way: the script never moves past it.
	forever bool
}

// script is an httptest handler that plays exchanges in order, fails the
// test on an unexpected request and, at cleanup, on unplayed exchanges.
type script struct {
	t     *testing.T
	mu    sync.Mutex
	steps []exchange
	seen  []*http.Request // the requests, bodies read
	at    []time.Time
}

func newScript(t *testing.T, steps ...exchange) (*script, *httptest.Server) {
	t.Helper()
	s := &script{t: t, steps: steps}
	srv := httptest.NewServer(s)
	t.Cleanup(func() {
		srv.Close()
		if t.Skipped() {
			return // the test never got to play the script
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, e := range s.steps {
			if !e.forever {
				t.Errorf("exchange not played: %s %s", e.method, e.path)
			}
		}
	})
	return s, srv
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.seen = append(s.seen, r)
	s.at = append(s.at, time.Now())
	if len(s.steps) == 0 {
		s.mu.Unlock()
		s.t.Errorf("unexpected request %s %s", r.Method, r.URL)
		http.Error(w, "unscripted", http.StatusTeapot)
		return
	}
	e := s.steps[0]
	if !e.forever {
		s.steps = s.steps[1:]
	}
	s.mu.Unlock()

	if r.Method != e.method || r.URL.Path != e.path {
		s.t.Errorf("got %s %s, want %s %s", r.Method, r.URL.Path, e.method, e.path)
	}
	if e.query != nil {
		if d := cmp.Diff(e.query, r.URL.Query()); d != "" {
			s.t.Errorf("%s %s query (-want +got):\n%s", r.Method, r.URL.Path, d)
		}
	}
	if e.body != "" {
		if d := jsonDiff(e.body, string(body)); d != "" {
			s.t.Errorf("%s %s body (-want +got):\n%s", r.Method, r.URL.Path, d)
		}
	}
	if e.hangup {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			s.t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
		return
	}
	for k, v := range e.header {
		w.Header().Set(k, v)
	}
	if e.resp != "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(e.status)
	io.WriteString(w, e.resp)
}

// requests returns the requests received so far.
func (s *script) requests() []*http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*http.Request(nil), s.seen...)
}

func jsonDiff(want, got string) string {
	var w, g any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		return "bad wanted JSON: " + err.Error()
	}
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		return "request body is not JSON: " + got
	}
	return cmp.Diff(w, g)
}

// fastRetry keeps retried tests quick.
var fastRetry = RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}

// newTestClient returns a client whose both APIs are srvURL, with fast
// retries and polls; opts come last and win. Every exchange is checked
// against the OpenAPI specs at cleanup.
func newTestClient(t *testing.T, srvURL string, opts ...Option) *Client {
	t.Helper()
	return specClient(t, srvURL, false, opts...)
}

// newFaultyClient is newTestClient for scripts that answer off the spec on
// purpose (503, a 409 to a PUT, redirects): only requests are checked.
func newFaultyClient(t *testing.T, srvURL string, opts ...Option) *Client {
	t.Helper()
	return specClient(t, srvURL, true, opts...)
}

// The specs are loaded once, which takes a third of a second. Tests do not
// run in parallel, so each owns the violations recorded after it started.
var (
	specsOnce sync.Once
	specs     *openapitest.Validator
)

func specClient(t *testing.T, srvURL string, requestsOnly bool, opts ...Option) *Client {
	t.Helper()
	// Each test finds the specs itself, so that each skips with where it
	// looked when ../shared is absent; only loading them is done once.
	files := openapitest.ConfluentSpecs(t)
	specsOnce.Do(func() { specs = openapitest.New(t, files...) })
	if specs == nil {
		t.Fatal("the OpenAPI specs did not load: see the first test that tried")
	}
	seen := len(specs.Violations())
	t.Cleanup(func() {
		for _, p := range specs.Violations()[seen:] {
			if !requestsOnly || strings.Contains(p, "): request: ") {
				t.Errorf("OpenAPI violation: %s", p)
			}
		}
	})
	all := append([]Option{
		WithFlinkURL(srvURL),
		WithCloudURL(srvURL),
		WithOrganization(testOrg),
		WithEnvironment(testEnv),
		WithFlinkAPIKey(testFlinkKey, testFlinkSecret),
		WithCloudAPIKey(testCloudKey, testCloudSecret),
		WithRetry(fastRetry),
		WithPollInterval(time.Millisecond, 4*time.Millisecond),
		WithVersion("test"),
		WithHTTPClient(&http.Client{Transport: specs.RoundTripper(nil)}),
	}, opts...)
	c, err := New(all...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// observed returns a debug-level logger and what it records.
func observed() (*zap.Logger, *observer.ObservedLogs) {
	core, logs := observer.New(zapcore.DebugLevel)
	return zap.New(core), logs
}

// testCtx bounds a test's calls, so that a bug hangs nothing.
func testCtx(t *testing.T) context.Context {
	return ctxWithin(t, 10*time.Second)
}

func ctxWithin(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// statementJSON is a statement as the server returns it.
func statementJSON(name, sql string, phase Phase, detail, resourceVersion string) string {
	st := map[string]any{
		"api_version":     "sql/v1",
		"kind":            "Statement",
		"organization_id": testOrg,
		"environment_id":  testEnv,
		"name":            name,
		"metadata": map[string]any{
			"self":             "https://flink.example/" + stmtPath + "/" + name,
			"created_at":       "2026-03-02T10:15:04.112Z",
			"uid":              "9f1d2c7e-5b0a-4a57-9d1f-0c3f0b7d2a11",
			"resource_version": resourceVersion,
		},
		"spec": map[string]any{
			"statement":       sql,
			"statement_name":  name,
			"compute_pool_id": "lfcp-8m03rm",
			"principal":       "sa-23kgz4",
			"stopped":         phase == PhaseStopped,
		},
		"status": map[string]any{"phase": phase},
	}
	if detail != "" {
		st["status"].(map[string]any)["detail"] = detail
	}
	b, _ := json.Marshal(st)
	return string(b)
}

func failureJSON(status int, code, title, detail string) string {
	b, _ := json.Marshal(Failure{Errors: []ErrorObject{{ID: "e-1", Status: strconv.Itoa(status), Code: code, Title: title, Detail: detail}}})
	return string(b)
}
