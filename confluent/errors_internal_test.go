package confluent

import (
	"errors"
	"fmt"
	"maps"
	"testing"
	"time"
)

func TestAPIErrorIs(t *testing.T) {
	stmt404 := &APIError{StatusCode: 404, Method: "GET", Path: "/s", Resource: ResourceStatement}
	pool404 := &APIError{StatusCode: 404, Method: "DELETE", Path: "/p", Resource: ResourceComputePool}
	post409 := &APIError{StatusCode: 409, Code: "resource_already_exists", Method: "POST", Resource: ResourceStatement}
	put409 := &APIError{StatusCode: 409, Method: "PUT", Resource: ResourceStatement}
	tests := []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"statement 404", stmt404, ErrStatementNotFound, true},
		{"statement 404 is no pool 404", stmt404, ErrComputePoolNotFound, false},
		{"pool 404", pool404, ErrComputePoolNotFound, true},
		{"pool 404 is no statement 404", pool404, ErrStatementNotFound, false},
		{"list 404 is neither", &APIError{StatusCode: 404, Method: "GET"}, ErrStatementNotFound, false},
		{"POST 409 exists", post409, ErrAlreadyExists, true},
		{"POST 409 is no conflict", post409, ErrConflict, false},
		{"PUT 409 conflict", put409, ErrConflict, true},
		{"PUT 409 is not exists", put409, ErrAlreadyExists, false},
		{"401 anywhere", &APIError{StatusCode: 401, Method: "DELETE", Resource: ResourceComputePool}, ErrUnauthorized, true},
		{"403", &APIError{StatusCode: 403}, ErrForbidden, true},
		{"429", &APIError{StatusCode: 429}, ErrRateLimited, true},
		{"a target's code must match", post409, &APIError{StatusCode: 409, Code: "other"}, false},
		{"a target's code matches", post409, &APIError{StatusCode: 409, Code: "resource_already_exists"}, true},
		{"status differs", &APIError{StatusCode: 500}, ErrRateLimited, false},
		{"wrapped", fmt.Errorf("deploy: %w", stmt404), ErrStatementNotFound, true},
		{"not an APIError target", stmt404, errors.New("x"), false},
		{"pool quota", &APIError{StatusCode: 400, Code: "compute_pool_quota_exceeded"}, ErrComputePoolQuota, true},
		{"pool quota is a quota", &APIError{StatusCode: 400, Code: "compute_pool_quota_exceeded"}, ErrQuotaExceeded, true},
		{"pool quota is no CFU quota", &APIError{StatusCode: 400, Code: "compute_pool_quota_exceeded"}, ErrCFUQuota, false},
		{"CFU quota", &APIError{StatusCode: 400, Code: "cfu_quota_exceeded"}, ErrCFUQuota, true},
		{"statement quota, wrapped", fmt.Errorf("deploy: %w", &APIError{StatusCode: 400, Code: "statement_quota_exceeded"}), ErrQuotaExceeded, true},
		{"402 is a quota", &APIError{StatusCode: 402}, ErrQuotaExceeded, true},
		{"402 is no particular quota", &APIError{StatusCode: 402}, ErrStatementQuota, false},
		{"400 is no quota", &APIError{StatusCode: 400, Code: "invalid_configuration"}, ErrQuotaExceeded, false},
		{"name too long", &APIError{StatusCode: 422, Code: "name_too_long"}, ErrNameTooLong, true},
		{"SQL too long", &APIError{StatusCode: 422, Code: "statement_too_long"}, ErrSQLTooLong, true},
		{"request too large", &APIError{StatusCode: 413, Code: "request_too_large"}, ErrSQLTooLong, true},
		{"not resumable", &APIError{StatusCode: 400, Code: "not_resumable"}, ErrNotResumable, true},
		{"a code is still an APIError", &APIError{StatusCode: 400, Code: "not_resumable", Method: "PUT"}, &APIError{StatusCode: 400}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errors.Is(tt.err, tt.target); got != tt.want {
				t.Errorf("errors.Is = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestErrorMessages(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{
			&APIError{StatusCode: 409, Code: "resource_already_exists", Title: "Resource Already exists", Detail: "Statement 'a' already exists.",
				RequestID: "r-1", Method: "POST", Path: "/sql/v1/x/statements"},
			"confluent: POST /sql/v1/x/statements: 409 resource_already_exists Resource Already exists Statement 'a' already exists. (request id r-1)",
		},
		{ErrStatementNotFound, "confluent: 404 statement not found"},
		{&StatementFailedError{Name: "a", Phase: PhaseFailed, Detail: "Table 'x' not found"}, "statement a is FAILED: Table 'x' not found"},
		{&StatementFailedError{Name: "a", Phase: PhaseFailing}, "statement a is FAILING"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got  %q\nwant %q", got, tt.want)
		}
	}
}

func TestRetryDelay(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 5, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	tests := []struct {
		name       string
		n          int
		retryAfter string
		min, max   time.Duration
	}{
		{"first retry", 1, "", 1, 100 * time.Millisecond},
		{"third retry", 3, "", 1, 400 * time.Millisecond},
		{"capped", 10, "", 1, time.Second},
		{"far past any shift", 200, "", 1, time.Second},
		{"Retry-After", 1, "1", time.Second, time.Second},
		{"Retry-After over the cap", 1, "60", time.Second, time.Second},
		{"Retry-After not a number", 1, "Wed, 21 Oct 2026 07:28:00 GMT", 1, 100 * time.Millisecond},
		{"Retry-After 0 falls back to backoff", 2, "0", 1, 200 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 200 {
				if d := p.delay(tt.n, tt.retryAfter); d < tt.min || d > tt.max {
					t.Fatalf("delay %v, want %v to %v", d, tt.min, tt.max)
				}
			}
		})
	}
}

func TestParseOffsets(t *testing.T) {
	tests := []struct {
		in      string
		want    map[int32]int64
		wantErr bool
	}{
		{"partition:0,offset:100", map[int32]int64{0: 100}, false},
		{"partition:0,offset:100;partition:1,offset:200", map[int32]int64{0: 100, 1: 200}, false},
		{" partition:3 , offset:0 ", map[int32]int64{3: 0}, false},
		{"", nil, true},
		{"partition:0", nil, true},
		{"partition:0,offset:-1", nil, true},
		{"p:0,o:1", nil, true},
		{"partition:0,offset:1;", nil, true},
		{"partition:x,offset:1", nil, true},
	}
	for _, tt := range tests {
		got, err := ParseOffsets(tt.in)
		if (err != nil) != tt.wantErr || !tt.wantErr && !maps.Equal(got, tt.want) {
			t.Errorf("ParseOffsets(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
