package confluent

import (
	"context"
	"net/http"
	"strings"

	"go.uber.org/zap"
)

// StatementManager is the statements part of [Client], for callers that
// only run statements.
type StatementManager interface {
	CreateStatement(ctx context.Context, r StatementRequest) (*Statement, error)
	GetStatement(ctx context.Context, name string) (*Statement, error)
	ListStatements(ctx context.Context, o ListOptions) ([]Statement, error)
	DeleteStatement(ctx context.Context, name string) error
	StopStatement(ctx context.Context, name string) error
	ResumeStatement(ctx context.Context, name, newPoolID string) error
	StatementExceptions(ctx context.Context, name string) ([]StatementException, error)
	WaitForPhase(ctx context.Context, name string, want ...Phase) (*Statement, error)
	WaitForDeletion(ctx context.Context, name string) error
}

// ComputePoolManager is the compute pools part of [Client].
type ComputePoolManager interface {
	CreateComputePool(ctx context.Context, r ComputePoolRequest) (*ComputePool, error)
	GetComputePool(ctx context.Context, id string) (*ComputePool, error)
	ListComputePools(ctx context.Context) ([]ComputePool, error)
	DeleteComputePool(ctx context.Context, id string) error
}

var (
	_ StatementManager   = (*Client)(nil)
	_ ComputePoolManager = (*Client)(nil)
)

// Client talks to the statements API of one organization and environment
// and to the compute pools of that environment. It is safe for concurrent
// use.
type Client struct {
	opts      options
	http      *http.Client
	log       *zap.Logger
	flink     endpoint
	cloud     endpoint
	userAgent string
	// redact removes every credential from text the server sent back, in
	// case an error detail quotes the key.
	redact *strings.Replacer
}

// New returns a client. WithFlinkURL, WithOrganization and WithEnvironment
// are required; a missing or bad option is an error wrapping
// [ErrInvalidOption].
func New(opts ...Option) (*Client, error) {
	o := options{
		httpClient:  http.DefaultClient,
		logger:      zap.NewNop(),
		retry:       RetryPolicy{MaxAttempts: defaultAttempts, BaseDelay: defaultBaseDelay, MaxDelay: defaultMaxDelay},
		pollInitial: defaultPollInitial,
		pollMax:     defaultPollMax,
		timeout:     defaultTimeout,
		pageSize:    maxPageSize,
		version:     defaultVersion,
	}
	if err := WithCloudURL(defaultCloudURL)(&o); err != nil {
		return nil, err
	}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	switch {
	case o.flinkURL == nil:
		return nil, invalid("WithFlinkURL is required")
	case o.orgID == "":
		return nil, invalid("WithOrganization is required")
	case o.envID == "":
		return nil, invalid("WithEnvironment is required")
	}
	c := &Client{
		opts:      o,
		log:       o.logger.Named("confluent"),
		flink:     endpoint{base: o.flinkURL, auth: o.flinkAuth.header},
		cloud:     endpoint{base: o.cloudURL, auth: o.cloudAuth.header},
		userAgent: "shiftleft/" + o.version,
	}
	var secrets []string
	for _, cr := range []credentials{o.flinkAuth, o.cloudAuth} {
		for _, s := range []string{strings.TrimPrefix(cr.header, "Basic "), cr.secret, cr.key} {
			// Confluent keys have 16 characters and secrets 64; replacing
			// a shorter test value such as "s" would garble every message.
			if len(s) >= minRedacted {
				secrets = append(secrets, s, "[redacted]")
			}
		}
	}
	c.redact = strings.NewReplacer(secrets...)
	hc := *o.httpClient
	hc.CheckRedirect = checkRedirect
	c.http = &hc
	return c, nil
}

// minRedacted is the length under which a credential is not looked for in
// server text.
const minRedacted = 8

// withTimeout applies the default timeout when ctx has no deadline.
func (c *Client) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, c.opts.timeout)
}

// statementsPath is the statements collection, or one statement's path when
// names are given (a name, then sub-resources such as "exceptions").
func (c *Client) statementsPath(elems ...string) string {
	return strings.Join(append([]string{"/sql/v1/organizations", c.opts.orgID, "environments", c.opts.envID, "statements"}, elems...), "/")
}

// poolsPath is the compute pools collection, or one pool's path.
func poolsPath(elems ...string) string {
	return strings.Join(append([]string{"/fcpm/v2/compute-pools"}, elems...), "/")
}
