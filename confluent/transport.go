package confluent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/internal/backoff"
)

const (
	maxRedirects = 5
	// maxResponseBytes fits a full page of 100 statements of the largest SQL.
	maxResponseBytes = 64 << 20
)

// endpoint is one API host and the Authorization header it takes.
type endpoint struct {
	base *url.URL
	auth string
}

// call is one API request.
type call struct {
	ep       endpoint
	method   string
	path     string
	query    url.Values
	body     any // JSON-encoded when non-nil
	resource string
	// once marks a create that has no way to recognise its own lost
	// attempt: it is retried only when the server surely did not act on it
	// (429, connection refused).
	once bool
}

// response is the final answer to a call.
type response struct {
	status int
	header http.Header
	body   []byte
	// replayed: an earlier attempt may have reached the server and its answer
	// was lost (network error or 5xx), so a 409 on a create may be our own.
	replayed bool
}

// do sends the call, retrying as the policy allows, and decodes a 2xx body
// into out when out is not nil. Any other final status is returned as an
// *APIError together with the response. When ctx ends, do returns ctx.Err().
func (c *Client) do(ctx context.Context, cl call, out any) (*response, error) {
	var payload []byte
	if cl.body != nil {
		var err error
		if payload, err = json.Marshal(cl.body); err != nil {
			return nil, fmt.Errorf("encode %s %s: %w", cl.method, cl.path, err)
		}
	}
	u := *cl.ep.base
	u.Path += cl.path
	u.RawQuery = cl.query.Encode()
	target := u.String()
	log := c.log.With(zap.String("method", cl.method), zap.String("path", cl.path))

	replayed := false
	for attempt := 1; ; attempt++ {
		res, err := c.send(ctx, log, cl, target, payload, attempt)
		c.opts.metrics.observe(res, err)
		traced(ctx, res)
		if err != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		retry, ambiguous := false, false
		switch {
		case err != nil:
			ambiguous = !unsent(err)
			retry = transient(err) && !(cl.once && ambiguous)
		case res.status == http.StatusTooManyRequests:
			retry = true
		case retryableStatus(res.status):
			ambiguous = true
			retry = !cl.once
		}
		if !retry || attempt >= c.opts.retry.MaxAttempts {
			if err != nil {
				return nil, fmt.Errorf("%s %s: attempt %d: %w", cl.method, cl.path, attempt, err)
			}
			res.replayed = replayed
			return res, c.check(cl, res, out)
		}
		replayed = replayed || ambiguous
		retryAfter := ""
		if res != nil {
			retryAfter = res.header.Get("Retry-After")
		}
		wait := c.opts.retry.delay(attempt, retryAfter)
		fields := []zap.Field{zap.Int("attempt", attempt), zap.Duration("wait", wait)}
		if err != nil {
			fields = append(fields, zap.Error(err))
		} else {
			fields = append(fields, zap.Int("status", res.status))
		}
		log.Warn("retrying request", fields...)
		if err := backoff.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// remove sends a DELETE. A 404 after an attempt whose answer was lost means
// that attempt did the deletion.
func (c *Client) remove(ctx context.Context, cl call) error {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	res, err := c.do(ctx, cl, nil)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound && res.replayed {
		return nil
	}
	return err
}

// send makes one attempt and reads the whole answer.
func (c *Client) send(ctx context.Context, log *zap.Logger, cl call, target string, payload []byte, attempt int) (*response, error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, target, body)
	if err != nil {
		return nil, err
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if cl.ep.auth != "" {
		req.Header.Set("Authorization", cl.ep.auth)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, err
	}
	log.Debug("response", zap.Int("attempt", attempt), zap.Int("status", resp.StatusCode),
		zap.String("request_id", resp.Header.Get("X-Request-Id")), zap.Duration("took", time.Since(start)))
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// check decodes a 2xx answer into out, or turns another one into an
// *APIError.
func (c *Client) check(cl call, res *response, out any) error {
	if res.status < 200 || res.status > 299 {
		return c.apiError(cl, res)
	}
	if out == nil {
		return nil
	}
	if len(res.body) == 0 {
		return fmt.Errorf("%s %s: %d with an empty body", cl.method, cl.path, res.status)
	}
	if err := json.Unmarshal(res.body, out); err != nil {
		return fmt.Errorf("decode %s %s: %w", cl.method, cl.path, err)
	}
	return nil
}

// apiError builds the error from the first error of a JSON:API Failure body.
// Other bodies (a proxy's HTML page, which might echo request headers) are
// not quoted: the status text stands in for the title.
func (c *Client) apiError(cl call, res *response) *APIError {
	e := &APIError{
		StatusCode: res.status,
		RequestID:  c.redact.Replace(res.header.Get("X-Request-Id")),
		Method:     cl.method,
		Path:       cl.path,
		Resource:   cl.resource,
	}
	var f Failure
	if json.Unmarshal(res.body, &f) == nil && len(f.Errors) > 0 {
		first := f.Errors[0]
		e.Code = c.redact.Replace(first.Code)
		e.Title = c.redact.Replace(first.Title)
		e.Detail = c.redact.Replace(first.Detail)
	}
	if e.Title == "" {
		e.Title = http.StatusText(res.status)
	}
	return e
}

// confluentDomain is where Confluent Cloud serves its APIs: api.confluent.cloud,
// flink.<region>.<cloud>.confluent.cloud and their private-network names.
const confluentDomain = "confluent.cloud"

// checkRedirect follows up to five redirects and decides itself whether the
// Authorization header goes along: Go keeps it for a subdomain or another
// port of the first host and drops it for another host, while the Flink
// gateway may redirect to another Confluent host. The header is kept when
// every hop of the chain is trusted with it, judged against the first
// request (the configured endpoint): the same host — host name and port —
// or, when the endpoint is an https host in confluent.cloud, another https
// host in confluent.cloud (the domain itself or a name ending in
// ".confluent.cloud"). Any other hop — another host or port, a downgrade to
// http — loses it for the rest of the chain, even back on the first host:
// that host was named by a server the credentials do not belong to.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	first := via[0]
	auth := first.Header.Get("Authorization")
	req.Header.Del("Authorization")
	if auth == "" {
		return nil
	}
	for _, hop := range append(via[1:], req) {
		if !trusted(first.URL, hop.URL) {
			return nil
		}
	}
	req.Header.Set("Authorization", auth)
	return nil
}

// trusted reports whether a request to next may carry the credentials of
// endpoint; see checkRedirect.
func trusted(endpoint, next *url.URL) bool {
	switch {
	case endpoint.Scheme == "https" && next.Scheme != "https":
		return false
	case strings.EqualFold(endpoint.Hostname(), next.Hostname()) && port(endpoint) == port(next):
		return true
	}
	return next.Scheme == "https" && inConfluent(endpoint.Hostname()) && inConfluent(next.Hostname())
}

// port is u's port, the scheme's default when none is written.
func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

func inConfluent(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	return host == confluentDomain || strings.HasSuffix(host, "."+confluentDomain)
}

func retryableStatus(status int) bool {
	switch status {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// transient reports whether a network error may pass on a new attempt.
func transient(err error) bool {
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.As(err, &ne) && ne.Timeout()
}

// unsent reports whether the request surely never reached the server: the
// connection was not even made.
func unsent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
