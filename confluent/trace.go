package confluent

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Trace is told the answer to every request a call makes under a context
// carrying it ([WithTrace]), retries included, as net/http/httptrace does
// for connections: a caller running many calls at once can adapt its pace
// to the API's answers, which the client's own retries otherwise hide.
// Its functions may be called from many goroutines at once.
type Trace struct {
	// Throttled is called on a 429 answer with its Retry-After (0 when it
	// has none or one the client does not read).
	Throttled func(retryAfter time.Duration)
	// Answered is called on any other answer.
	Answered func(status int)
}

type traceKey struct{}

// WithTrace returns ctx carrying t.
func WithTrace(ctx context.Context, t *Trace) context.Context {
	return context.WithValue(ctx, traceKey{}, t)
}

// traced tells the context's trace, if any, of one answer.
func traced(ctx context.Context, res *response) {
	t, _ := ctx.Value(traceKey{}).(*Trace)
	switch {
	case t == nil || res == nil:
	case res.status == http.StatusTooManyRequests && t.Throttled != nil:
		t.Throttled(retryAfterOf(res.header.Get("Retry-After")))
	case res.status != http.StatusTooManyRequests && t.Answered != nil:
		t.Answered(res.status)
	}
}

// retryAfterOf reads a Retry-After of integer seconds, as the specs
// declare it; 0 for anything else.
func retryAfterOf(v string) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 0
}
