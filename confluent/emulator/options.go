package emulator

import (
	"fmt"
	"strings"
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
	functions map[string]bool // upper-cased names
	stateFile string
	log       *zap.Logger
	clock     func() time.Time // nil: the real clock, which also runs the background timer
	seed      uint64

	maxStatements   int           // live statements per environment
	maxPools        int           // compute pools per environment
	rateLimit       int           // requests per second per organization; 0: no limit
	processInterval time.Duration // 0: records move only on POST /_emulator/tick
	saveInterval    time.Duration // 0: the state file is written on every change
}

// Defaults of the options below.
const (
	DefaultMaxStatements = 10_000
	DefaultSaveInterval  = 100 * time.Millisecond
)

func defaultOptions() options {
	return options{log: zap.NewNop(), seed: 1, maxStatements: DefaultMaxStatements, maxPools: MaxPoolsPerEnvironment,
		saveInterval: DefaultSaveInterval}
}

// Latency is how long each phase lasts before the next change (PENDING before
// RUNNING, STOPPING before STOPPED, DELETING before the statement is gone,
// PROVISIONING before a pool is PROVISIONED). Default 0: the request that
// causes a change still answers the first phase, the next request sees the
// result.
func Latency(d time.Duration) Option {
	return duration("latency", d, func(o *options) *time.Duration { return &o.latency })
}

// duration is an option that sets the duration field gives, refusing a
// negative one.
func duration(what string, d time.Duration, field func(*options) *time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return fmt.Errorf("%w: negative %s %s", ErrInvalidOption, what, d)
		}
		*field(o) = d
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

// Functions are catalog functions (UDFs) that exist in every environment:
// dry runs, which reject a call of a function Flink does not have, accept
// them. Names are case-insensitive, as Flink's.
func Functions(names []string) Option {
	return func(o *options) error {
		for _, n := range names {
			if n == "" {
				return fmt.Errorf("%w: empty function name", ErrInvalidOption)
			}
			if o.functions == nil {
				o.functions = map[string]bool{}
			}
			o.functions[strings.ToUpper(n)] = true
		}
		return nil
	}
}

// StateFile keeps the emulator's state in path: New loads it when it exists,
// changes rewrite it atomically (temporary file, then rename) at most once
// per SaveInterval, and Close writes the last ones, so a restarted emulator
// carries on where the last one stopped.
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

// MaxStatements is how many statements an environment may hold that are not
// deleted (any phase but DELETING); a create beyond it is refused with a
// quota error, as a Confluent Cloud region refuses one. Default
// DefaultMaxStatements.
func MaxStatements(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("%w: max statements %d, want at least 1", ErrInvalidOption, n)
		}
		o.maxStatements = n
		return nil
	}
}

// MaxComputePools is how many compute pools an environment may hold; a
// create beyond it is refused with a quota error. Default
// MaxPoolsPerEnvironment, Confluent's quota; more models an environment
// whose quota Confluent raised on request.
func MaxComputePools(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("%w: max compute pools %d, want at least 1", ErrInvalidOption, n)
		}
		o.maxPools = n
		return nil
	}
}

// RateLimit answers 429 with Retry-After to the API requests of an
// organization beyond n a second: a token bucket of n tokens refilled at n a
// second on the emulator's clock. The compute pools API, which names no
// organization, has one bucket of its own (it is another host on Confluent
// Cloud). Default 0: no limit.
func RateLimit(n int) Option {
	return func(o *options) error {
		if n < 0 {
			return fmt.Errorf("%w: negative rate limit %d", ErrInvalidOption, n)
		}
		o.rateLimit = n
		return nil
	}
}

// ProcessInterval makes running statements move records every d of real
// time, as Emulator.Tick does. Default 0: records move only when asked (POST
// /_emulator/tick), so that tests count exactly.
func ProcessInterval(d time.Duration) Option {
	return duration("process interval", d, func(o *options) *time.Duration { return &o.processInterval })
}

// SaveInterval is the least time between two writes of the state file: the
// changes of a burst of requests or ticks go to disk together, a write
// costing time in proportion to the whole state. 0 writes on every change.
// Default DefaultSaveInterval.
func SaveInterval(d time.Duration) Option {
	return duration("save interval", d, func(o *options) *time.Duration { return &o.saveInterval })
}
