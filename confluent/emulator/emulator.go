package emulator

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// Emulator is an http.Handler that behaves like Confluent Cloud for Apache
// Flink. It is safe for concurrent use.
type Emulator struct {
	opt options
	mux *http.ServeMux

	// mu guards everything below; requests are served one at a time once
	// read, which keeps the model simple and is fast enough for thousands
	// of statements.
	mu       sync.Mutex
	m        *model
	events   events
	gen      uint64 // last event generation
	dirty    bool   // the model changed since it was last saved
	faults   Faults
	rng      *rand.Rand
	counters Counters
	buckets  map[string]*bucket        // of the rate limit, by organization
	sessions map[string]*dryRunSession // by environment and session label
	closed   bool                      // Close was called: the state file is written at once

	requests atomic.Uint64 // numbers X-Request-Id
	wake     chan struct{} // tells the background loop the next event may have moved
	saveKick chan struct{} // tells the saver the model changed
	done     chan struct{}
	bg       sync.WaitGroup // the background goroutines
	closing  sync.Once
}

// New builds an emulator. With StateFile, it loads the file when it exists;
// the error then wraps ErrStateFile if it cannot.
func New(opts ...Option) (*Emulator, error) {
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	e := &Emulator{opt: o, mux: http.NewServeMux(), done: make(chan struct{})}
	e.resetLocked()
	if o.stateFile != "" {
		if err := e.load(); err != nil {
			return nil, err
		}
	}
	e.m.addGlobal(o.external)
	e.routes()
	if o.clock == nil {
		e.wake = make(chan struct{}, 1)
		e.background(true, e.loop)
	}
	e.background(o.processInterval > 0, e.processLoop)
	if o.stateFile != "" && o.saveInterval > 0 {
		e.saveKick = make(chan struct{}, 1)
		e.background(true, e.saver)
	}
	return e, nil
}

func (e *Emulator) background(on bool, run func()) {
	if !on {
		return
	}
	e.bg.Add(1)
	go func() {
		defer e.bg.Done()
		run()
	}()
}

// Close stops the background goroutines and writes the state file if it has
// changes not written yet. The emulator still answers requests afterwards,
// advancing lazily and writing the state file on each change.
func (e *Emulator) Close() error {
	e.closing.Do(func() { close(e.done) })
	e.bg.Wait()
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	return e.flush()
}

// now is the emulator's clock: the real one or Clock's, moved on by POST
// /_emulator/clock.
func (e *Emulator) now() time.Time {
	base := time.Now()
	if e.opt.clock != nil {
		base = e.opt.clock()
	}
	return base.UTC().Add(e.m.ClockOffset)
}

// processLoop moves records every ProcessInterval.
func (e *Emulator) processLoop() {
	t := time.NewTicker(e.opt.processInterval)
	defer t.Stop()
	for {
		select {
		case <-e.done:
			return
		case <-t.C:
			e.mu.Lock()
			now := e.now()
			e.advance(now)
			e.tick("", now)
			e.save()
			e.mu.Unlock()
		}
	}
}

// loop makes phase changes when they are due, with the real clock only, so
// a client that just waits sees them and the state file follows.
func (e *Emulator) loop() {
	t := time.NewTimer(time.Hour)
	t.Stop()
	for {
		e.mu.Lock()
		next, ok := e.nextEvent()
		wait := next.Sub(e.now())
		e.mu.Unlock()
		if ok {
			t.Reset(max(0, wait))
		}
		select {
		case <-e.done:
			t.Stop()
			return
		case <-e.wake:
			t.Stop()
		case <-t.C:
			e.mu.Lock()
			e.advance(e.now())
			e.save()
			e.mu.Unlock()
		}
	}
}

func (e *Emulator) wakeLoop() {
	select {
	case e.wake <- struct{}{}:
	default: // already woken, or no loop (nil channel)
	}
}

const requestIDHeader = "X-Request-Id"

// ServeHTTP answers one request. Every answer has an X-Request-Id and a JSON
// body type; a panic becomes a logged 500 Failure.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := uid(e.requests.Add(1))
	w.Header().Set(requestIDHeader, id)
	w.Header().Set("Content-Type", "application/json")
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			e.opt.log.Error("emulator: handler panicked", zap.String("request_id", id),
				zap.String("method", r.Method), zap.String("path", r.URL.Path), zap.Any("panic", v), zap.Stack("stack"))
			writeError(w, id, &apiError{status: http.StatusInternalServerError, code: codeInternal,
				detail: "the emulator failed on this request; see its log"})
		}
	}()
	e.mux.ServeHTTP(w, r)
}

// handler serves one route with the model locked and already advanced to
// c.now. It returns the status, extra headers and a body to encode (nil for
// none), or an error, answered as a Failure when it is an *apiError.
type handler func(c *call) (response, error)

type response struct {
	status int
	header http.Header
	body   any
}

// call is one request as handlers see it.
type call struct {
	r    *http.Request
	id   string
	now  time.Time
	base string // scheme://host of the request, for absolute URLs
	body []byte
}

func (c *call) path(name string) string { return c.r.PathValue(name) }

// Route documents a route of the emulator, for help texts.
type Route struct {
	Method, Path string
	// Doc says what it does, and its body when it takes one.
	Doc string
	// Admin routes, under /_emulator/, need no credentials and are never
	// faulted.
	Admin bool
}

// route is a Route and its handler, a method expression.
type route struct {
	Route
	fn func(*Emulator, *call) (response, error)
}

const (
	statementsPath = "/sql/v1/organizations/{org}/environments/{env}/statements"
	statementPath  = statementsPath + "/{name}"
	poolsPath      = "/fcpm/v2/compute-pools"
	poolPath       = poolsPath + "/{id}"
)

// allRoutes is every route the emulator serves.
var allRoutes = []route{
	{Route{"GET", statementsPath, "list statements (page_size, page_token, spec.compute_pool_id, label_selector)", false}, (*Emulator).listStatements},
	{Route{"POST", statementsPath, "create a statement (sql.dry-run: \"true\" checks it and keeps nothing)", false}, (*Emulator).createStatement},
	{Route{"GET", statementPath, "read a statement", false}, (*Emulator).getStatement},
	{Route{"PUT", statementPath, "stop or resume it (spec.stopped, metadata.resource_version)", false}, (*Emulator).putStatement},
	{Route{"PATCH", statementPath, "the same as a JSON Patch", false}, (*Emulator).patchStatement},
	{Route{"DELETE", statementPath, "delete a statement", false}, (*Emulator).deleteStatementRoute},
	{Route{"GET", statementPath + "/exceptions", "its ten newest exceptions", false}, (*Emulator).statementExceptions},
	{Route{"GET", statementPath + "/results", "its results (always empty)", false}, (*Emulator).statementResults},
	{Route{"GET", poolsPath, "list compute pools (environment)", false}, (*Emulator).listPools},
	{Route{"POST", poolsPath, "create a compute pool", false}, (*Emulator).createPool},
	{Route{"GET", poolPath, "read a compute pool (environment)", false}, (*Emulator).getPool},
	{Route{"PATCH", poolPath, "change display_name, max_cfu (up only), default_pool", false}, (*Emulator).patchPool},
	{Route{"DELETE", poolPath, "delete a compute pool; its statements fail", false}, (*Emulator).deletePoolRoute},
	{Route{"GET", "/fcpm/v2/regions", "regions, http_endpoint pointing at the emulator", false}, (*Emulator).listRegions},

	{Route{"GET", "/_emulator/state", "tables, statements and pools per environment", true}, (*Emulator).stateRoute},
	{Route{"GET", "/_emulator/counters", `{"creates": {"<statement>": n}, "requests": {"<METHOD route>": n}}`, true}, (*Emulator).countersRoute},
	{Route{"POST", "/_emulator/reset", "forget everything", true}, (*Emulator).resetRoute},
	{Route{"POST", "/_emulator/tables", `{"environment_id": "env-x", "tables": ["a"]} declares topics (no id: every environment)`, true}, (*Emulator).tablesRoute},
	{Route{"GET", "/_emulator/faults", "the injected faults", true}, (*Emulator).getFaultsRoute},
	{Route{"POST", "/_emulator/faults", `{"error_rate": 0.2, "retry_after_seconds": 1, "slow_ms": 50, "lost_response_rate": 0.1, ` +
		`"fail_statements": {"name": "detail"}, "degrade_statements": {"name": "detail"}}`, true}, (*Emulator).setFaultsRoute},
	{Route{"POST", "/_emulator/topics/{table}/records", `{"environment_id": "env-x", "count": n} appends n records to a table no statement writes`, true},
		(*Emulator).recordsRoute},
	{Route{"GET", "/_emulator/topics/{table}", `?environment_id=env-x: {"exists", "records", "distinct_origins", "duplicates", "missing", "deleted"}`, true},
		(*Emulator).topicRoute},
	{Route{"POST", "/_emulator/tick", `{} (or {"environment_id": "env-x"}): running statements read their inputs to the end; {"moved": n}`, true},
		(*Emulator).tickRoute},
	{Route{"GET", "/_emulator/clock", `the emulator's time: {"now": "..."}`, true}, (*Emulator).getClockRoute},
	{Route{"POST", "/_emulator/clock", `{"advance": "720h"} moves the emulator's time forward`, true}, (*Emulator).clockRoute},
	{Route{"GET", "/_emulator/statements/{name}", `?environment_id=env-x: {"phase", "positions", "stateful", "state_origins", "waiting_for"}`, true},
		(*Emulator).statementDataRoute},
}

// Routes lists every route the emulator serves, API routes first.
func Routes() []Route {
	out := make([]Route, len(allRoutes))
	for i, r := range allRoutes {
		out[i] = r.Route
	}
	return out
}

func (e *Emulator) routes() {
	var api, admin []route
	for _, r := range allRoutes {
		if r.Admin {
			admin = append(admin, r)
		} else {
			api = append(api, r)
		}
	}
	e.register(e.api, api)
	e.register(e.admin, admin)
	e.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, w.Header().Get(requestIDHeader), notFound("no route for %s %s", r.Method, r.URL.Path))
	})
}

// register adds routes through wrap, and for each path a method-less
// pattern answering 405 for the methods it lacks: http.ServeMux's own 405
// and 404 have plain-text bodies, and clients expect a Failure.
func (e *Emulator) register(wrap func(handler) http.HandlerFunc, routes []route) {
	allowed := map[string][]string{}
	var paths []string
	for _, rt := range routes {
		fn := rt.fn
		e.mux.HandleFunc(rt.Method+" "+rt.Path, wrap(func(c *call) (response, error) { return fn(e, c) }))
		if allowed[rt.Path] == nil {
			paths = append(paths, rt.Path)
		}
		allowed[rt.Path] = append(allowed[rt.Path], rt.Method)
	}
	for _, p := range paths {
		allow := strings.Join(allowed[p], ", ")
		e.mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			writeError(w, w.Header().Get(requestIDHeader), &apiError{status: http.StatusMethodNotAllowed, code: codeMethod,
				detail: fmt.Sprintf("%s is not allowed on %s", r.Method, r.URL.Path)})
		})
	}
}

// api wraps a route of the Confluent API: counting, slow answers, Basic
// authentication, injected faults, then the handler.
func (e *Emulator) api(fn handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := w.Header().Get(requestIDHeader)
		mutating := r.Method != http.MethodGet && r.Method != http.MethodHead
		e.mu.Lock()
		e.counters.Requests[r.Pattern]++
		slow := time.Duration(e.faults.SlowMS) * time.Millisecond
		retryAfter := e.faults.RetryAfterSeconds
		throttle := e.draw(e.faults.ErrorRate)
		lost := mutating && e.draw(e.faults.LostResponseRate) != 0
		e.mu.Unlock()

		if slow > 0 {
			select {
			case <-time.After(slow):
			case <-r.Context().Done():
				return
			}
		}
		if err := e.authenticate(r); err != nil {
			w.Header().Set("WWW-Authenticate", `Basic realm="Confluent Cloud", error="invalid_key", error_description="The API Key is invalid"`)
			writeError(w, id, err)
			return
		}
		if e.opt.rateLimit > 0 {
			key := "organization " + r.PathValue("org")
			if r.PathValue("org") == "" {
				key = "compute pools"
			}
			e.mu.Lock()
			ok := e.limit(w.Header(), key, e.now())
			e.mu.Unlock()
			if !ok {
				write(w, http.StatusTooManyRequests, nil, nil) // no body, as the specs declare
				return
			}
		}
		if throttle != 0 {
			w.Header().Set("Retry-After", fmt.Sprint(retryAfter))
			if throttle == http.StatusTooManyRequests {
				// Both specs declare the 429 answer without a body.
				write(w, throttle, nil, nil)
				return
			}
			writeError(w, id, injected(throttle))
			return
		}
		body, rerr := readBody(w, r)
		if rerr != nil {
			writeError(w, id, rerr)
			return
		}
		c := &call{r: r, id: id, base: baseURL(r), body: body}
		status, header, out := e.serve(c, fn, mutating)
		if lost {
			// The change is made; only the answer is lost, so a retried
			// create meets its own statement (409).
			writeError(w, id, injected(http.StatusServiceUnavailable))
			return
		}
		write(w, status, header, out)
		e.opt.log.Debug("request", zap.String("request_id", id), zap.String("method", r.Method),
			zap.String("path", r.URL.Path), zap.Int("status", status))
	}
}

// admin wraps an /_emulator/ route: no authentication, never faulted.
func (e *Emulator) admin(fn handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := w.Header().Get(requestIDHeader)
		body, err := readBody(w, r)
		if err != nil {
			writeError(w, id, err)
			return
		}
		c := &call{r: r, id: id, base: baseURL(r), body: body}
		status, header, out := e.serve(c, fn, r.Method != http.MethodGet)
		write(w, status, header, out)
	}
}

// readBody reads the request body before the model is locked, so a slow
// client holds up no one.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, *apiError) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, &apiError{status: http.StatusRequestEntityTooLarge, code: codeTooLarge,
			detail: fmt.Sprintf("The request exceeds %d bytes.", MaxRequestBytes)}
	case err != nil:
		return nil, badRequest("reading the request body: %v", err)
	}
	return body, nil
}

// serve runs fn with the model locked and advanced, encodes its answer while
// the model cannot change, and saves the state after a successful change.
func (e *Emulator) serve(c *call, fn handler, mutating bool) (int, http.Header, []byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c.now = e.now()
	e.advance(c.now)
	resp, err := fn(c)
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			e.opt.log.Error("emulator: request failed", zap.String("request_id", c.id), zap.Error(err))
			ae = &apiError{status: http.StatusInternalServerError, code: codeInternal, detail: err.Error()}
		}
		resp = response{status: ae.status, body: ae.failure(c.id)}
		if ae.location != "" {
			resp.header = http.Header{"Location": {ae.location}}
		}
	} else if mutating {
		e.dirty = true
	}
	e.save()
	var out []byte
	if resp.body != nil {
		var merr error
		if out, merr = json.Marshal(resp.body); merr != nil {
			panic(fmt.Sprintf("encoding a response: %v", merr)) // our own types always encode
		}
	}
	return resp.status, resp.header, out
}

func write(w http.ResponseWriter, status int, header http.Header, body []byte) {
	for k, v := range header {
		w.Header()[k] = v
	}
	w.WriteHeader(status)
	if len(body) > 0 {
		_, _ = w.Write(append(body, '\n'))
	}
}

func writeError(w http.ResponseWriter, requestID string, err *apiError) {
	body, _ := json.Marshal(err.failure(requestID)) // a Failure always encodes
	write(w, err.status, nil, body)
}

// injected is the answer of an injected 503 fault.
func injected(status int) *apiError {
	return &apiError{status: status, code: codeUnavailable, detail: "service unavailable (injected fault)"}
}

// draw reports, for an injected fault of rate r, the status to answer: one
// random number decides both whether and which, half 429 and half 503.
func (e *Emulator) draw(rate float64) int {
	if rate <= 0 {
		return 0
	}
	switch x := e.rng.Float64(); {
	case x < rate/2:
		return http.StatusTooManyRequests
	case x < rate:
		return http.StatusServiceUnavailable
	}
	return 0
}

// authenticate accepts HTTP Basic credentials: any non-empty pair, or
// exactly the configured one.
func (e *Emulator) authenticate(r *http.Request) *apiError {
	key, secret, ok := r.BasicAuth()
	switch {
	case !ok || key == "" || secret == "":
	case e.opt.key == "":
		return nil
	case subtle.ConstantTimeCompare([]byte(key), []byte(e.opt.key)) == 1 &&
		subtle.ConstantTimeCompare([]byte(secret), []byte(e.opt.secret)) == 1:
		return nil
	}
	return &apiError{status: http.StatusUnauthorized, code: codeUnauthenticated,
		detail: "Valid authentication credentials must be provided"}
}

// baseURL is where the client reached the emulator, for self links, next
// pages, Location headers and the regions' http_endpoint.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
