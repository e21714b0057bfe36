package confluent

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestNew(t *testing.T) {
	required := []Option{WithFlinkURL("https://flink.us-east-1.aws.confluent.cloud"), WithOrganization(testOrg), WithEnvironment(testEnv)}
	with := func(opts ...Option) []Option { return append(append([]Option(nil), required...), opts...) }

	tests := []struct {
		name    string
		opts    []Option
		wantErr error
		secret  string // must not appear in the error
	}{
		{name: "required only", opts: required},
		{name: "everything", opts: with(
			WithCloudURL("http://127.0.0.1:8080/"),
			WithFlinkAPIKey("k", "s"),
			WithCloudAPIKey("k2", "s2"),
			WithRetry(RetryPolicy{MaxAttempts: 1, BaseDelay: time.Second, MaxDelay: time.Second}),
			WithPollInterval(time.Second, time.Minute),
			WithDefaultTimeout(time.Second),
			WithPageSize(1),
			WithVersion("v1.2.3"),
		)},
		{name: "no flink URL", opts: []Option{WithOrganization(testOrg), WithEnvironment(testEnv)}, wantErr: ErrInvalidOption},
		{name: "no organization", opts: []Option{WithFlinkURL("https://f"), WithEnvironment(testEnv)}, wantErr: ErrInvalidOption},
		{name: "no environment", opts: []Option{WithFlinkURL("https://f"), WithOrganization(testOrg)}, wantErr: ErrInvalidOption},
		{name: "URL scheme", opts: with(WithFlinkURL("ftp://flink")), wantErr: ErrInvalidOption},
		{name: "URL without host", opts: with(WithCloudURL("https:///x")), wantErr: ErrInvalidOption},
		{name: "URL with credentials", opts: with(WithFlinkURL("https://key:pa55w0rd@flink")), wantErr: ErrInvalidOption, secret: "pa55w0rd"},
		{name: "unparsable URL with credentials", opts: with(WithFlinkURL("https://key:pa55w0rd@flink:port")), wantErr: ErrInvalidOption, secret: "pa55w0rd"},
		{name: "URL with a query", opts: with(WithFlinkURL("https://flink?x=1")), wantErr: ErrInvalidOption},
		{name: "organization not a UUID", opts: with(WithOrganization("org-1")), wantErr: ErrInvalidOption},
		{name: "environment with a slash", opts: with(WithEnvironment("env/../x")), wantErr: ErrInvalidOption},
		{name: "key without secret", opts: with(WithFlinkAPIKey("k", "")), wantErr: ErrInvalidOption},
		{name: "cloud secret without key", opts: with(WithCloudAPIKey("", "s")), wantErr: ErrInvalidOption},
		{name: "nil HTTP client", opts: with(WithHTTPClient(nil)), wantErr: ErrInvalidOption},
		{name: "nil logger", opts: with(WithLogger(nil)), wantErr: ErrInvalidOption},
		{name: "no attempt", opts: with(WithRetry(RetryPolicy{BaseDelay: time.Second, MaxDelay: time.Second})), wantErr: ErrInvalidOption},
		{name: "max delay under base", opts: with(WithRetry(RetryPolicy{MaxAttempts: 3, BaseDelay: time.Second, MaxDelay: time.Millisecond})), wantErr: ErrInvalidOption},
		{name: "zero poll", opts: with(WithPollInterval(0, time.Second)), wantErr: ErrInvalidOption},
		{name: "zero timeout", opts: with(WithDefaultTimeout(0)), wantErr: ErrInvalidOption},
		{name: "page size 0", opts: with(WithPageSize(0)), wantErr: ErrInvalidOption},
		{name: "page size 101", opts: with(WithPageSize(101)), wantErr: ErrInvalidOption},
		{name: "version with a space", opts: with(WithVersion("1 2")), wantErr: ErrInvalidOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.opts...)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if err == nil && c == nil {
				t.Fatal("nil client")
			}
			if tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
				t.Errorf("error %q quotes the secret", err)
			}
		})
	}
}

func TestOptionsReachTheWire(t *testing.T) {
	s, srv := newScript(t, exchange{method: "GET", path: "/base" + stmtPath, status: 200,
		query: url.Values{"page_size": {"7"}},
		resp:  listJSON(StatementAPIVersion, "StatementList", "")})
	c, err := New(WithFlinkURL(srv.URL+"/base/"), WithOrganization(testOrg), WithEnvironment(testEnv),
		WithPageSize(7), WithVersion("1.2.3"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListStatements(testCtx(t), ListOptions{}); err != nil {
		t.Fatal(err)
	}
	r := s.requests()[0]
	if got := r.Header.Get("User-Agent"); got != "shiftleft/1.2.3" {
		t.Errorf("User-Agent %q", got)
	}
	if got := r.Header.Get("Authorization"); got != "" {
		t.Errorf("Authorization %q without a key", got)
	}
}
