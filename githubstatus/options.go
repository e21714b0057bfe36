package githubstatus

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"

	"go.uber.org/zap"
)

// Option configures [New]; a bad value makes New fail with an error wrapping
// [ErrInvalidOption].
type Option func(*options) error

// RetryPolicy bounds the retries of one request. A 5xx or a lost answer
// waits a random time up to BaseDelay·2ⁿ (full jitter), capped at MaxWait.
// A rate-limit answer waits as long as GitHub says, unless that is more than
// MaxWait or beyond the context's deadline: then the request fails at once
// with [ErrRateLimited] rather than sleep for nothing.
type RetryPolicy struct {
	MaxAttempts int
	BaseDelay   time.Duration
	MaxWait     time.Duration
}

// Defaults. A minute covers a secondary rate limit (GitHub asks for at least
// a minute when it does not say) but not an exhausted hourly quota, which a
// job should not sit waiting for.
const (
	defaultBaseURL     = "https://api.github.com/"
	defaultAttempts    = 5
	defaultBaseDelay   = time.Second
	defaultMaxWait     = time.Minute
	defaultHTTPTimeout = 30 * time.Second
	userAgent          = "shiftleft"
)

type options struct {
	baseURL *url.URL
	token   string
	logger  *zap.Logger
	retry   RetryPolicy
}

func invalidOption(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidOption}, args...)...)
}

// WithBaseURL sets the REST API root; default https://api.github.com/. It
// is used as given: for GitHub Enterprise Server pass
// https://HOST/api/v3/.
func WithBaseURL(raw string) Option {
	return func(o *options) error {
		u, err := url.Parse(raw)
		switch {
		case err != nil:
			return invalidOption("base URL does not parse")
		case u.Scheme != "http" && u.Scheme != "https":
			return invalidOption("base URL %q: scheme must be http or https", u.Redacted())
		case u.Host == "":
			return invalidOption("base URL %q has no host", u.Redacted())
		case u.User != nil:
			return invalidOption("base URL must not carry credentials; use WithToken")
		case u.RawQuery != "" || u.Fragment != "":
			return invalidOption("base URL %q must not have a query or fragment", u.Redacted())
		}
		// go-github resolves paths against the base, which needs the slash.
		if !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
		}
		o.baseURL = u
		return nil
	}
}

// WithToken sets the token sent as "Authorization: Bearer": a personal
// access token or a GitHub App installation token. Surrounding white space
// (a token file's newline) is trimmed; an empty token means none, and [New]
// then returns a [Logging] reporter.
func WithToken(token string) Option {
	return func(o *options) error {
		token = strings.TrimSpace(token)
		if strings.IndexFunc(token, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
			// The message does not quote the token.
			return invalidOption("token contains white space or control characters")
		}
		o.token = token
		return nil
	}
}

// WithLogger sets the logger; default none.
func WithLogger(l *zap.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return invalidOption("nil logger")
		}
		o.logger = l
		return nil
	}
}

// WithRetryPolicy replaces the default policy (5 attempts, 1 s base delay,
// 1 min longest wait).
func WithRetryPolicy(p RetryPolicy) Option {
	return func(o *options) error {
		if p.MaxAttempts < 1 || p.BaseDelay <= 0 || p.MaxWait < p.BaseDelay {
			return invalidOption("retry policy %+v: need MaxAttempts ≥ 1 and 0 < BaseDelay ≤ MaxWait", p)
		}
		o.retry = p
		return nil
	}
}
