package emulator

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"time"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/flinksql"
)

// The /_emulator/ routes: inspect and steer the emulator. They need no
// credentials and are never faulted.

// Faults are failures the emulator injects into API requests. The zero value
// injects none.
type Faults struct {
	// ErrorRate is the fraction of API requests answered 429 (with
	// Retry-After) or 503, half each, without being applied.
	ErrorRate float64 `json:"error_rate"`
	// RetryAfterSeconds is the Retry-After of those answers.
	RetryAfterSeconds int `json:"retry_after_seconds"`
	// SlowMS delays every API answer by that many milliseconds.
	SlowMS int `json:"slow_ms"`
	// LostResponseRate is the fraction of POST, PUT, PATCH and DELETE
	// requests that are applied and then answered 503, as if the answer
	// were lost: a client that retries a create meets a 409.
	LostResponseRate float64 `json:"lost_response_rate"`
	// FailStatements makes the statements of these names FAILING, then
	// FAILED, with the given detail: at once if they are pending or
	// running, else when they would start.
	FailStatements map[string]string `json:"fail_statements,omitempty"`
	// DegradeStatements makes the statements of these names DEGRADED, with
	// the given detail, while they run (they still move records); a
	// statement left out of the next faults runs normally again.
	DegradeStatements map[string]string `json:"degrade_statements,omitempty"`
}

// maxSlowMS bounds SlowMS: a minute is slower than any client waits.
const maxSlowMS = 60_000

func (f Faults) validate() error {
	switch {
	case f.ErrorRate < 0 || f.ErrorRate > 1:
		return invalid("/error_rate", "error_rate must be between 0 and 1")
	case f.LostResponseRate < 0 || f.LostResponseRate > 1:
		return invalid("/lost_response_rate", "lost_response_rate must be between 0 and 1")
	case f.RetryAfterSeconds < 0:
		return invalid("/retry_after_seconds", "retry_after_seconds must not be negative")
	case f.SlowMS < 0 || f.SlowMS > maxSlowMS:
		return invalid("/slow_ms", "slow_ms must be between 0 and %d", maxSlowMS)
	}
	for name := range f.FailStatements {
		if name == "" {
			return invalid("/fail_statements", "a statement name is empty")
		}
	}
	for name := range f.DegradeStatements {
		if name == "" {
			return invalid("/degrade_statements", "a statement name is empty")
		}
	}
	return nil
}

// Counters count what the emulator did, for tests to assert on.
type Counters struct {
	// Creates counts, by statement name, the statements actually created:
	// more than one means a client created a statement twice.
	Creates map[string]int `json:"creates"`
	// Requests counts API requests by route, as "METHOD path template"
	// ("POST /sql/v1/organizations/{org}/environments/{env}/statements"),
	// whatever their answer, faults and 401s included.
	Requests map[string]int `json:"requests"`
}

// SetFaults replaces the injected faults; a bad value is an error wrapping
// ErrInvalidOption.
func (e *Emulator) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidOption, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	e.advance(now)
	e.setFaults(f, now)
	e.save()
	return nil
}

func (e *Emulator) setFaults(f Faults, now time.Time) {
	f.FailStatements = maps.Clone(f.FailStatements)
	f.DegradeStatements = maps.Clone(f.DegradeStatements)
	e.faults = f
	for _, env := range e.m.Environments {
		for name, detail := range f.FailStatements {
			if st := env.Statements[name]; st != nil && (st.Phase == confluent.PhasePending || st.Phase.Running()) {
				e.failing(st, detail, now)
			}
		}
		for _, st := range env.Statements {
			detail, degrade := f.DegradeStatements[st.Name]
			switch {
			case degrade && st.Phase.Running() && (st.Phase != confluent.PhaseDegraded || st.Detail != detail):
				e.setPhase(st, confluent.PhaseDegraded, detail, now)
			case !degrade && st.Phase == confluent.PhaseDegraded:
				e.setPhase(st, confluent.PhaseRunning, "Statement is running successfully", now)
			}
		}
	}
}

// AddTables adds tables to the catalog of environment env, or of every
// environment, future ones included, when env is "". An empty table name is
// an error wrapping ErrInvalidOption.
func (e *Emulator) AddTables(env string, tables ...string) error {
	if err := validTables(tables); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidOption, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.advance(e.now())
	e.addTables(env, tables)
	e.save()
	return nil
}

func validTables(tables []string) error {
	for _, t := range tables {
		if t == "" {
			return invalid("/tables", "a table name is empty")
		}
	}
	return nil
}

func (e *Emulator) addTables(env string, tables []string) {
	e.dirty = true
	if env == "" {
		e.m.addGlobal(tables)
		return
	}
	catalog := e.m.env(env)
	for _, t := range tables {
		catalog.Tables[t] = true
	}
}

// Reset forgets every environment, statement, topic, pool, fault and count,
// and the clock's advance, as if the emulator had just been built without a
// state file.
func (e *Emulator) Reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.resetLocked()
	e.save()
}

func (e *Emulator) resetLocked() {
	e.m = newModel(e.opt.external)
	e.events = nil
	e.faults = Faults{}
	e.rng = rand.New(rand.NewPCG(e.opt.seed, e.opt.seed))
	e.counters = Counters{Creates: map[string]int{}, Requests: map[string]int{}}
	e.buckets = map[string]*bucket{}
	e.sessions = map[string]*dryRunSession{}
	e.dirty = true
}

// Counters returns a copy of the counters.
func (e *Emulator) Counters() Counters {
	e.mu.Lock()
	defer e.mu.Unlock()
	return Counters{Creates: maps.Clone(e.counters.Creates), Requests: maps.Clone(e.counters.Requests)}
}

// stateView is the body of GET /_emulator/state.
type stateView struct {
	Environments map[string]envView      `json:"environments"`
	ComputePools []confluent.ComputePool `json:"compute_pools"`
	GlobalTables []string                `json:"global_tables"`
}

type envView struct {
	Tables      []string              `json:"tables"`
	Statements  []confluent.Statement `json:"statements"`
	DefaultPool string                `json:"default_compute_pool_id,omitempty"`
}

func (e *Emulator) stateRoute(c *call) (response, error) {
	view := stateView{Environments: map[string]envView{}, ComputePools: []confluent.ComputePool{},
		GlobalTables: slices.Sorted(slices.Values(e.m.GlobalTables))}
	for id, env := range e.m.Environments {
		ev := envView{Tables: env.sortedTables(), Statements: []confluent.Statement{}, DefaultPool: env.DefaultPool}
		for _, name := range env.names {
			ev.Statements = append(ev.Statements, render(c.base, env.Statements[name]))
		}
		view.Environments[id] = ev
	}
	for _, id := range slices.Sorted(maps.Keys(e.m.Pools)) {
		view.ComputePools = append(view.ComputePools, renderPool(c.base, e.m.Pools[id]))
	}
	return response{status: http.StatusOK, body: view}, nil
}

func (e *Emulator) countersRoute(*call) (response, error) {
	return response{status: http.StatusOK, body: e.counters}, nil
}

func (e *Emulator) resetRoute(*call) (response, error) {
	e.resetLocked()
	return response{status: http.StatusNoContent}, nil
}

// tablesRequest is the body of POST /_emulator/tables.
type tablesRequest struct {
	EnvironmentID string   `json:"environment_id"`
	Tables        []string `json:"tables"`
}

func (e *Emulator) tablesRoute(c *call) (response, error) {
	var in tablesRequest
	if err := decode(c.body, &in); err != nil {
		return response{}, err
	}
	if err := validTables(in.Tables); err != nil {
		return response{}, err
	}
	e.addTables(in.EnvironmentID, in.Tables)
	return response{status: http.StatusNoContent}, nil
}

func (e *Emulator) getFaultsRoute(*call) (response, error) {
	return response{status: http.StatusOK, body: e.faults}, nil
}

func (e *Emulator) setFaultsRoute(c *call) (response, error) {
	var in Faults
	if err := decode(c.body, &in); err != nil {
		return response{}, err
	}
	if err := in.validate(); err != nil {
		return response{}, err
	}
	e.setFaults(in, c.now)
	return response{status: http.StatusOK, body: e.faults}, nil
}

// AppendRecords appends n new records to table of environment env, an
// external topic: a table that exists and no statement writes. It returns the
// topic's counts; an error wraps ErrRefused when the table does not exist or
// a statement writes it, ErrInvalidOption when n is out of range.
func (e *Emulator) AppendRecords(env, table string, n int64) (TopicStats, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	e.advance(now)
	stats, err := e.appendRecords(env, table, n, now)
	e.save()
	return stats, adminError(err)
}

// Topic returns the counts of the records of table in environment env.
func (e *Emulator) Topic(env, table string) TopicStats {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.advance(e.now())
	return e.m.stats(env, table)
}

// Schema returns the schema of table in environment env as its CREATE
// TABLE and the ALTER TABLE statements since made it: nil when the table
// does not exist or no plain CREATE TABLE made it.
func (e *Emulator) Schema(env, table string) *flinksql.TableSchema {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.advance(e.now())
	en := e.m.Environments[env]
	if en == nil || !en.Tables[table] || en.Topics[table] == nil || en.Topics[table].Schema == nil {
		return nil
	}
	return cloneSchema(en.Topics[table].Schema)
}

// Tick lets every running statement of environment env ("" for all) read
// its inputs to their end, and returns how many records they read.
func (e *Emulator) Tick(env string) uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	e.advance(now)
	moved := e.tick(env, now)
	e.save()
	return moved
}

// AdvanceClock moves the emulator's clock forward by d and makes every
// change due by then (phases, carry-over timeouts, retention); it returns
// the new time. A negative d is an error wrapping ErrInvalidOption.
func (e *Emulator) AdvanceClock(d time.Duration) (time.Time, error) {
	if d < 0 {
		return time.Time{}, fmt.Errorf("%w: the clock moves forward only, not by %s", ErrInvalidOption, d)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.advance(e.now())
	now := e.advanceClock(d)
	e.save()
	return now, nil
}

func (e *Emulator) advanceClock(d time.Duration) time.Time {
	e.m.ClockOffset += d
	e.dirty = true
	now := e.now()
	e.advance(now)
	e.wakeLoop()
	return now
}

// StatementData returns what statement name of environment env has read; an
// error wraps ErrRefused when there is no such statement.
func (e *Emulator) StatementData(env, name string) (StatementData, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.advance(e.now())
	d, err := e.statementData(env, name)
	return d, adminError(err)
}

// adminError is err of an admin call for Go callers: a bad value wraps
// ErrInvalidOption, a refusal of the state ErrRefused.
func adminError(err error) error {
	var ae *apiError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ae) && (ae.status == http.StatusNotFound || ae.status == http.StatusConflict):
		return fmt.Errorf("%w: %w", ErrRefused, err)
	}
	return fmt.Errorf("%w: %w", ErrInvalidOption, err)
}

// recordsRequest is the body of POST /_emulator/topics/{table}/records.
type recordsRequest struct {
	EnvironmentID string `json:"environment_id"`
	Count         int64  `json:"count"`
}

func (e *Emulator) recordsRoute(c *call) (response, error) {
	var in recordsRequest
	if err := decode(c.body, &in); err != nil {
		return response{}, err
	}
	stats, err := e.appendRecords(in.EnvironmentID, c.path("table"), in.Count, c.now)
	if err != nil {
		return response{}, err
	}
	return response{status: http.StatusOK, body: stats}, nil
}

// envParam reads the environment_id query parameter the data routes need.
func envParam(c *call) (string, error) {
	env := c.r.URL.Query().Get("environment_id")
	if env == "" {
		return "", badParam("environment_id", "the environment_id query parameter is required")
	}
	return env, nil
}

func (e *Emulator) topicRoute(c *call) (response, error) {
	env, err := envParam(c)
	if err != nil {
		return response{}, err
	}
	return response{status: http.StatusOK, body: e.m.stats(env, c.path("table"))}, nil
}

// tickRequest is the body of POST /_emulator/tick: {} for every environment.
type tickRequest struct {
	EnvironmentID string `json:"environment_id"`
}

// tickResult is its answer.
type tickResult struct {
	Moved uint64 `json:"moved"`
}

func (e *Emulator) tickRoute(c *call) (response, error) {
	var in tickRequest
	if err := decode(c.body, &in); err != nil {
		return response{}, err
	}
	return response{status: http.StatusOK, body: tickResult{Moved: e.tick(in.EnvironmentID, c.now)}}, nil
}

// clockRequest is the body of POST /_emulator/clock.
type clockRequest struct {
	Advance string `json:"advance"`
}

// clockResult is the answer of the clock routes.
type clockResult struct {
	Now time.Time `json:"now"`
}

func (e *Emulator) clockRoute(c *call) (response, error) {
	var in clockRequest
	if err := decode(c.body, &in); err != nil {
		return response{}, err
	}
	d, err := time.ParseDuration(in.Advance)
	if err != nil || d < 0 {
		return response{}, invalid("/advance", "advance must be a duration such as \"720h\" or \"90m\", not negative: %q", in.Advance)
	}
	return response{status: http.StatusOK, body: clockResult{Now: e.advanceClock(d)}}, nil
}

func (e *Emulator) getClockRoute(c *call) (response, error) {
	return response{status: http.StatusOK, body: clockResult{Now: c.now}}, nil
}

func (e *Emulator) statementDataRoute(c *call) (response, error) {
	env, err := envParam(c)
	if err != nil {
		return response{}, err
	}
	d, err := e.statementData(env, c.path("name"))
	if err != nil {
		return response{}, err
	}
	return response{status: http.StatusOK, body: d}, nil
}
