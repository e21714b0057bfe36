package emulator

import (
	"container/heap"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/flinksql"
)

// The engine moves statements and pools through their phases. Every function
// here runs with e.mu held.

// event is a planned phase change of a statement or a pool. An event is live
// while its gen equals the target's timer: rescheduling or a phase change
// leaves the old entry in the heap, skipped when it comes up.
type event struct {
	at   time.Time
	gen  uint64
	st   *statement
	pool *pool
}

// events is a min-heap by time, then by the order of scheduling, so changes
// due at the same instant happen in the order they were caused: a CREATE
// TABLE posted before an INSERT completes first.
type events []event

func (h events) Len() int { return len(h) }
func (h events) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].gen < h[j].gen
}
func (h events) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *events) Push(x any)   { *h = append(*h, x.(event)) }
func (h *events) Pop() any {
	old := *h
	ev := old[len(old)-1]
	*h = old[:len(old)-1]
	return ev
}

func (ev event) live() bool {
	if ev.st != nil {
		return ev.st.timer == ev.gen
	}
	return ev.pool.timer == ev.gen
}

// schedule plans st's next phase change one latency after at.
func (e *Emulator) schedule(st *statement, at time.Time) { e.scheduleAt(st, at.Add(e.opt.latency)) }

// scheduleAt plans st's next change at due.
func (e *Emulator) scheduleAt(st *statement, due time.Time) {
	e.gen++
	st.Due, st.timer = &due, e.gen
	heap.Push(&e.events, event{at: due, gen: e.gen, st: st})
	e.wakeLoop()
}

func (e *Emulator) schedulePool(p *pool, at time.Time) {
	due := at.Add(e.opt.latency)
	e.gen++
	p.Due, p.timer = &due, e.gen
	heap.Push(&e.events, event{at: due, gen: e.gen, pool: p})
	e.wakeLoop()
}

// nextEvent is when the earliest planned change is due.
func (e *Emulator) nextEvent() (time.Time, bool) {
	for len(e.events) > 0 && !e.events[0].live() {
		heap.Pop(&e.events)
	}
	if len(e.events) == 0 {
		return time.Time{}, false
	}
	return e.events[0].at, true
}

// advance makes every change due by now, each at its own instant.
func (e *Emulator) advance(now time.Time) {
	for {
		at, ok := e.nextEvent()
		if !ok || at.After(now) {
			return
		}
		ev := heap.Pop(&e.events).(event)
		e.dirty = true
		if ev.pool != nil {
			p := ev.pool
			p.Due, p.timer = nil, 0
			p.Phase, p.UpdatedAt = confluent.PoolProvisioned, at
			e.startWaiting(p, at)
			continue
		}
		st := ev.st
		st.Due, st.timer = nil, 0
		switch st.Phase {
		case confluent.PhasePending:
			e.evaluate(st, at) // its latency is over, or its carry-over wait
		case confluent.PhaseStopping:
			e.stopped(st, at)
		case confluent.PhaseDeleting:
			e.remove(st, at)
		case confluent.PhaseFailing:
			e.setPhase(st, confluent.PhaseFailed, st.Detail, at)
		case confluent.PhaseCompleted, confluent.PhaseFailed, confluent.PhaseStopped:
			e.remove(st, at) // its retention is over
		}
	}
}

// setPhase changes st's phase and detail, cancels its planned change, and
// keeps its pool's CFU count and queue right. It is the only place a phase
// changes. A terminal phase starts the statement's retention.
func (e *Emulator) setPhase(st *statement, phase confluent.Phase, detail string, at time.Time) {
	old := st.Phase
	p := e.m.Pools[st.PoolID]
	if old.Running() && !phase.Running() && p != nil {
		p.used--
	}
	if phase != confluent.PhasePending {
		st.CarryWait = false
		if st.Waiting {
			st.Waiting = false
			if p != nil {
				p.dequeue(st)
			}
		}
	}
	if phase == confluent.PhaseDeleting && old != phase {
		e.m.Environments[st.Env].deleting++
	}
	st.Phase, st.Detail, st.ScalingState = phase, detail, ""
	st.Due, st.timer = nil, 0
	if phase.Running() {
		st.ScalingState = "OK"
		if !old.Running() && p != nil {
			p.used++
		}
	}
	if phase.Terminal() {
		st.EndTime = &at
		e.scheduleAt(st, at.Add(Retention))
	}
	e.touch(st, at)
	if old != phase {
		e.opt.log.Debug("statement phase", zap.String("environment", st.Env), zap.String("statement", st.Name),
			zap.String("from", string(old)), zap.String("to", string(phase)), zap.String("detail", detail))
	}
	if old.Running() && !phase.Running() && p != nil {
		e.startWaiting(p, at)
	}
}

// touch records a change of st: a new resource_version, so a PUT based on
// an older read gets 409.
func (e *Emulator) touch(st *statement, at time.Time) {
	st.Version++
	st.UpdatedAt = at
	e.dirty = true
}

// evaluate runs a statement whose PENDING phase is over: it checks the
// catalog, applies its catalog change the first time, then completes, or
// waits for the statement it carries offsets over from, or runs, or waits
// for its pool.
func (e *Emulator) evaluate(st *statement, at time.Time) {
	if detail, ok := e.faults.FailStatements[st.Name]; ok {
		e.failing(st, detail, at)
		return
	}
	env := e.m.Environments[st.Env]
	first := !st.Started
	st.Started = true
	if class, detail := e.check(e.catalog(env), st, first); detail != "" {
		e.fail(st, class, detail, at)
		return
	}
	if first && e.applyDDL(env, st, at) {
		return
	}
	if !st.Plan.Job {
		e.setPhase(st, confluent.PhaseCompleted, "", at)
		return
	}
	if from := st.Properties[propInitialOffsetFrom]; from != "" && !st.Carried && !e.carryOver(env, st, from, at) {
		return
	}
	pool := e.m.Pools[st.PoolID]
	switch {
	case pool == nil:
		e.fail(st, exRuntime, fmt.Sprintf("compute pool %s does not exist", st.PoolID), at)
	case pool.fits():
		e.start(st, at)
	default:
		e.wait(st, pool, at)
	}
}

// check is why the catalog refuses st, by the class of its exception; ""
// when it accepts it. first is its first evaluation, when its catalog change
// is still to be made; later ones only check that its tables exist.
func (e *Emulator) check(cat catalog, st *statement, first bool) (class, detail string) {
	p := st.Plan
	if p.Failure != "" {
		return p.Exception, p.Failure
	}
	for _, n := range slices.Concat(p.Reads, p.Writes) {
		if !cat.has(n.Table()) {
			return exValidation, missingTable(n)
		}
	}
	switch {
	case !first:
		if p.Job && p.Creates != nil && !cat.has(p.Creates.Table()) {
			return exValidation, missingTable(p.Creates)
		}
	case p.Creates != nil && cat.has(p.Creates.Table()) && !p.IfNotExists:
		return exValidation, tableExists(p.Creates, cat.env.ID)
	case p.Drops != nil && !cat.has(p.Drops.Table()) && !p.IfExists:
		return exValidation, dropMissing(p.Drops)
	case p.Alters != nil && !cat.has(p.Alters.Table()) && !p.IfExists:
		return exValidation, missingTable(p.Alters)
	case p.Alters != nil && cat.env.Tables[p.Alters.Table()]:
		if _, err := e.altered(cat.env, st); err != nil {
			return exValidation, err.Error()
		}
	}
	if detail := validateSQL(st.SQL, p, cat); detail != "" {
		return exValidation, detail
	}
	if p.Job {
		for _, t := range p.inputs() {
			if _, err := startOf(st, t, cat.options(t)); err != nil {
				return exValidation, err.Error()
			}
		}
	}
	return "", ""
}

// start runs st: it reads each input it has no position in yet from where
// its start mode says, RUNNING, or DEGRADED when a fault says so.
func (e *Emulator) start(st *statement, at time.Time) {
	env := e.m.Environments[st.Env]
	for _, table := range st.Plan.inputs() {
		if _, ok := st.Positions[table]; ok {
			continue
		}
		if st.Positions == nil {
			st.Positions = map[string]uint64{}
		}
		from, _ := startOf(st, table, e.catalog(env).options(table)) // check vetted it
		st.Positions[table] = from.offset(e.m.topic(env, table))
	}
	if detail, ok := e.faults.DegradeStatements[st.Name]; ok {
		e.setPhase(st, confluent.PhaseDegraded, detail, at)
		return
	}
	e.setPhase(st, confluent.PhaseRunning, "Statement is running successfully", at)
}

// carryOver takes the offsets of the statement from, once it is STOPPED,
// for the inputs st has no explicit start hint for. It reports whether st
// may run now; else st failed, or waits PENDING for from to stop, at most
// CarryOverTimeout after it was created.
func (e *Emulator) carryOver(env *environment, st *statement, from string, at time.Time) bool {
	old := env.Statements[from]
	deadline := st.CreatedAt.Add(CarryOverTimeout)
	switch {
	case len(st.Plan.Stateful) > 0:
		e.fail(st, exValidation, carryStateful(st.Plan.Stateful), at)
	case old == nil || old.Phase == confluent.PhaseDeleting:
		e.fail(st, exValidation, carryMissing(from), at)
	case old.Phase == confluent.PhaseStopped:
		for table, off := range old.Positions {
			if !slices.Contains(st.Plan.inputs(), table) || explicitStart(st, table) {
				continue
			}
			if st.Positions == nil {
				st.Positions = map[string]uint64{}
			}
			st.Positions[table] = off
		}
		st.Carried = true
		return true
	case !at.Before(deadline):
		e.fail(st, exRuntime, fmt.Sprintf("Statement '%s' did not stop within %s of this statement's creation, so its offsets (%s) cannot be carried over.",
			from, CarryOverTimeout, propInitialOffsetFrom), at)
	default:
		e.setPhase(st, confluent.PhasePending, fmt.Sprintf("Waiting for statement '%s' to stop, to start from its offsets (%s).",
			from, propInitialOffsetFrom), at)
		st.CarryWait = true
		e.scheduleAt(st, deadline)
	}
	return false
}

// carryWaiters are the statements of env waiting for the statement name to
// stop.
func carryWaiters(env *environment, name string) []*statement {
	var out []*statement
	for _, n := range env.names {
		if st := env.Statements[n]; st.CarryWait && st.Properties[propInitialOffsetFrom] == name {
			out = append(out, st)
		}
	}
	return out
}

// wait keeps st PENDING in p's queue until a CFU frees, saying why.
func (e *Emulator) wait(st *statement, p *pool, at time.Time) {
	e.setPhase(st, confluent.PhasePending, p.waitDetail(), at)
	if p.Phase == confluent.PoolProvisioned {
		st.ScalingState = "POOL_EXHAUSTED"
	}
	if !st.Waiting {
		st.Waiting = true
		p.enqueue(st)
	}
}

// applyDDL makes the change a CREATE, DROP or ALTER makes to the catalog,
// which check accepted. It reports whether that ended the statement: a
// CREATE IF NOT EXISTS of an existing table changes nothing.
func (e *Emulator) applyDDL(env *environment, st *statement, at time.Time) bool {
	p := st.Plan
	switch {
	case p.Function != "":
		if env.Functions == nil {
			env.Functions = map[string]bool{}
		}
		env.Functions[strings.ToUpper(p.Function)] = true
	case p.Creates != nil:
		t := p.Creates.Table()
		if env.Tables[t] {
			e.setPhase(st, confluent.PhaseCompleted, "", at)
			return true
		}
		env.Tables[t] = true
		tp := e.m.topic(env, t)
		tp.Options = p.Options
		if !p.Job {
			tp.Schema, _ = flinksql.ParseTableSchema(st.SQL) // nil when it is no plain CREATE TABLE
		}
	case p.Drops != nil && env.Tables[p.Drops.Table()]:
		e.drop(env, p.Drops.Table(), st, at)
	case p.Alters != nil && env.Tables[p.Alters.Table()]:
		t := e.m.topic(env, p.Alters.Table())
		t.Schema, _ = e.altered(env, st) // check vetted it
		a, _ := flinksql.ParseAlter(st.SQL)
		switch a.Kind {
		case flinksql.AlterSet:
			if t.Options == nil {
				t.Options = map[string]string{}
			}
			maps.Copy(t.Options, a.Options)
		case flinksql.AlterReset:
			for _, k := range a.Keys {
				delete(t.Options, k)
			}
		}
	}
	return false
}

// altered is the schema of the table st alters once st ran, or why Flink
// refuses st: a form Confluent Cloud does not run, or a change the schema
// does not allow (a column added twice, a watermark on no column...). The
// topic and its records are not touched. A table without a known schema
// takes any supported form.
func (e *Emulator) altered(env *environment, st *statement) (*flinksql.TableSchema, error) {
	a, err := flinksql.ParseAlter(st.SQL)
	if err != nil {
		return nil, err
	}
	old := e.m.topic(env, st.Plan.Alters.Table()).Schema
	if old == nil {
		return nil, nil
	}
	s := cloneSchema(old)
	if err := s.Apply(a); err != nil {
		return nil, err
	}
	return s, nil
}

// cloneSchema copies a schema deeply enough for Apply to change the copy.
func cloneSchema(s *flinksql.TableSchema) *flinksql.TableSchema {
	c := *s
	c.Columns = slices.Clone(s.Columns)
	c.Options = maps.Clone(s.Options)
	if s.Watermark != nil {
		w := *s.Watermark
		c.Watermark = &w
	}
	if s.PrimaryKey != nil {
		pk := *s.PrimaryKey
		pk.Columns = slices.Clone(pk.Columns)
		c.PrimaryKey = &pk
	}
	return &c
}

// drop deletes table and its topic, as DROP TABLE does on Confluent Cloud:
// its records go, the statements reading or writing it fail, and no
// statement keeps a position in it.
func (e *Emulator) drop(env *environment, table string, by *statement, at time.Time) {
	delete(env.Tables, table)
	e.m.topic(env, table).clear(e.m.nextSource())
	for _, st := range env.Statements {
		delete(st.Positions, table)
	}
	e.dropped(env, table, by, at)
}

// dropped fails the running and pending statements that use table, the
// pending ones first: failing a running one first would start a waiting
// one that is about to fail too.
func (e *Emulator) dropped(env *environment, table string, by *statement, at time.Time) {
	var pending, running []*statement
	for _, name := range env.names {
		st := env.Statements[name]
		if st == by || !slices.Contains(st.uses(), table) {
			continue
		}
		switch {
		case st.Phase == confluent.PhasePending:
			pending = append(pending, st)
		case st.Phase.Running():
			running = append(running, st)
		}
	}
	for _, st := range slices.Concat(pending, running) {
		e.fail(st, exTopicGone, tableDropped(table, by.Name), at)
	}
}

// fail makes st FAILED and records the exception.
func (e *Emulator) fail(st *statement, class, detail string, at time.Time) {
	e.setPhase(st, confluent.PhaseFailed, detail, at)
	e.except(st, class, detail, at)
}

// failing is an injected failure: FAILING, then FAILED a latency later.
func (e *Emulator) failing(st *statement, detail string, at time.Time) {
	e.setPhase(st, confluent.PhaseFailing, detail, at)
	e.except(st, exRuntime, detail, at)
	e.schedule(st, at)
}

// maxExceptions is how many exceptions the API returns, and so keeps.
const maxExceptions = 10

func (e *Emulator) except(st *statement, class, detail string, at time.Time) {
	st.Exceptions = append(st.Exceptions, confluent.StatementException{
		Kind: "StatementException", Name: class, Message: detail, Timestamp: &at})
	if n := len(st.Exceptions); n > maxExceptions {
		st.Exceptions = slices.Delete(st.Exceptions, 0, n-maxExceptions)
	}
}

// startWaiting runs the pool's waiting statements, oldest first, while they
// fit, and refreshes the detail of those still waiting when the pool
// changed (they all share one).
func (e *Emulator) startWaiting(p *pool, at time.Time) {
	for len(p.queue) > 0 && p.fits() {
		e.start(p.queue[0], at)
	}
	if len(p.queue) > 0 && p.queue[0].Detail != p.waitDetail() {
		for _, st := range slices.Clone(p.queue) {
			e.wait(st, p, at)
		}
	}
}

// stop starts stopping st; a statement that has ended has nothing to stop.
func (e *Emulator) stop(st *statement, at time.Time) {
	switch st.Phase {
	case confluent.PhasePending, confluent.PhaseRunning, confluent.PhaseDegraded, confluent.PhaseCompleted:
		e.setPhase(st, confluent.PhaseStopping, "", at)
		e.schedule(st, at)
	}
}

// stopped ends a stop: the statement shows the offsets it reached, which a
// resume reads on from and a carry-over starts at, and the statements
// waiting to carry them over start.
func (e *Emulator) stopped(st *statement, at time.Time) {
	if len(st.Positions) > 0 {
		st.LatestOffsets = map[string]string{}
		for t, off := range st.Positions {
			st.LatestOffsets[t] = formatOffsets(off)
		}
		st.OffsetsAt = &at
	}
	e.setPhase(st, confluent.PhaseStopped, "", at)
	for _, w := range carryWaiters(e.m.Environments[st.Env], st.Name) {
		e.evaluate(w, at)
	}
}

// resume restarts a stopped (or stopping) statement: PENDING, then its
// tables are checked again, and it reads on from its positions with its
// state. Only a stopped statement shows latest_offsets.
func (e *Emulator) resume(st *statement, at time.Time) {
	switch st.Phase {
	case confluent.PhaseStopped, confluent.PhaseStopping:
		e.setPhase(st, confluent.PhasePending, "", at)
		st.EndTime, st.LatestOffsets, st.OffsetsAt = nil, nil, nil
		e.schedule(st, at)
	}
}

// deleteStatement starts deleting st; it is gone a latency later, and the
// statements waiting to carry its offsets over fail now.
func (e *Emulator) deleteStatement(st *statement, at time.Time) {
	if st.Phase == confluent.PhaseDeleting {
		return
	}
	e.setPhase(st, confluent.PhaseDeleting, "", at)
	e.schedule(st, at)
	e.orphanWaiters(st, at)
}

// remove forgets st: its deletion, or its retention, is over.
func (e *Emulator) remove(st *statement, at time.Time) {
	e.m.Environments[st.Env].remove(st)
	e.orphanWaiters(st, at)
	e.dirty = true
	e.opt.log.Debug("statement deleted", zap.String("environment", st.Env), zap.String("statement", st.Name))
}

func (e *Emulator) orphanWaiters(st *statement, at time.Time) {
	for _, w := range carryWaiters(e.m.Environments[st.Env], st.Name) {
		e.fail(w, exValidation, carryMissing(st.Name), at)
	}
}

// deletePool removes p; the statements that were waiting or running in it
// fail, as their compute resources are gone.
func (e *Emulator) deletePool(p *pool, at time.Time) {
	p.Phase = confluent.PoolDeprovisioning // nothing starts in it any more
	env := e.m.Environments[p.Env]
	for _, name := range slices.Clone(env.names) {
		st := env.Statements[name]
		if st.PoolID == p.ID && (st.Phase == confluent.PhasePending || st.Phase.Running()) {
			e.fail(st, exRuntime, fmt.Sprintf("compute pool %s was deleted", p.ID), at)
		}
	}
	p.timer = 0
	delete(e.m.Pools, p.ID)
	if env.DefaultPool == p.ID {
		env.DefaultPool = ""
	}
	e.dirty = true
}

// defaultPool is the environment's default pool, created on first use like
// Confluent Cloud's (50 CFU), and provisioned at once; it counts against the
// pools quota.
func (e *Emulator) defaultPool(env *environment, at time.Time) (*pool, error) {
	if p := e.m.Pools[env.DefaultPool]; p != nil {
		return p, nil
	}
	if err := e.poolQuota(env.ID); err != nil {
		return nil, err
	}
	p := &pool{ID: poolID(e.m.nextID()), Env: env.ID, DisplayName: "default", Cloud: defaultCloud, Region: defaultRegion,
		MaxCFU: MaxPoolCFU, Default: true, Phase: confluent.PoolProvisioned, CreatedAt: at, UpdatedAt: at}
	e.m.Pools[p.ID] = p
	env.DefaultPool = p.ID
	e.dirty = true
	return p, nil
}
