package confluent

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Resources an [APIError] can be about: a 404 means a different thing on each.
const (
	ResourceStatement   = "statement"
	ResourceComputePool = "compute pool"
)

// Sentinels, matched with errors.Is. The ones that are [*APIError] values
// match any APIError whose fields equal every field the sentinel sets (see
// [APIError.Is]).
var (
	// ErrInvalidOption: an [Option] given to [New] has a bad value, or a
	// required one is missing.
	ErrInvalidOption = errors.New("confluent: invalid option")
	// ErrInvalidRequest: a call's arguments fail the API's rules (statement
	// name, compute pool fields) and no request was sent.
	ErrInvalidRequest = errors.New("confluent: invalid request")

	// ErrStatementNotFound: 404 on a statement (get, update, delete,
	// exceptions).
	ErrStatementNotFound = &APIError{StatusCode: http.StatusNotFound, Resource: ResourceStatement, Title: "statement not found"}
	// ErrComputePoolNotFound: 404 on a compute pool.
	ErrComputePoolNotFound = &APIError{StatusCode: http.StatusNotFound, Resource: ResourceComputePool, Title: "compute pool not found"}
	// ErrAlreadyExists: 409 on a create, the name (or pool) is taken; also a
	// lost create whose retry found a statement of the same name with other SQL.
	ErrAlreadyExists = &APIError{StatusCode: http.StatusConflict, Method: http.MethodPost, Title: "already exists"}
	// ErrConflict: 409 on a PUT, the statement changed since it was read
	// (stale metadata.resource_version) on every attempt.
	ErrConflict = &APIError{StatusCode: http.StatusConflict, Method: http.MethodPut, Title: "conflicting update"}
	// ErrUnauthorized: 401, the API key or secret is wrong or missing.
	ErrUnauthorized = &APIError{StatusCode: http.StatusUnauthorized, Title: "unauthorized"}
	// ErrForbidden: 403, the key or the principal lacks the role.
	ErrForbidden = &APIError{StatusCode: http.StatusForbidden, Title: "forbidden"}
	// ErrRateLimited: 429 on the last attempt the retry policy allowed.
	ErrRateLimited = &APIError{StatusCode: http.StatusTooManyRequests, Title: "rate limited"}

	// ErrQuotaExceeded: a create or change would exceed a Confluent Cloud
	// quota. Each quota has its sentinel below, which matches it too; a 402
	// (what Confluent's other APIs answer for quotas) matches it alone.
	ErrQuotaExceeded = errors.New("confluent: quota exceeded")
	// ErrComputePoolQuota: the environment has the most compute pools it
	// may (50).
	ErrComputePoolQuota = fmt.Errorf("%w: compute pools per environment", ErrQuotaExceeded)
	// ErrCFUQuota: a compute pool's max_cfu over the most a pool may have
	// (50).
	ErrCFUQuota = fmt.Errorf("%w: CFU per compute pool", ErrQuotaExceeded)
	// ErrStatementQuota: the environment holds the most statements it may.
	ErrStatementQuota = fmt.Errorf("%w: statements per environment", ErrQuotaExceeded)
	// ErrNameTooLong: a new statement's name is over MaxNameLength
	// characters; raised before sending (with ErrInvalidRequest) or by
	// the server.
	ErrNameTooLong = errors.New("confluent: statement name too long")
	// ErrSQLTooLong: a statement's SQL is over MaxSQLLength characters, or
	// the request over the server's size limit.
	ErrSQLTooLong = errors.New("confluent: statement too long")
	// ErrNotResumable: a resume of a statement that is not an INSERT INTO,
	// a CTAS or a statement set; stop it and create a new one instead.
	ErrNotResumable = errors.New("confluent: statement cannot be resumed")
)

// codeErrors are the sentinels of the error codes of the API (as the
// emulator sends them; Confluent documents none of its own).
var codeErrors = map[string]error{
	"compute_pool_quota_exceeded": ErrComputePoolQuota,
	"cfu_quota_exceeded":          ErrCFUQuota,
	"statement_quota_exceeded":    ErrStatementQuota,
	"name_too_long":               ErrNameTooLong,
	"statement_too_long":          ErrSQLTooLong,
	"request_too_large":           ErrSQLTooLong,
	"not_resumable":               ErrNotResumable,
}

// APIError is an error answer of the API: the HTTP status, the first error
// of the JSON:API Failure body, and the request that got it.
type APIError struct {
	StatusCode int
	Code       string // application code, e.g. resource_already_exists
	Title      string
	Detail     string
	RequestID  string // X-Request-Id, to quote to Confluent support
	Method     string
	Path       string
	Resource   string // ResourceStatement, ResourceComputePool, or "" for lists
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("confluent: ")
	if e.Method != "" && e.Path != "" {
		b.WriteString(e.Method + " " + e.Path + ": ")
	}
	b.WriteString(strconv.Itoa(e.StatusCode))
	for _, s := range []string{e.Code, e.Title, e.Detail} {
		if s != "" {
			b.WriteString(" " + s)
		}
	}
	if e.RequestID != "" {
		b.WriteString(" (request id " + e.RequestID + ")")
	}
	return b.String()
}

// Unwrap returns the sentinel of e's code (ErrComputePoolQuota,
// ErrNameTooLong...), so that errors.Is finds it; nil for other codes.
func (e *APIError) Unwrap() error {
	if err := codeErrors[e.Code]; err != nil {
		return err
	}
	if e.StatusCode == http.StatusPaymentRequired {
		return ErrQuotaExceeded
	}
	return nil
}

// Is reports whether target is an *APIError whose every non-zero field among
// StatusCode, Code, Method and Resource equals e's. The status alone cannot
// tell a missing statement from a missing pool, nor a taken name from a
// stale update, hence Resource and Method.
func (e *APIError) Is(target error) bool {
	t, ok := target.(*APIError)
	if !ok {
		return false
	}
	match := func(want, got string) bool { return want == "" || want == got }
	return (t.StatusCode == 0 || t.StatusCode == e.StatusCode) &&
		match(t.Code, e.Code) && match(t.Method, e.Method) && match(t.Resource, e.Resource)
}

// StatementFailedError is returned by [Client.WaitForPhase] when the
// statement reaches FAILED or FAILING. Detail is status.detail or, when that
// is empty, the message of the newest exception.
type StatementFailedError struct {
	Name   string
	Phase  Phase
	Detail string
}

func (e *StatementFailedError) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("statement %s is %s", e.Name, e.Phase)
	}
	return fmt.Sprintf("statement %s is %s: %s", e.Name, e.Phase, e.Detail)
}

// Retryable reports whether a call that failed with err may pass when made
// again later: a rate limit, a 5xx, or a network error that a new connection
// may not meet. The client has retried such errors already, as far as its
// [RetryPolicy] allows; a caller that can wait longer (a wait for a phase, a
// deploy step bounded by its own timeout) tries again.
func Retryable(err error) bool {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode == http.StatusTooManyRequests || retryableStatus(apiErr.StatusCode)
	}
	return transient(err)
}
