package githubstatus

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/internal/backoff"
)

// secondaryDefaultWait is GitHub's advice for a secondary rate limit that
// says neither how long nor until when: wait at least a minute.
const secondaryDefaultWait = time.Minute

// call sends one API request through go-github, retrying as the policy
// allows. op names the request in errors and logs. safe says the request may
// be sent twice; an unsafe one (a create) is retried only after a rate
// limit, which GitHub answers without acting. The error is ctx.Err() as is
// when ctx ends, else op and an [*APIError] or the transport's error.
func (c *Client) call(ctx context.Context, op string, safe bool, send func(context.Context) (*github.Response, error)) error {
	for attempt := 1; ; attempt++ {
		resp, err := send(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		retryAt, limited := rateLimitedUntil(resp, err, time.Now())
		final := fmt.Errorf("%s: %w", op, c.apiError(resp, err, retryAt))
		var wait time.Duration
		switch {
		case limited:
			wait = max(time.Until(retryAt), 0)
			if wait > c.retry.MaxWait || beyondDeadline(ctx, wait) {
				return final
			}
		case safe && transient(resp):
			wait = c.retry.backoff(attempt)
		default:
			return final
		}
		if attempt >= c.retry.MaxAttempts {
			return final
		}
		c.log.Warn("github request failed; retrying", zap.String("op", op),
			zap.Int("attempt", attempt), zap.Duration("wait", wait), zap.Error(final))
		if err := backoff.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// rateLimitedUntil reports whether an answer is a rate limit, and until
// when. GitHub's order: Retry-After first, then an exhausted quota's
// X-RateLimit-Reset. go-github also refuses by itself, without sending,
// while a limit it saw earlier lasts; those errors carry no headers.
func rateLimitedUntil(resp *github.Response, err error, now time.Time) (time.Time, bool) {
	status := 0
	if resp != nil && resp.Response != nil {
		status = resp.StatusCode
	}
	if status == http.StatusForbidden || status == http.StatusTooManyRequests {
		h := resp.Header
		if s, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After"))); err == nil && s >= 0 {
			return now.Add(time.Duration(s) * time.Second), true
		}
		if h.Get("X-RateLimit-Remaining") == "0" {
			if reset, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
				return time.Unix(reset, 0), true
			}
		}
	}
	var primary *github.RateLimitError
	if errors.As(err, &primary) && !primary.Rate.Reset.IsZero() {
		return primary.Rate.Reset.Time, true
	}
	var secondary *github.AbuseRateLimitError
	if errors.As(err, &secondary) && secondary.RetryAfter != nil {
		return now.Add(*secondary.RetryAfter), true
	}
	if errors.As(err, &secondary) || status == http.StatusTooManyRequests {
		return now.Add(secondaryDefaultWait), true
	}
	return time.Time{}, false
}

// transient reports whether a failure may pass on another attempt: a 5xx, or
// no answer at all (the connection failed or was cut).
func transient(resp *github.Response) bool {
	return resp == nil || resp.Response == nil || resp.StatusCode >= 500
}

// mayHaveActed reports whether a failed request may have reached GitHub and
// been carried out: anything but an answer under 500 or the end of ctx.
func mayHaveActed(ctx context.Context, err error) bool {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode >= 500
	}
	return ctx.Err() == nil
}

// apiError turns go-github's error into an [*APIError] when GitHub answered
// (or go-github refused on its behalf); a transport error is returned as is.
func (c *Client) apiError(resp *github.Response, err error, retryAt time.Time) error {
	if resp == nil || resp.Response == nil || resp.StatusCode < 300 {
		return err
	}
	var message string
	var plain *github.ErrorResponse
	var primary *github.RateLimitError
	var secondary *github.AbuseRateLimitError
	switch {
	case errors.As(err, &plain):
		message = plain.Message
	case errors.As(err, &primary):
		message = primary.Message
	case errors.As(err, &secondary):
		message = secondary.Message
	}
	e := &APIError{
		StatusCode: resp.StatusCode,
		// GitHub's text could quote what it was sent.
		Message: strings.ReplaceAll(message, c.token, "[redacted]"),
		RetryAt: retryAt,
	}
	if req := resp.Request; req != nil {
		e.Method, e.Path = req.Method, req.URL.Path
	}
	return e
}

// backoff is the wait before attempt n+1 after a transient failure.
func (p RetryPolicy) backoff(attempt int) time.Duration {
	return backoff.Jitter(p.BaseDelay, p.MaxWait, attempt)
}

func beyondDeadline(ctx context.Context, wait time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return ok && time.Until(deadline) < wait
}
