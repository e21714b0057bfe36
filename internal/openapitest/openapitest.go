// Package openapitest checks HTTP traffic against OpenAPI 3.0 specifications
// in tests: a Validator wraps an http.RoundTripper, validates every request it
// sends and every response it gets back with kin-openapi, and records each
// violation so a test can list them all at once instead of failing on the
// first. It is test support: import it only from _test.go files.
//
// Left to kin-openapi as it is: application/json-patch+json bodies (the
// statement PATCH) are decoded by its built-in decoder for that type, and
// x-extensible-enum lists (statement phases, pool clouds) are not enforced,
// which is their point: servers may add values.
package openapitest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/shiftleft/shiftleft/internal/corpus"
)

// ConfluentSpecs returns the paths of the Confluent Cloud specifications that
// shiftleft's client and emulator follow (SQL API sql/v1 and compute pools
// fcpm/v2), skipping the test when the shared reference folder is absent.
func ConfluentSpecs(tb testing.TB) []string {
	tb.Helper()
	dir := corpus.Dir(tb, "reference", "openapi")
	return []string{
		filepath.Join(dir, "flink-gateway-v1.yaml"),
		filepath.Join(dir, "fcpm-v2.yaml"),
	}
}

// Validator validates HTTP exchanges against a set of OpenAPI documents. It
// is safe for concurrent use.
type Validator struct {
	routers []routers.Router
	options *openapi3filter.Options

	mu         sync.Mutex
	violations []string
	covered    map[string]int
}

// New loads and validates the given specification files and returns a
// Validator routing requests to their operations. It fails tb when a file
// cannot be loaded.
func New(tb testing.TB, specFiles ...string) *Validator {
	tb.Helper()
	if len(specFiles) == 0 {
		tb.Fatal("openapitest.New: no specification files")
	}
	v := &Validator{
		options: &openapi3filter.Options{
			// Report every problem of a message, not only the first.
			MultiError: true,
			// A status the operation does not declare is a violation.
			IncludeResponseStatus: true,
			// Validation must not rewrite what the client sent.
			SkipSettingDefaults: true,
			AuthenticationFunc:  authenticate,
			SchemaValidationOptions: []openapi3.SchemaValidationOption{
				// One line per problem; the full schema dumps drown them.
				openapi3.DisableSchemaErrorDetails(),
				// kin-openapi checks no "uuid" or "uri" format unless told
				// to. organization_id path parameters are format: uuid and
				// the tests use UUIDs, so keep them strict; self, related
				// and Location are format: uri, so they must be absolute.
				openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562)),
				openapi3.WithStringFormatValidator("uri", openapi3.NewCallbackValidator(absoluteURI)),
			},
		},
		covered: make(map[string]int),
	}
	for _, file := range specFiles {
		doc, err := openapi3.NewLoader().LoadFromFile(file)
		if err != nil {
			tb.Fatalf("openapitest: load %s: %v", file, err)
		}
		// The servers name Confluent's hosts while tests talk to
		// http://127.0.0.1:<port>; without servers the router matches the
		// path alone.
		doc.Servers = nil
		relaxRequestBodies(doc)
		// Several schema examples in flink-gateway-v1.yaml contradict their
		// own schemas (e.g. components/schemas/sql.v1.StatementList/example
		// repeats "" as data items under uniqueItems, and
		// sql.v1.Agent/example/metadata is "" where an object is required).
		// Examples never reach the wire, so they are not checked.
		router, err := legacy.NewRouter(doc, openapi3.DisableExamplesValidation())
		if err != nil {
			tb.Fatalf("openapitest: %s: %v", file, err)
		}
		v.routers = append(v.routers, router)
	}
	return v
}

// relaxRequestBodies makes every request body schema of doc a request view
// (see requestView).
func relaxRequestBodies(doc *openapi3.T) {
	done := make(map[*openapi3.Schema]*openapi3.Schema)
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.RequestBody == nil || op.RequestBody.Value == nil {
				continue
			}
			for _, media := range op.RequestBody.Value.Content {
				media.Schema = requestView(media.Schema, done)
			}
		}
	}
}

// requestView returns a copy of the schema graph under ref in which readOnly
// schemas require nothing. OpenAPI 3.0 says a readOnly property that is
// required is required in responses only; kin-openapi applies that to
// readOnly properties but not to the required list of a readOnly object.
// The statement PUT (updateSqlv1Statement) must send metadata, which it
// requires with metadata.resource_version, but metadata is
// components/schemas/StatementObjectMeta, readOnly with required: [self],
// so kin-openapi would demand the server-assigned self URL in the request.
// The copy leaves the shared response schemas, where self stays required,
// untouched. (kin-openapi does not flag metadata itself as readOnly: the
// metadata property of sql.v1.Statement is an allOf around
// StatementObjectMeta, and only property schemas are checked for readOnly.)
// The readOnly checks themselves stay on: api_version, kind or
// spec.execution_mode in a POST or PUT body is still a violation.
func requestView(ref *openapi3.SchemaRef, done map[*openapi3.Schema]*openapi3.Schema) *openapi3.SchemaRef {
	if ref == nil || ref.Value == nil {
		return ref
	}
	view := *ref
	if c, ok := done[ref.Value]; ok {
		view.Value = c
		return &view
	}
	c := *ref.Value
	// Registered before recursing so that recursive schemas terminate.
	done[ref.Value] = &c
	view.Value = &c
	if c.ReadOnly {
		c.Required = nil
	}
	if c.Properties != nil {
		c.Properties = make(openapi3.Schemas, len(ref.Value.Properties))
		for name, p := range ref.Value.Properties {
			c.Properties[name] = requestView(p, done)
		}
	}
	c.AllOf = requestViews(c.AllOf, done)
	c.AnyOf = requestViews(c.AnyOf, done)
	c.OneOf = requestViews(c.OneOf, done)
	c.Not = requestView(c.Not, done)
	c.Items = requestView(c.Items, done)
	c.AdditionalProperties.Schema = requestView(c.AdditionalProperties.Schema, done)
	return &view
}

func requestViews(refs openapi3.SchemaRefs, done map[*openapi3.Schema]*openapi3.Schema) openapi3.SchemaRefs {
	if refs == nil {
		return nil
	}
	views := make(openapi3.SchemaRefs, len(refs))
	for i, r := range refs {
		views[i] = requestView(r, done)
	}
	return views
}

// absoluteURI accepts what RFC 3986 calls a URI: a scheme and the rest.
func absoluteURI(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if !u.IsAbs() {
		return fmt.Errorf("%q is not an absolute URI", s)
	}
	return nil
}

// authenticate stands in for the server's credential check: the specs
// declare HTTP Basic (API keys) and OAuth2 bearer tokens, so a secured
// operation needs an Authorization header of the matching kind. Credentials
// are not verified (they are fake in tests) and never echoed in messages.
func authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	req := in.RequestValidationInput.Request
	scheme := in.SecurityScheme
	switch {
	case scheme.Type == "http" && strings.EqualFold(scheme.Scheme, "basic"):
		if user, _, ok := req.BasicAuth(); !ok || user == "" {
			return in.NewError(errors.New("no HTTP Basic credentials in Authorization header"))
		}
	case scheme.Type == "oauth2", scheme.Type == "http" && strings.EqualFold(scheme.Scheme, "bearer"):
		if token, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer "); !ok || token == "" {
			return in.NewError(errors.New("no bearer token in Authorization header"))
		}
	default:
		return in.NewError(fmt.Errorf("security scheme type %q is not supported by openapitest", scheme.Type))
	}
	return nil
}

// RoundTripper returns a transport that sends each request through base
// (http.DefaultTransport when nil) and validates both the request and the
// response, recording violations on v. The request is forwarded even when
// it is invalid so a test reports every violation of a scenario at once.
func (v *Validator) RoundTripper(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &roundTripper{v: v, base: base}
}

type roundTripper struct {
	v    *Validator
	base http.RoundTripper
}

func (rt *roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := readAll(req.Body)
	if err != nil {
		return nil, fmt.Errorf("openapitest: read request body: %w", err)
	}
	// A RoundTripper must not modify its request, so validation and the
	// base transport each get a clone with their own copy of the body.
	out := withBody(req, body)
	var problems []string
	input, err := rt.v.validateRequest(withBody(req, body))
	if err != nil {
		problems = append(problems, "request: "+err.Error())
	}
	resp, rtErr := rt.base.RoundTrip(out)
	status := "no response"
	if rtErr == nil {
		status = resp.Status
		if input != nil {
			if err := rt.v.validateResponse(input, resp); err != nil {
				problems = append(problems, "response: "+err.Error())
			}
		}
	}
	rt.v.record(req, status, problems)
	return resp, rtErr
}

// readAll reads and closes a request body, which may be nil.
func readAll(body io.ReadCloser) ([]byte, error) {
	if body == nil || body == http.NoBody {
		return nil, nil
	}
	defer body.Close()
	return io.ReadAll(body)
}

// withBody clones req with a fresh reader over body.
func withBody(req *http.Request, body []byte) *http.Request {
	c := req.Clone(req.Context())
	if body == nil {
		c.Body, c.GetBody = nil, nil
		return c
	}
	c.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	c.Body, _ = c.GetBody()
	c.ContentLength = int64(len(body))
	return c
}

// findRoute asks each document's router for the operation of req.
func (v *Validator) findRoute(req *http.Request) (*routers.Route, map[string]string, error) {
	for _, r := range v.routers {
		if route, params, err := r.FindRoute(req); err == nil {
			return route, params, nil
		}
	}
	// The legacy router tells no unknown path from a method the path does
	// not allow, so neither does this message.
	return nil, nil, errors.New("no operation in the specs has this method and path")
}

// validateRequest finds the operation of req and validates req against it.
// The input is nil when there is no operation to validate the response by.
func (v *Validator) validateRequest(req *http.Request) (*openapi3filter.RequestValidationInput, error) {
	route, params, err := v.findRoute(req)
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	v.covered[route.Operation.OperationID]++
	v.mu.Unlock()
	input := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: params,
		Route:      route,
		Options:    v.options,
	}
	return input, openapi3filter.ValidateRequest(req.Context(), input)
}

// validateResponse validates resp against the operation of input, reading
// the body and putting an unread copy back for the caller.
func (v *Validator) validateResponse(input *openapi3filter.RequestValidationInput, resp *http.Response) error {
	body, err := readAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	// kin-openapi skips the body of a response declared without content
	// (the 202 of the statement PUT and DELETE, the 204 of the pool
	// DELETE, every 429); such a response must then have no body.
	if ref := input.Route.Operation.Responses.Status(resp.StatusCode); ref != nil && ref.Value != nil && len(ref.Value.Content) == 0 && len(body) > 0 {
		return fmt.Errorf("status %d is declared without content but the body has %d bytes", resp.StatusCode, len(body))
	}
	return openapi3filter.ValidateResponse(input.Request.Context(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input,
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                v.options,
	})
}

func (v *Validator) record(req *http.Request, status string, problems []string) {
	if len(problems) == 0 {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, p := range problems {
		v.violations = append(v.violations, fmt.Sprintf("%s %s (%s): %s", req.Method, req.URL.Path, status, p))
	}
}

// Violations returns the violations recorded so far, in the order seen.
func (v *Validator) Violations() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return slices.Clone(v.violations)
}

// Covered returns how many exchanges were validated per operationId, so a
// test can assert that its scenario touched every route it must.
func (v *Validator) Covered() map[string]int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return maps.Clone(v.covered)
}

// Check fails tb listing every recorded violation.
func (v *Validator) Check(tb testing.TB) {
	tb.Helper()
	if vs := v.Violations(); len(vs) > 0 {
		tb.Errorf("%d OpenAPI violation(s):\n%s", len(vs), strings.Join(vs, "\n"))
	}
}
