package gitrepo

import (
	"fmt"
	"net/url"
	"time"

	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/internal/credurl"
)

// Option configures a [Cache]; a bad value makes [NewCache] fail with an
// error wrapping [ErrInvalidOption].
type Option func(*options) error

// defaultTimeout bounds a Fetch: a pipelines repository clones in seconds,
// and a stuck server must not hold a worker (and the mirror's lock) forever.
const defaultTimeout = 10 * time.Minute

type options struct {
	logger  *zap.Logger
	token   string
	timeout time.Duration
	// credentials by repository URL, credentials removed.
	credentials map[string]*url.Userinfo
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidOption}, args...)...)
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

// WithToken authenticates fetches over https as GitHub expects of an app
// installation or personal token: basic auth with the user x-access-token.
// The token is never sent over another scheme, and never logged.
func WithToken(token string) Option {
	return func(o *options) error {
		if token == "" {
			return invalid("empty token")
		}
		o.token = token
		return nil
	}
}

// WithCredentials authenticates the fetches of each URL given that carries
// credentials (https://user:token@host/path, ssh://user:password@host/path):
// a Fetch of that URL, with or without them, hands them to go-git's auth
// option — basic auth over http and https (the scheme the URL names, as
// git does), a password over ssh — and never writes them in the mirror, a
// log line or an error. The credentials of a URL a Fetch is given are never
// used: they come from here, or [WithToken]; for a URL listed here, these
// win over the token. URLs without credentials are ignored, so that every
// configured clone URL may be given. A URL that does not parse, or two sets
// of credentials for one URL, make [NewCache] fail with an error wrapping
// [ErrInvalidOption], which does not quote them.
func WithCredentials(rawURLs ...string) Option {
	return func(o *options) error {
		for _, raw := range rawURLs {
			clean, creds, err := credurl.Split(raw)
			if err != nil {
				return invalid("credentials: %v", err)
			}
			if creds == nil {
				continue
			}
			if had, ok := o.credentials[clean]; ok && had.String() != creds.String() {
				return invalid("two sets of credentials for %s", clean)
			}
			if o.credentials == nil {
				o.credentials = map[string]*url.Userinfo{}
			}
			o.credentials[clean] = creds
		}
		return nil
	}
}

// WithTimeout bounds each [Cache.Fetch], waiting for the mirror's lock
// included; default ten minutes.
func WithTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return invalid("timeout %v: want > 0", d)
		}
		o.timeout = d
		return nil
	}
}
