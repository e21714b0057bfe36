package deployments

import (
	"fmt"
	"io"
	"maps"
	"time"

	"go.uber.org/zap"
)

// Option configures a [Runner]; a bad value makes [NewRunner] fail with an
// error wrapping [ErrInvalidOption].
type Option func(*options) error

// Defaults.
const (
	defaultMaxParallel = 8
	defaultDDLTimeout  = 5 * time.Minute
	defaultDMLTimeout  = 10 * time.Minute
)

type options struct {
	maxParallel int
	log         *zap.Logger
	principal   string
	properties  map[string]string
	commit      string
	progress    io.Writer
	ddlTimeout  time.Duration
	dmlTimeout  time.Duration
	now         func() time.Time
	cloud       string
	region      string
	// pendingTimeout and settle: see WithPendingTimeout and WithSettle.
	pendingTimeout time.Duration
	settle         time.Duration
	keepDDL        bool
}

func defaultOptions() options {
	return options{
		maxParallel: defaultMaxParallel,
		log:         zap.NewNop(),
		ddlTimeout:  defaultDDLTimeout,
		dmlTimeout:  defaultDMLTimeout,
		now:         time.Now,

		pendingTimeout: DefaultPendingTimeout,
	}
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidOption}, args...)...)
}

// WithKeepDDL keeps each table's completed DDL statement, which is
// otherwise deleted once its DML runs (the statement quota): a deployer
// with no deployed commit to read the table's DDL from (the command line)
// keeps it as the record ALTER TABLE is planned against.
func WithKeepDDL() Option {
	return func(o *options) error {
		o.keepDDL = true
		return nil
	}
}

// WithMaxParallel bounds how many actions run at once; default 8.
func WithMaxParallel(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return invalid("max parallel %d: want at least 1", n)
		}
		o.maxParallel = n
		return nil
	}
}

// WithLogger sets the logger; default a no-op logger.
func WithLogger(l *zap.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return invalid("nil logger")
		}
		o.log = l
		return nil
	}
}

// WithPrincipal sets the service account or user every statement runs as;
// default the API key's owner.
func WithPrincipal(principal string) Option {
	return func(o *options) error {
		if principal == "" {
			return invalid("empty principal")
		}
		o.principal = principal
		return nil
	}
}

// WithProperties sets statement properties every statement gets, such as
// sql.current-catalog and sql.current-database; a pipeline's .properties
// file overrides them key by key.
func WithProperties(properties map[string]string) Option {
	return func(o *options) error {
		for k := range properties {
			if k == "" {
				return invalid("a statement property has an empty key")
			}
		}
		o.properties = maps.Clone(properties)
		return nil
	}
}

// WithCommit names the commit deployed: it goes in [LabelCommit], and it
// identifies the deployment when a run is resumed. A statement carrying
// both a step's fingerprint and this commit was created by an earlier
// attempt of the same deployment, so the deletes and drops before that step
// ran already and are not redone; without a commit, a re-run of a
// restart-dml or recreate action restarts the statement again.
func WithCommit(id string) Option {
	return func(o *options) error {
		if labelValue(id, maxLabelValue) == "" {
			return invalid("commit %q has no letter or digit", id)
		}
		o.commit = id
		return nil
	}
}

// WithProgress writes progress to w: on a terminal a live line ("wave 2/5 ·
// 14/40 done · 2 running · 1 failed"), else one line per finished action.
func WithProgress(w io.Writer) Option {
	return func(o *options) error {
		if w == nil {
			return invalid("nil progress writer")
		}
		o.progress = w
		return nil
	}
}

// WithStepTimeouts bounds each step: ddl the DDL, drop and delete steps and
// the wait for a new compute pool (default 5 min), dml the DML steps
// (default 10 min, as a DML may wait for CFU).
func WithStepTimeouts(ddl, dml time.Duration) Option {
	return func(o *options) error {
		if ddl <= 0 || dml <= 0 {
			return invalid("step timeouts %s, %s: want > 0", ddl, dml)
		}
		o.ddlTimeout, o.dmlTimeout = ddl, dml
		return nil
	}
}

// WithClock sets the clock durations are measured with; default time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return invalid("nil clock")
		}
		o.now = now
		return nil
	}
}

// WithPoolLocation sets where new compute pools go (cloud AWS, GCP or
// AZURE, and region); required when a plan creates a pool, as the plan
// names only the pool and its size.
func WithPoolLocation(cloud, region string) Option {
	return func(o *options) error {
		if cloud == "" || region == "" {
			return invalid("compute pool cloud and region must both be set")
		}
		o.cloud, o.region = cloud, region
		return nil
	}
}
