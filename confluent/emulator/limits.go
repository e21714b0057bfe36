package emulator

import (
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"time"
)

// Confluent Cloud's limits, as the emulator enforces them. Where Confluent's
// documentation and its OpenAPI spec disagree, the stricter wins: a client
// that lives with it works against both.
const (
	// MaxNameLength is the longest statement name: Confluent's docs say 72
	// characters of lower-case letters, digits and '-', the spec's pattern
	// allows 100 and dots.
	MaxNameLength = 72
	// MaxStatementLength is the longest spec.statement, in characters: the
	// spec's maxLength (the docs quote 4 MB, which MaxRequestBytes keeps).
	MaxStatementLength = 131072
	// MaxRequestBytes is the largest request body, Confluent's "exceeds
	// 4194304 bytes".
	MaxRequestBytes = 4 << 20
	// MaxPoolsPerEnvironment is the quota of compute pools in an
	// environment (50 since June 2025).
	MaxPoolsPerEnvironment = 50
	// MaxPoolCFU is the largest max_cfu of a compute pool.
	MaxPoolCFU = 50
	// Retention is how long a statement in a terminal phase (COMPLETED,
	// FAILED, STOPPED) is kept after it ended; then it is deleted.
	Retention = 30 * 24 * time.Hour
	// CarryOverTimeout is how long a statement with
	// sql.tables.initial-offset-from waits for the statement it names to
	// stop before it fails.
	CarryOverTimeout = 6 * time.Hour
)

// nameRE is the docs' statement name: lower-case letters, digits and '-',
// starting and ending with a letter or a digit.
var nameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// Error codes of the limits. Confluent's own are not documented; clients
// match these (package confluent maps each to a sentinel).
const (
	codeComputePoolQuota = "compute_pool_quota_exceeded"
	codeCFUQuota         = "cfu_quota_exceeded"
	codeStatementQuota   = "statement_quota_exceeded"
	codeNameTooLong      = "name_too_long"
	codeStatementTooLong = "statement_too_long"
	codeNotResumable     = "not_resumable"
)

// quota is a 400 naming the quota a request would exceed. The specs declare
// no 402, which Confluent's other APIs answer for quotas.
func quota(code, pointer, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: code, pointer: pointer,
		detail: "Quota exceeded: " + fmt.Sprintf(format, args...)}
}

// poolQuota refuses a new pool in an environment that has the most it may.
func (e *Emulator) poolQuota(env string) error {
	n := 0
	for _, p := range e.m.Pools {
		if p.Env == env {
			n++
		}
	}
	if n >= e.opt.maxPools {
		return quota(codeComputePoolQuota, "/spec/environment/id",
			"environment '%s' has %d compute pools, the most it may have (quota: compute pools per environment, %d).",
			env, n, e.opt.maxPools)
	}
	return nil
}

// statementQuota refuses a new statement in an environment that holds the
// most it may.
func (e *Emulator) statementQuota(env *environment) error {
	if n := env.live(); n >= e.opt.maxStatements {
		return quota(codeStatementQuota, "/name",
			"environment '%s' holds %d statements, the most it may (quota: statements per environment, %d). Delete statements that ended.",
			env.ID, n, e.opt.maxStatements)
	}
	return nil
}

// bucket is an organization's token bucket of the rate limit.
type bucket struct {
	tokens float64
	at     time.Time
}

// limit spends a token of key's bucket, refilled at the rate limit a second
// up to the rate limit, and sets the X-RateLimit headers Confluent sends. It
// reports false, with Retry-After set, when there is no token.
func (e *Emulator) limit(h http.Header, key string, now time.Time) bool {
	n := float64(e.opt.rateLimit)
	b := e.buckets[key]
	if b == nil {
		b = &bucket{tokens: n, at: now}
		e.buckets[key] = b
	}
	if elapsed := now.Sub(b.at).Seconds(); elapsed > 0 {
		b.tokens = min(n, b.tokens+elapsed*n)
	}
	b.at = now
	ok := b.tokens >= 1
	if ok {
		b.tokens--
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(e.opt.rateLimit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(int(b.tokens)))
	// Reset is relative seconds until the bucket is full again, as the
	// fcpm spec documents it.
	h.Set("X-RateLimit-Reset", strconv.Itoa(int(math.Ceil((n-b.tokens)/n))))
	if !ok {
		h.Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil((1-b.tokens)/n)))))
	}
	return ok
}
