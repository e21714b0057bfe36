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

	requests atomic.Uint64 // numbers X-Request-Id
	wake     chan struct{} // tells the background loop the next event may have moved
	done     chan struct{}
	loopDone chan struct{}
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
	e := &Emulator{opt: o, mux: http.NewServeMux(), done: make(chan struct{}), loopDone: make(chan struct{})}
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
		go e.loop()
	} else {
		close(e.loopDone)
	}
	return e, nil
}

// Close stops the background timer. The emulator still answers requests
// afterwards, advancing lazily.
func (e *Emulator) Close() error {
	e.closing.Do(func() { close(e.done) })
	<-e.loopDone
	return nil
}

func (e *Emulator) now() time.Time {
	if e.opt.clock != nil {
		return e.opt.clock().UTC()
	}
	return time.Now().UTC()
}

// loop makes phase changes when they are due, with the real clock only, so
// a client that just waits sees them and the state file follows.
func (e *Emulator) loop() {
	defer close(e.loopDone)
	t := time.NewTimer(time.Hour)
	t.Stop()
	for {
		e.mu.Lock()
		next, ok := e.nextEvent()
		e.mu.Unlock()
		if ok {
			t.Reset(max(0, next.Sub(e.now())))
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

const (
	requestIDHeader = "X-Request-Id"
	maxBody         = 8 << 20 // a statement is at most 128 KiB, with up to 8192 properties
)

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

// route is one API route: a method and a path template of http.ServeMux.
type route struct {
	method, path string
	fn           handler
}

func (e *Emulator) routes() {
	const (
		statements = "/sql/v1/organizations/{org}/environments/{env}/statements"
		statement  = statements + "/{name}"
		pools      = "/fcpm/v2/compute-pools"
		onePool    = pools + "/{id}"
	)
	e.register(e.api, []route{
		{"GET", statements, e.listStatements},
		{"POST", statements, e.createStatement},
		{"GET", statement, e.getStatement},
		{"PUT", statement, e.putStatement},
		{"PATCH", statement, e.patchStatement},
		{"DELETE", statement, e.deleteStatementRoute},
		{"GET", statement + "/exceptions", e.statementExceptions},
		{"GET", statement + "/results", e.statementResults},
		{"GET", pools, e.listPools},
		{"POST", pools, e.createPool},
		{"GET", onePool, e.getPool},
		{"PATCH", onePool, e.patchPool},
		{"DELETE", onePool, e.deletePoolRoute},
		{"GET", "/fcpm/v2/regions", e.listRegions},
	})
	e.register(e.admin, []route{
		{"GET", "/_emulator/state", e.stateRoute},
		{"GET", "/_emulator/counters", e.countersRoute},
		{"POST", "/_emulator/reset", e.resetRoute},
		{"POST", "/_emulator/tables", e.tablesRoute},
		{"GET", "/_emulator/faults", e.getFaultsRoute},
		{"POST", "/_emulator/faults", e.setFaultsRoute},
	})
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
		e.mux.HandleFunc(rt.method+" "+rt.path, wrap(rt.fn))
		if allowed[rt.path] == nil {
			paths = append(paths, rt.path)
		}
		allowed[rt.path] = append(allowed[rt.path], rt.method)
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
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, &apiError{status: http.StatusRequestEntityTooLarge, code: codeTooLarge,
			detail: fmt.Sprintf("the request body is over %d bytes", maxBody)}
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
