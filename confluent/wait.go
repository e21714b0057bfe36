package confluent

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/internal/backoff"
)

// WaitForPhase polls the statement, at growing intervals (WithPollInterval),
// until its phase is one of want and returns it then; want RUNNING and
// DEGRADED to accept a degraded run. FAILED or FAILING, when not wanted, end
// the wait with a [*StatementFailedError]. Any other phase is waited
// through, STOPPED and COMPLETED included: just after a PUT the previous
// phase can still show. A missing statement is [ErrStatementNotFound]. A
// read failing with a [Retryable] error is made again. When ctx ends, the
// error wraps ctx.Err() and names the last phase seen.
func (c *Client) WaitForPhase(ctx context.Context, name string, want ...Phase) (*Statement, error) {
	if len(want) == 0 {
		return nil, fmt.Errorf("%w: wait for statement %s: no phase to wait for", ErrInvalidRequest, name)
	}
	var found *Statement
	err := c.poll(ctx, name, func(st *Statement, err error) (bool, error) {
		if err != nil {
			return false, err
		}
		switch phase := phaseOf(st); {
		case slices.Contains(want, phase):
			found = st
			return true, nil
		case phase.Failed():
			return false, c.failure(ctx, name, st)
		}
		return false, nil
	})
	return found, err
}

// WaitForDeletion polls the statement until it is gone (404).
func (c *Client) WaitForDeletion(ctx context.Context, name string) error {
	return c.poll(ctx, name, func(_ *Statement, err error) (bool, error) {
		if errors.Is(err, ErrStatementNotFound) {
			return true, nil
		}
		return false, err
	})
}

// poll reads the statement and hands the result to done, until done says
// so or fails. The wait doubles from pollInitial to pollMax.
func (c *Client) poll(ctx context.Context, name string, done func(*Statement, error) (bool, error)) error {
	if err := validateStatementName(name); err != nil {
		return err
	}
	wait := c.opts.pollInitial
	var last Phase
	for {
		st, err := c.GetStatement(ctx, name)
		switch {
		case err != nil && ctx.Err() != nil:
			return waitError(name, last, ctx.Err())
		case Retryable(err):
			// A read that keeps failing says nothing of the statement: a
			// statement just created may well be running. Read again.
			c.log.Warn("cannot read the statement's phase; reading again", zap.String("statement", name), zap.Error(err))
		default:
			if phase := phaseOf(st); phase != last && st != nil {
				last = phase
				c.log.Debug("statement phase", zap.String("statement", name), zap.String("phase", string(phase)))
			}
			if ok, err := done(st, err); ok || err != nil {
				return err
			}
		}
		if err := backoff.Sleep(ctx, wait); err != nil {
			return waitError(name, last, err)
		}
		wait = min(2*wait, c.opts.pollMax)
	}
}

// phaseOf is the statement's phase, "" when it has no status (or no
// statement).
func phaseOf(st *Statement) Phase {
	if st == nil || st.Status == nil {
		return ""
	}
	return st.Status.Phase
}

func waitError(name string, last Phase, err error) error {
	if last == "" {
		return fmt.Errorf("wait for statement %s: no phase seen yet: %w", name, err)
	}
	return fmt.Errorf("wait for statement %s: last phase %s: %w", name, last, err)
}

// failure explains a failed statement: status.detail, else the message of
// the newest exception, as the Confluent CLI does.
func (c *Client) failure(ctx context.Context, name string, st *Statement) error {
	e := &StatementFailedError{Name: name, Phase: st.Status.Phase, Detail: st.Status.Detail}
	if e.Detail != "" {
		return e
	}
	exceptions, err := c.StatementExceptions(ctx, name)
	if err != nil {
		// The failure matters more than why it cannot be explained.
		c.log.Warn("cannot read the exceptions of a failed statement", zap.String("statement", name), zap.Error(err))
		return e
	}
	if newest := newestException(exceptions); newest != nil {
		e.Detail = newest.Message
	}
	return e
}

// newestException is the exception with the latest timestamp, the first one
// (the spec lists them newest first) when timestamps do not tell.
func newestException(l []StatementException) *StatementException {
	var newest *StatementException
	for i := range l {
		if newest == nil || timeOf(l[i].Timestamp).After(timeOf(newest.Timestamp)) {
			newest = &l[i]
		}
	}
	return newest
}

func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
