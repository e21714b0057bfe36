package emulator

import (
	"fmt"
	"time"

	"go.uber.org/zap"
)

// Option configures an Emulator; options that get a bad value return an
// error wrapping ErrInvalidOption, and New returns the first one.
type Option func(*options) error

type options struct {
	latency   time.Duration
	key       string // with secret: the one accepted Basic pair; empty accepts any
	secret    string
	external  []string
	stateFile string
	log       *zap.Logger
	clock     func() time.Time // nil: the real clock, which also runs the background timer
	seed      uint64
}

func defaultOptions() options {
	return options{log: zap.NewNop(), seed: 1}
}

// Latency is how long each phase lasts before the next change (PENDING before
// RUNNING, STOPPING before STOPPED, DELETING before the statement is gone,
// PROVISIONING before a pool is PROVISIONED). Default 0: the request that
// causes a change still answers the first phase, the next request sees the
// result.
func Latency(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return fmt.Errorf("%w: negative latency %s", ErrInvalidOption, d)
		}
		o.latency = d
		return nil
	}
}

// Credentials makes key:secret the only Basic credentials accepted. Without
// it any non-empty pair is.
func Credentials(key, secret string) Option {
	return func(o *options) error {
		if key == "" || secret == "" {
			return fmt.Errorf("%w: empty API key or secret", ErrInvalidOption)
		}
		o.key, o.secret = key, secret
		return nil
	}
}

// ExternalTables are tables that exist in every environment from the start:
// Kafka topics that no pipeline creates.
func ExternalTables(tables []string) Option {
	return func(o *options) error {
		for _, t := range tables {
			if t == "" {
				return fmt.Errorf("%w: empty external table name", ErrInvalidOption)
			}
		}
		o.external = append(o.external, tables...)
		return nil
	}
}

// StateFile keeps the emulator's state in path: New loads it when it exists,
// and every change rewrites it atomically (temporary file, then rename), so a
// restarted emulator carries on where the last one stopped.
func StateFile(path string) Option {
	return func(o *options) error {
		if path == "" {
			return fmt.Errorf("%w: empty state file path", ErrInvalidOption)
		}
		o.stateFile = path
		return nil
	}
}

// Logger receives request, phase-change and error logs. Default: none.
func Logger(l *zap.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrInvalidOption)
		}
		o.log = l
		return nil
	}
}

// Clock replaces the real clock, for tests that move time by hand. With a
// clock set, phases change only when a request arrives: no background timer.
func Clock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrInvalidOption)
		}
		o.clock = now
		return nil
	}
}

// Seed seeds the random numbers that decide injected faults, so a test sees
// the same faults on every run. Default 1.
func Seed(seed uint64) Option {
	return func(o *options) error {
		o.seed = seed
		return nil
	}
}
