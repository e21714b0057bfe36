package confluent

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestRetries(t *testing.T) {
	one := stmtPath + "/orders-v2"
	ok := exchange{method: "GET", path: one, status: 200, resp: statementJSON("orders-v2", testSQL, PhaseRunning, "", "1")}
	answer := func(status int) exchange {
		e := exchange{method: "GET", path: one, status: status}
		if status != http.StatusTooManyRequests {
			e.resp = failureJSON(status, "", http.StatusText(status), "")
		}
		return e
	}
	get := func(ctx context.Context, c *Client) (any, error) { return c.GetStatement(ctx, "orders-v2") }

	tests := []callCase{
		{name: "429 then success", script: []exchange{answer(429), ok}},
		{name: "500 then success", script: []exchange{answer(500), ok}},
		{name: "502 then success", faults: true, script: []exchange{answer(502), ok}},
		{name: "503 then success", faults: true, script: []exchange{answer(503), ok}},
		{name: "504 then success", faults: true, script: []exchange{answer(504), ok}},
		{name: "closed connection then success", script: []exchange{{method: "GET", path: one, hangup: true}, ok}},
		{
			name:    "429 on every attempt",
			script:  []exchange{answer(429), answer(429), answer(429)},
			wantErr: ErrRateLimited,
		},
		{
			name:    "503 on every attempt",
			faults:  true,
			script:  []exchange{answer(503), answer(503), answer(503)},
			wantErr: &APIError{StatusCode: 503},
		},
		{name: "401 is not retried", script: []exchange{answer(401)}, wantErr: ErrUnauthorized},
		{name: "403 is not retried", script: []exchange{answer(403)}, wantErr: ErrForbidden},
		{name: "400 is not retried", script: []exchange{answer(400)}, wantErr: &APIError{StatusCode: 400}},
	}
	for i := range tests {
		tests[i].call = get
	}
	runCases(t, tests)
}

// gaps returns the times between the requests a script received.
func (s *script) gaps() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var d []time.Duration
	for i := 1; i < len(s.at); i++ {
		d = append(d, s.at[i].Sub(s.at[i-1]))
	}
	return d
}

func TestRetryAfter(t *testing.T) {
	one := stmtPath + "/orders-v2"
	tests := []struct {
		name       string
		retryAfter string
		maxDelay   time.Duration
		min, max   time.Duration
	}{
		{name: "honoured", retryAfter: "1", maxDelay: 5 * time.Second, min: time.Second, max: 3 * time.Second},
		{name: "capped by the policy", retryAfter: "3600", maxDelay: 20 * time.Millisecond, min: 20 * time.Millisecond, max: time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, srv := newScript(t,
				exchange{method: "GET", path: one, status: 429, header: map[string]string{"Retry-After": tt.retryAfter}},
				exchange{method: "GET", path: one, status: 200, resp: statementJSON("orders-v2", testSQL, PhaseRunning, "", "1")},
			)
			c := newTestClient(t, srv.URL, WithRetry(RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: tt.maxDelay}))
			if _, err := c.GetStatement(testCtx(t), "orders-v2"); err != nil {
				t.Fatal(err)
			}
			if g := s.gaps()[0]; g < tt.min || g > tt.max {
				t.Errorf("waited %v, want %v to %v", g, tt.min, tt.max)
			}
		})
	}
}

func TestContextEndsRetries(t *testing.T) {
	one := stmtPath + "/orders-v2"
	tests := []struct {
		name    string
		ctx     func() (context.Context, context.CancelFunc)
		opts    []Option
		wantErr error
	}{
		{
			name: "cancelled",
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(50*time.Millisecond, cancel)
				return ctx, cancel
			},
			wantErr: context.Canceled,
		},
		{
			name: "deadline",
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 50*time.Millisecond)
			},
			wantErr: context.DeadlineExceeded,
		},
		{
			name:    "default timeout when ctx has none",
			ctx:     func() (context.Context, context.CancelFunc) { return context.Background(), func() {} },
			opts:    []Option{WithDefaultTimeout(50 * time.Millisecond)},
			wantErr: context.DeadlineExceeded,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A 503 that asks for an hour: only ctx can end the wait.
			s, srv := newScript(t, exchange{method: "GET", path: one, status: 503, forever: true,
				header: map[string]string{"Retry-After": "3600"}, resp: failureJSON(503, "", "Unavailable", "")})
			opts := append([]Option{WithRetry(RetryPolicy{MaxAttempts: 10, BaseDelay: time.Hour, MaxDelay: time.Hour})}, tt.opts...)
			c := newFaultyClient(t, srv.URL, opts...)
			ctx, cancel := tt.ctx()
			defer cancel()
			start := time.Now()
			_, err := c.GetStatement(ctx, "orders-v2")
			if err != tt.wantErr {
				t.Errorf("error %v, want %v as is", err, tt.wantErr)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("returned after %v", took)
			}
			if n := len(s.requests()); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}
}

func TestConnectionRefusedIsRetried(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	logger, logs := observed()
	c, err := New(WithFlinkURL("http://"+addr), WithOrganization(testOrg), WithEnvironment(testEnv),
		WithRetry(fastRetry), WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetStatement(testCtx(t), "orders-v2")
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("error %v, want connection refused", err)
	}
	if n := logs.FilterMessage("retrying request").Len(); n != fastRetry.MaxAttempts-1 {
		t.Errorf("%d retries, want %d", n, fastRetry.MaxAttempts-1)
	}
}

// TestRedirectAuthorization follows redirects between two TLS servers and a
// plain one, each reached under any host name a case needs (the test
// client dials every name on port 443 to the first, 80 to the plain one),
// and records which requests carried the Authorization header.
func TestRedirectAuthorization(t *testing.T) {
	var (
		mu    sync.Mutex
		chain []string // redirect targets still to answer, in order
		hops  []string // "host auth?" of each request
	)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		hops = append(hops, fmt.Sprintf("%s %t", r.Host, r.Header.Get("Authorization") != ""))
		if len(chain) > 0 {
			next := chain[0]
			chain = chain[1:]
			http.Redirect(w, r, next+r.URL.Path, http.StatusTemporaryRedirect)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, statementJSON("orders-v2", testSQL, PhaseRunning, "", "1"))
	})
	one := httptest.NewTLSServer(handler)
	t.Cleanup(one.Close)
	two := httptest.NewTLSServer(handler)
	t.Cleanup(two.Close)
	plain := httptest.NewServer(handler)
	t.Cleanup(plain.Close)
	dialer := &net.Dialer{}
	hc := &http.Client{Transport: &http.Transport{
		// The servers' certificates name neither Confluent's hosts nor the
		// look-alikes: the test is about headers, not certificates.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			switch _, p, _ := net.SplitHostPort(addr); p {
			case "443":
				addr = one.Listener.Addr().String()
			case "80":
				addr = plain.Listener.Addr().String()
			}
			return dialer.DialContext(ctx, network, addr)
		},
	}}
	localhost := func(u string) string { return strings.Replace(u, "127.0.0.1", "localhost", 1) }
	const flink = "https://flink.us-east-1.aws.confluent.cloud"

	tests := []struct {
		name     string
		endpoint string
		chain    []string
		want     []bool // the Authorization header on each request
		wantErr  bool
	}{
		{name: "five redirects on the same host keep it", endpoint: one.URL,
			chain: []string{one.URL, one.URL, one.URL, one.URL, one.URL}, want: []bool{true, true, true, true, true, true}},
		{name: "a sixth redirect is refused", endpoint: one.URL,
			chain: []string{one.URL, one.URL, one.URL, one.URL, one.URL, one.URL}, want: []bool{true, true, true, true, true, true}, wantErr: true},
		{name: "another server on the same host name: dropped", endpoint: one.URL, chain: []string{two.URL}, want: []bool{true, false}},
		{name: "another host name for the same server: dropped", endpoint: one.URL, chain: []string{localhost(one.URL)}, want: []bool{true, false}},
		{name: "back on the first host after another: still dropped", endpoint: one.URL,
			chain: []string{two.URL, one.URL}, want: []bool{true, false, false}},
		{name: "from http to the same host over http: kept", endpoint: plain.URL, chain: []string{plain.URL}, want: []bool{true, true}},
		{name: "within confluent.cloud: kept", endpoint: flink,
			chain: []string{"https://flink.eu-west-1.aws.private.confluent.cloud", "https://api.confluent.cloud", "https://confluent.cloud"},
			want:  []bool{true, true, true, true}},
		{name: "a look-alike ending in confluent.cloud: dropped", endpoint: flink, chain: []string{"https://evilconfluent.cloud"}, want: []bool{true, false}},
		{name: "a look-alike starting with confluent.cloud: dropped", endpoint: flink,
			chain: []string{"https://flink.confluent.cloud.evil.example"}, want: []bool{true, false}},
		{name: "to confluent.cloud over http: dropped", endpoint: flink, chain: []string{"http://api.confluent.cloud"}, want: []bool{true, false}},
		{name: "an endpoint elsewhere to confluent.cloud: dropped", endpoint: one.URL, chain: []string{"https://api.confluent.cloud"}, want: []bool{true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			chain, hops = append([]string(nil), tt.chain...), nil
			mu.Unlock()
			c, err := New(WithFlinkURL(tt.endpoint), WithOrganization(testOrg), WithEnvironment(testEnv),
				WithFlinkAPIKey(testFlinkKey, testFlinkSecret), WithRetry(fastRetry), WithHTTPClient(hc))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.GetStatement(testCtx(t), "orders-v2")
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want an error: %v", err, tt.wantErr)
			}
			mu.Lock()
			defer mu.Unlock()
			var want []string
			for i, auth := range tt.want {
				if i < len(hops) {
					host, _, _ := strings.Cut(hops[i], " ")
					want = append(want, fmt.Sprintf("%s %t", host, auth))
				}
			}
			if len(hops) != len(tt.want) || !slices.Equal(hops, want) {
				t.Errorf("requests (host, authorized) %q, want %d with %v", hops, len(tt.want), tt.want)
			}
		})
	}
}

func TestNoAuthorizationOverHTTPAfterHTTPS(t *testing.T) {
	var (
		mu  sync.Mutex
		got []string
	)
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, statementJSON("orders-v2", testSQL, PhaseRunning, "", "1"))
	}))
	t.Cleanup(plain.Close)
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(secure.Close)
	c, err := New(WithFlinkURL(secure.URL), WithOrganization(testOrg), WithEnvironment(testEnv),
		WithFlinkAPIKey(testFlinkKey, testFlinkSecret), WithHTTPClient(secure.Client()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetStatement(testCtx(t), "orders-v2"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0] != "" {
		t.Errorf("the http server got Authorization %q, want none", got)
	}
}

func TestCredentialsNeverInErrorsOrLogs(t *testing.T) {
	basic := func(k, s string) string { return base64.StdEncoding.EncodeToString([]byte(k + ":" + s)) }
	secrets := []string{testFlinkKey, testFlinkSecret, basic(testFlinkKey, testFlinkSecret),
		testCloudKey, testCloudSecret, basic(testCloudKey, testCloudSecret)}
	// A careless server quoting the credentials back.
	echo := func(status int) string {
		return failureJSON(status, "", "Authentication Required", "key "+testFlinkKey+" secret "+testFlinkSecret+
			" header Basic "+basic(testFlinkKey, testFlinkSecret)+" cloud "+testCloudKey+":"+testCloudSecret)
	}
	one := stmtPath + "/orders-v2"

	tests := []struct {
		name   string
		script []exchange
		call   func(context.Context, *Client) error
	}{
		{
			name:   "401 quoting the key",
			script: []exchange{{method: "GET", path: one, status: 401, resp: echo(401), header: map[string]string{"WWW-Authenticate": `Basic error="invalid_key"`}}},
			call:   func(ctx context.Context, c *Client) error { _, err := c.GetStatement(ctx, "orders-v2"); return err },
		},
		{
			name:   "403 on a pool",
			script: []exchange{{method: "GET", path: poolsPathTest + "/lfcp-1", status: 403, resp: echo(403)}},
			call:   func(ctx context.Context, c *Client) error { _, err := c.GetComputePool(ctx, "lfcp-1"); return err },
		},
		{
			name: "retries then a cut connection",
			script: []exchange{
				{method: "POST", path: stmtPath, status: 500, resp: echo(500)},
				{method: "POST", path: stmtPath, hangup: true},
				{method: "POST", path: stmtPath, hangup: true},
			},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.CreateStatement(ctx, StatementRequest{Name: "orders-v2", SQL: testSQL})
				return err
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := newScript(t, tt.script...)
			logger, logs := observed()
			c := newFaultyClient(t, srv.URL, WithLogger(logger))
			err := tt.call(testCtx(t), c)
			if err == nil {
				t.Fatal("no error")
			}
			texts := []string{err.Error(), fmt.Sprintf("%+v", err)}
			for _, e := range logs.All() {
				texts = append(texts, e.LoggerName+" "+e.Message+" "+fmt.Sprint(e.ContextMap()))
			}
			if logs.Len() == 0 {
				t.Error("nothing was logged, so nothing was checked")
			}
			for _, text := range texts {
				for _, s := range secrets {
					if strings.Contains(text, s) {
						t.Errorf("%q holds the credential %q", text, s)
					}
				}
			}
		})
	}
}

func TestShortTestCredentialsDoNotGarbleErrors(t *testing.T) {
	_, srv := newScript(t, exchange{method: "POST", path: stmtPath, status: 409,
		resp: failureJSON(409, "resource_already_exists", "Resource Already exists", "Statement 'a' already exists.")})
	c := newTestClient(t, srv.URL, WithFlinkAPIKey("k", "s"))
	_, err := c.CreateStatement(testCtx(t), StatementRequest{Name: "a", SQL: "SELECT 1"})
	if !errors.Is(err, ErrAlreadyExists) || !strings.Contains(err.Error(), "Statement 'a' already exists.") {
		t.Errorf("error %v", err)
	}
}
