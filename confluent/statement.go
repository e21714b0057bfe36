package confluent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strconv"

	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/internal/backoff"
)

// statementCall is a call on the statements collection, or on one
// statement and its sub-resources when elems are given.
func (c *Client) statementCall(method string, body any, elems ...string) call {
	return call{ep: c.flink, method: method, path: c.statementsPath(elems...), body: body, resource: ResourceStatement}
}

// CreateStatement creates a statement (POST, 201) and returns it as the
// server answered, usually PENDING. A taken name is [ErrAlreadyExists],
// except after a retry whose first answer was lost: then the statement of
// that name is read, and returned as created when its SQL is r.SQL.
func (c *Client) CreateStatement(ctx context.Context, r StatementRequest) (*Statement, error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	body := statementCreate{
		Name:           r.Name,
		OrganizationID: c.opts.orgID,
		EnvironmentID:  c.opts.envID,
		Spec: StatementSpec{
			Statement:     r.SQL,
			Properties:    r.Properties,
			ComputePoolID: r.ComputePoolID,
			Principal:     r.Principal,
			Stopped:       new(bool), // false: start it
		},
	}
	if len(r.Labels) > 0 {
		body.Metadata = &labelsOnly{Labels: r.Labels}
	}
	var st Statement
	res, err := c.do(ctx, c.statementCall(http.MethodPost, body), &st)
	if err == nil {
		return &st, nil
	}
	if !errors.Is(err, ErrAlreadyExists) || !res.replayed {
		return nil, err
	}
	existing, _, gerr := c.getStatement(ctx, r.Name)
	if gerr != nil {
		return nil, fmt.Errorf("create statement %s: 409 after a lost answer, then: %w", r.Name, gerr)
	}
	if existing.Spec.Statement != r.SQL {
		return nil, err
	}
	c.log.Info("statement was created by an attempt whose answer was lost", zap.String("statement", r.Name))
	return existing, nil
}

// ValidateStatement asks the server to parse and check r against its
// catalog without running it (property sql.dry-run): nil when it would run,
// a [*StatementFailedError] with the reason when it would fail. Nothing is
// created, so r.Name may be one in use.
func (c *Client) ValidateStatement(ctx context.Context, r StatementRequest) error {
	r.Properties = maps.Clone(r.Properties)
	if r.Properties == nil {
		r.Properties = map[string]string{}
	}
	r.Properties[PropertyDryRun] = "true"
	st, err := c.CreateStatement(ctx, r)
	if err != nil {
		return err
	}
	if phase := phaseOf(st); phase.Failed() {
		return c.failure(ctx, r.Name, st)
	} else if phase != PhaseCompleted {
		return fmt.Errorf("validate statement %s: the dry run answered %s, not COMPLETED or FAILED", r.Name, phase)
	}
	return nil
}

// GetStatement returns the statement; [ErrStatementNotFound] when there is
// none of that name.
func (c *Client) GetStatement(ctx context.Context, name string) (*Statement, error) {
	if err := validateStatementName(name); err != nil {
		return nil, err
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	st, _, err := c.getStatement(ctx, name)
	return st, err
}

// getStatement returns the statement and its JSON as read.
func (c *Client) getStatement(ctx context.Context, name string) (*Statement, []byte, error) {
	var st Statement
	res, err := c.do(ctx, c.statementCall(http.MethodGet, nil, name), &st)
	if err != nil {
		return nil, nil, err
	}
	return &st, res.body, nil
}

// ListStatements returns every statement of the environment that o selects,
// all pages.
func (c *Client) ListStatements(ctx context.Context, o ListOptions) ([]Statement, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	q := url.Values{"page_size": {strconv.Itoa(c.opts.pageSize)}}
	if o.ComputePoolID != "" {
		q.Set("spec.compute_pool_id", o.ComputePoolID)
	}
	if o.LabelSelector != "" {
		q.Set("label_selector", o.LabelSelector)
	}
	// No resource: a 404 here is about the environment, not a statement.
	return listAll[Statement](ctx, c, call{ep: c.flink, method: http.MethodGet, path: c.statementsPath(), query: q})
}

// DeleteStatement asks for the statement's deletion (202), which goes on in
// the background: see [Client.WaitForDeletion]. [ErrStatementNotFound] when
// there is none of that name, unless an earlier attempt whose answer was
// lost deleted it.
func (c *Client) DeleteStatement(ctx context.Context, name string) error {
	if err := validateStatementName(name); err != nil {
		return err
	}
	return c.remove(ctx, c.statementCall(http.MethodDelete, nil, name))
}

// StopStatement sets spec.stopped (GET, then PUT of the object, 202).
// It returns at once, nothing to do when the statement is already stopped;
// wait for [PhaseStopped] with [Client.WaitForPhase].
func (c *Client) StopStatement(ctx context.Context, name string) error {
	return c.updateStatement(ctx, name, func(st *Statement) (map[string]any, error) {
		if st.Spec.Stopped != nil && *st.Spec.Stopped {
			return nil, nil
		}
		return map[string]any{"stopped": true}, nil
	})
}

// ResumeStatement clears spec.stopped and, when newPoolID is not empty,
// moves the statement to that compute pool (in the same region), which the
// API allows only on resume. Nothing to do when the statement runs in that
// pool already; a running statement asked to change pools is
// [ErrInvalidRequest].
func (c *Client) ResumeStatement(ctx context.Context, name, newPoolID string) error {
	if newPoolID != "" && !isID(newPoolID) {
		return fmt.Errorf("%w: compute pool id %q", ErrInvalidRequest, newPoolID)
	}
	return c.updateStatement(ctx, name, func(st *Statement) (map[string]any, error) {
		// The backend may stop a statement by itself (STOPPED phase with
		// spec.stopped still false); resuming it is then still a change.
		stopped := st.Spec.Stopped != nil && *st.Spec.Stopped || st.Status != nil && st.Status.Phase == PhaseStopped
		samePool := newPoolID == "" || newPoolID == st.Spec.ComputePoolID
		switch {
		case !stopped && samePool:
			return nil, nil
		case !stopped:
			return nil, fmt.Errorf("%w: statement %s is not stopped, so it cannot move to compute pool %s", ErrInvalidRequest, name, newPoolID)
		}
		set := map[string]any{"stopped": false}
		if newPoolID != "" {
			set["compute_pool_id"] = newPoolID
		}
		return set, nil
	})
}

// updateStatement reads the statement, asks change which spec fields to set
// (none: nothing to do) and PUTs the object back (see putBody) with the
// resource_version it was read with. A 409 means it changed in between: read it again and
// retry, as the spec says, up to the retry policy's attempts; a PUT whose
// lost answer was a success also ends here, change then finding nothing
// to do.
func (c *Client) updateStatement(ctx context.Context, name string, change func(*Statement) (map[string]any, error)) error {
	if err := validateStatementName(name); err != nil {
		return err
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	for attempt := 1; ; attempt++ {
		st, raw, err := c.getStatement(ctx, name)
		if err != nil {
			return err
		}
		set, err := change(st)
		if err != nil || set == nil {
			return err
		}
		body, err := putBody(raw, set)
		if err != nil {
			return fmt.Errorf("update statement %s: %w", name, err)
		}
		_, err = c.do(ctx, c.statementCall(http.MethodPut, json.RawMessage(body), name), nil)
		if !errors.Is(err, ErrConflict) || attempt >= c.opts.retry.MaxAttempts {
			return err
		}
		c.log.Info("statement changed since it was read, reading it again",
			zap.String("statement", name), zap.Int("attempt", attempt))
		if err := backoff.Sleep(ctx, c.opts.retry.delay(attempt, "")); err != nil {
			return err
		}
	}
}

// StatementExceptions returns the statement's latest exceptions (at most
// ten, newest first per the spec); [ErrStatementNotFound] when there is no
// statement of that name.
func (c *Client) StatementExceptions(ctx context.Context, name string) ([]StatementException, error) {
	if err := validateStatementName(name); err != nil {
		return nil, err
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	var l StatementExceptionList
	if _, err := c.do(ctx, c.statementCall(http.MethodGet, nil, name, "exceptions"), &l); err != nil {
		return nil, err
	}
	return l.Data, nil
}
