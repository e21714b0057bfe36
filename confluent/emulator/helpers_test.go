package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shiftleft/shiftleft/confluent"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 2, 10, 15, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// harness is an emulator on a fake clock behind a real HTTP server.
type harness struct {
	t     *testing.T
	emu   *Emulator
	srv   *httptest.Server
	clock *fakeClock
}

const (
	testOrg = "b0b21724-4586-4a07-b787-d0bb5aacbf87"
	testEnv = "env-z3y2x1"
	// stmts is the statements collection of the test environment.
	stmts = "/sql/v1/organizations/" + testOrg + "/environments/" + testEnv + "/statements"
)

func start(t *testing.T, opts ...Option) *harness {
	t.Helper()
	clock := newFakeClock()
	return startOn(t, clock, append([]Option{Clock(clock.Now)}, opts...)...)
}

// startOn serves an emulator built with opts; clock is the one they set,
// for tests where emulators share one.
func startOn(t *testing.T, clock *fakeClock, opts ...Option) *harness {
	t.Helper()
	emu, err := New(opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(func() {
		srv.Close()
		if err := emu.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &harness{t: t, emu: emu, srv: srv, clock: clock}
}

// result is an answer, body read.
type result struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request with valid credentials; see send.
func (h *harness) do(method, path string, body any, header ...string) result {
	h.t.Helper()
	res, err := send(h.srv.URL, method, path, body, header...)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	return res
}

// send sends a request with valid credentials. body is sent as is when it
// is a string, encoded as JSON otherwise, and not at all when nil; header
// values replace the defaults (an empty Authorization removes it; Host sets
// the request's host).
func send(base, method, path string, body any, header ...string) (result, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return result{}, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		return result{}, err
	}
	req.SetBasicAuth("key", "secret")
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		switch {
		case header[i] == "Host":
			req.Host = header[i+1]
		case header[i+1] == "":
			req.Header.Del(header[i])
		default:
			req.Header.Set(header[i], header[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, header: resp.Header, body: data}, err
}

// want fails the test unless the answer has the status, and decodes the
// body into v when v is not nil.
func (r result) want(t *testing.T, status int, v any) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, short(r.body))
	}
	if v != nil {
		if err := json.Unmarshal(r.body, v); err != nil {
			t.Fatalf("decoding %s: %v", short(r.body), err)
		}
	}
}

// failure checks that the answer is a Failure of the status and returns its
// error.
func (r result) failure(t *testing.T, status int) confluent.ErrorObject {
	t.Helper()
	var f confluent.Failure
	r.want(t, status, &f)
	if len(f.Errors) != 1 {
		t.Fatalf("Failure with %d errors, want 1: %s", len(f.Errors), r.body)
	}
	e := f.Errors[0]
	if e.Status != strconv.Itoa(status) {
		t.Errorf("error status %q, want %d", e.Status, status)
	}
	if e.ID == "" || e.ID != r.header.Get("X-Request-Id") {
		t.Errorf("error id %q, X-Request-Id %q: want equal and set", e.ID, r.header.Get("X-Request-Id"))
	}
	return e
}

// createBody is a create request.
func createBody(name, sql string) confluent.Statement {
	return confluent.Statement{Name: name, Spec: confluent.StatementSpec{Statement: sql}}
}

// create posts a statement and checks the 201.
func (h *harness) create(name, sql string) confluent.Statement {
	h.t.Helper()
	var st confluent.Statement
	h.do("POST", stmts, createBody(name, sql)).want(h.t, http.StatusCreated, &st)
	return st
}

// get reads a statement, which must exist.
func (h *harness) get(name string) confluent.Statement {
	h.t.Helper()
	var st confluent.Statement
	h.do("GET", stmts+"/"+name, nil).want(h.t, http.StatusOK, &st)
	return st
}

// settle lets every planned phase change happen.
func (h *harness) settle() { h.clock.Advance(time.Hour) }

// phaseOf reads a statement's phase and detail.
func (h *harness) phaseOf(name string) (confluent.Phase, string) {
	h.t.Helper()
	st := h.get(name)
	return st.Status.Phase, st.Status.Detail
}

// exceptions lists a statement's exceptions.
func (h *harness) exceptions(name string) []confluent.StatementException {
	h.t.Helper()
	var list confluent.StatementExceptionList
	h.do("GET", stmts+"/"+name+"/exceptions", nil).want(h.t, http.StatusOK, &list)
	return list.Data
}

// setStopped stops or resumes a statement with a PUT of what GET shows.
func (h *harness) setStopped(name string, stopped bool) {
	h.t.Helper()
	st := h.get(name)
	st.Spec.Stopped = &stopped
	h.do("PUT", stmts+"/"+name, st).want(h.t, http.StatusAccepted, nil)
}

// short cuts a body for a message.
func short(b []byte) string {
	if len(b) > 500 {
		return string(b[:500]) + "..."
	}
	return string(b)
}

// records appends n records to the external topic table of the test
// environment over HTTP.
func (h *harness) records(table string, n int) TopicStats {
	h.t.Helper()
	var s TopicStats
	h.do("POST", "/_emulator/topics/"+table+"/records", map[string]any{"environment_id": testEnv, "count": n}).
		want(h.t, http.StatusOK, &s)
	return s
}

// topic reads the counts of table in the test environment over HTTP.
func (h *harness) topic(table string) TopicStats {
	h.t.Helper()
	var s TopicStats
	h.do("GET", "/_emulator/topics/"+table+"?environment_id="+testEnv, nil).want(h.t, http.StatusOK, &s)
	return s
}

// tick moves records in every environment over HTTP and returns how many.
func (h *harness) tick() uint64 {
	h.t.Helper()
	var r tickResult
	h.do("POST", "/_emulator/tick", "{}").want(h.t, http.StatusOK, &r)
	return r.Moved
}

// data reads what a statement has read over HTTP.
func (h *harness) data(name string) StatementData {
	h.t.Helper()
	var d StatementData
	h.do("GET", "/_emulator/statements/"+name+"?environment_id="+testEnv, nil).want(h.t, http.StatusOK, &d)
	return d
}

// advanceClock moves the emulator's clock over HTTP.
func (h *harness) advanceClock(d time.Duration) {
	h.t.Helper()
	h.do("POST", "/_emulator/clock", map[string]string{"advance": d.String()}).want(h.t, http.StatusOK, nil)
}

// createWith posts a statement with properties and checks the 201.
func (h *harness) createWith(name, sql string, props map[string]string) confluent.Statement {
	h.t.Helper()
	in := createBody(name, sql)
	in.Spec.Properties = props
	var st confluent.Statement
	h.do("POST", stmts, in).want(h.t, http.StatusCreated, &st)
	return st
}

// mustPhase fails the test unless the statement is in phase; it returns
// the detail.
func (h *harness) mustPhase(name string, phase confluent.Phase) string {
	h.t.Helper()
	got, detail := h.phaseOf(name)
	if got != phase {
		h.t.Fatalf("%s is %s (%s), want %s", name, got, detail, phase)
	}
	return detail
}

// deleteNow deletes a statement and lets the deletion end.
func (h *harness) deleteNow(name string) {
	h.t.Helper()
	h.do("DELETE", stmts+"/"+name, nil).want(h.t, http.StatusAccepted, nil)
	h.settle()
	h.do("GET", stmts+"/"+name, nil).failure(h.t, http.StatusNotFound)
}
