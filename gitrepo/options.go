package gitrepo

import (
	"fmt"
	"time"

	"go.uber.org/zap"
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
