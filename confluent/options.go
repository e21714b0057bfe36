package confluent

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"
)

// Option configures a [Client]; a bad value makes [New] fail with an error
// wrapping [ErrInvalidOption].
type Option func(*options) error

// RetryPolicy bounds the retries of one request: at most MaxAttempts tries,
// waiting a random time up to BaseDelay·2ⁿ (full jitter) between them, never
// more than MaxDelay, which also caps a 429's Retry-After.
type RetryPolicy struct {
	MaxAttempts int
	BaseDelay   time.Duration
	MaxDelay    time.Duration
}

// Defaults. Five tries wait about eight seconds at most when nothing says
// how long to wait; a Retry-After is honoured up to 30 s.
const (
	defaultCloudURL    = "https://api.confluent.cloud"
	defaultAttempts    = 5
	defaultBaseDelay   = 500 * time.Millisecond
	defaultMaxDelay    = 30 * time.Second
	defaultTimeout     = time.Minute
	defaultPollInitial = 100 * time.Millisecond
	defaultPollMax     = 2 * time.Second
	maxPageSize        = 100
	defaultVersion     = "dev"
)

type options struct {
	flinkURL    *url.URL
	cloudURL    *url.URL
	orgID       string
	envID       string
	flinkAuth   credentials
	cloudAuth   credentials
	httpClient  *http.Client
	logger      *zap.Logger
	retry       RetryPolicy
	pollInitial time.Duration
	pollMax     time.Duration
	timeout     time.Duration
	pageSize    int
	version     string
	metrics     *Metrics // nil: calls are not counted
}

// credentials is one API key; header is the whole Authorization value.
type credentials struct {
	key, secret, header string
}

func newCredentials(key, secret string) credentials {
	return credentials{key: key, secret: secret,
		header: "Basic " + base64.StdEncoding.EncodeToString([]byte(key+":"+secret))}
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidOption}, args...)...)
}

// WithFlinkURL sets the statements host, e.g.
// https://flink.us-east-1.aws.confluent.cloud or an emulator's
// http://127.0.0.1:port. Required.
func WithFlinkURL(raw string) Option {
	return func(o *options) (err error) {
		o.flinkURL, err = parseBaseURL("flink", raw)
		return err
	}
}

// WithCloudURL sets the compute pools host; default https://api.confluent.cloud.
func WithCloudURL(raw string) Option {
	return func(o *options) (err error) {
		o.cloudURL, err = parseBaseURL("cloud", raw)
		return err
	}
}

// parseBaseURL refuses user info in the URL: credentials go through the
// key options, which keep them out of errors and logs.
func parseBaseURL(which, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, invalid("%s URL does not parse", which)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, invalid("%s URL %q: scheme must be http or https", which, u.Redacted())
	case u.Host == "":
		return nil, invalid("%s URL %q has no host", which, u.Redacted())
	case u.User != nil:
		return nil, invalid("%s URL must not carry credentials; use the API key options", which)
	case u.RawQuery != "" || u.Fragment != "":
		return nil, invalid("%s URL %q must not have a query or fragment", which, u.Redacted())
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// WithOrganization sets the organization id, a UUID. Required.
func WithOrganization(id string) Option {
	return func(o *options) error {
		if !isUUID(id) {
			return invalid("organization id %q is not a UUID", id)
		}
		o.orgID = id
		return nil
	}
}

// WithEnvironment sets the environment id (env-…). Required.
func WithEnvironment(id string) Option {
	return func(o *options) error {
		if !isID(id) {
			return invalid("environment id %q: want letters, digits, '-' or '_'", id)
		}
		o.envID = id
		return nil
	}
}

// WithFlinkAPIKey sets the Flink API key, sent as Basic auth to the
// statements API. Without it requests carry no Authorization header.
func WithFlinkAPIKey(key, secret string) Option {
	return func(o *options) error {
		if key == "" || secret == "" {
			return invalid("flink API key and secret must both be set")
		}
		o.flinkAuth = newCredentials(key, secret)
		return nil
	}
}

// WithCloudAPIKey sets the Cloud API key, sent as Basic auth to the compute
// pools API. Without it requests carry no Authorization header.
func WithCloudAPIKey(key, secret string) Option {
	return func(o *options) error {
		if key == "" || secret == "" {
			return invalid("cloud API key and secret must both be set")
		}
		o.cloudAuth = newCredentials(key, secret)
		return nil
	}
}

// WithHTTPClient sets the HTTP client. The client is copied and its
// CheckRedirect replaced: a redirect keeps the Authorization header only to
// the endpoint's own host and port, or from an https endpoint in
// confluent.cloud to another https host there.
func WithHTTPClient(c *http.Client) Option {
	return func(o *options) error {
		if c == nil {
			return invalid("nil HTTP client")
		}
		o.httpClient = c
		return nil
	}
}

// WithLogger sets the logger; default a no-op logger.
func WithLogger(l *zap.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return invalid("nil logger")
		}
		o.logger = l
		return nil
	}
}

// WithRetry sets the retry policy; default 5 attempts, 500 ms base delay,
// 30 s max delay.
func WithRetry(p RetryPolicy) Option {
	return func(o *options) error {
		if p.MaxAttempts < 1 || p.BaseDelay <= 0 || p.MaxDelay < p.BaseDelay {
			return invalid("retry policy %+v: want MaxAttempts >= 1 and 0 < BaseDelay <= MaxDelay", p)
		}
		o.retry = p
		return nil
	}
}

// WithPollInterval sets how [Client.WaitForPhase] and
// [Client.WaitForDeletion] poll: the first wait, doubled after each poll up
// to maxWait. Default 100 ms up to 2 s.
func WithPollInterval(initial, maxWait time.Duration) Option {
	return func(o *options) error {
		if initial <= 0 || maxWait < initial {
			return invalid("poll interval %v..%v: want 0 < initial <= max", initial, maxWait)
		}
		o.pollInitial, o.pollMax = initial, maxWait
		return nil
	}
}

// WithDefaultTimeout bounds each call, retries included, whose ctx has no
// deadline; default one minute. The waits apply it to each poll.
func WithDefaultTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return invalid("default timeout %v: want > 0", d)
		}
		o.timeout = d
		return nil
	}
}

// WithPageSize sets the page_size of list requests, 1 to 100; default 100.
func WithPageSize(n int) Option {
	return func(o *options) error {
		if n < 1 || n > maxPageSize {
			return invalid("page size %d: want 1..%d", n, maxPageSize)
		}
		o.pageSize = n
		return nil
	}
}

// WithVersion sets the version in the User-Agent header,
// "shiftleft/<version>"; default "dev".
func WithVersion(v string) Option {
	return func(o *options) error {
		if v == "" || strings.ContainsAny(v, " \t\r\n") {
			return invalid("version %q: want a non-empty token", v)
		}
		o.version = v
		return nil
	}
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if r != '-' {
				return false
			}
		} else if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

// isID accepts the ids that go into URL paths (env-…, lfcp-…) and nothing
// that could change the path.
func isID(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
