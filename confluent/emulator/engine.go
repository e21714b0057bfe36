package emulator

import (
	"container/heap"
	"fmt"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/confluent"
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
func (e *Emulator) schedule(st *statement, at time.Time) {
	due := at.Add(e.opt.latency)
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
			e.evaluate(st, at)
		case confluent.PhaseStopping:
			e.stopped(st, at)
		case confluent.PhaseDeleting:
			e.m.Environments[st.Env].remove(st)
			e.opt.log.Debug("statement deleted", zap.String("environment", st.Env), zap.String("statement", st.Name))
		case confluent.PhaseFailing:
			e.setPhase(st, confluent.PhaseFailed, st.Detail, at)
		}
	}
}

// setPhase changes st's phase and detail, cancels its planned change, and
// keeps its pool's CFU count and queue right. It is the only place a phase
// changes.
func (e *Emulator) setPhase(st *statement, phase confluent.Phase, detail string, at time.Time) {
	old := st.Phase
	p := e.m.Pools[st.PoolID]
	if old == confluent.PhaseRunning {
		if st.RunningSince != nil {
			st.RanFor += at.Sub(*st.RunningSince)
		}
		st.RunningSince = nil
		if p != nil {
			p.used--
		}
	}
	if st.Waiting && phase != confluent.PhasePending {
		st.Waiting = false
		if p != nil {
			p.dequeue(st)
		}
	}
	st.Phase, st.Detail, st.ScalingState = phase, detail, ""
	st.Due, st.timer = nil, 0
	switch phase {
	case confluent.PhaseRunning:
		st.RunningSince, st.ScalingState = &at, "OK"
		if p != nil {
			p.used++
		}
	case confluent.PhaseCompleted, confluent.PhaseFailed, confluent.PhaseStopped:
		st.EndTime = &at
	}
	e.touch(st, at)
	if old != phase {
		e.opt.log.Debug("statement phase", zap.String("environment", st.Env), zap.String("statement", st.Name),
			zap.String("from", string(old)), zap.String("to", string(phase)), zap.String("detail", detail))
	}
	if old == confluent.PhaseRunning && p != nil {
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

// evaluate runs a statement whose PENDING phase is over: it applies its
// catalog change the first time, checks its tables, then completes, runs or
// waits for its pool.
func (e *Emulator) evaluate(st *statement, at time.Time) {
	if detail, ok := e.faults.FailStatements[st.Name]; ok {
		e.failing(st, detail, at)
		return
	}
	if st.Stopped {
		e.setPhase(st, confluent.PhaseStopped, "", at)
		return
	}
	p := st.Plan
	if p.Failure != "" {
		e.fail(st, p.Exception, p.Failure, at)
		return
	}
	env := e.m.Environments[st.Env]
	first := !st.Started
	st.Started = true
	for _, n := range slices.Concat(p.Reads, p.Writes) {
		if !env.Tables[n.Table()] {
			e.fail(st, exValidation, missingTable(n), at)
			return
		}
	}
	if first {
		if done := e.applyDDL(env, st, at); done {
			return
		}
	} else if p.Job && p.Creates != nil && !env.Tables[p.Creates.Table()] {
		e.fail(st, exValidation, missingTable(p.Creates), at)
		return
	}
	if !p.Job {
		e.setPhase(st, confluent.PhaseCompleted, "", at)
		return
	}
	pool := e.m.Pools[st.PoolID]
	switch {
	case pool == nil:
		e.fail(st, exRuntime, fmt.Sprintf("compute pool %s does not exist", st.PoolID), at)
	case pool.fits():
		e.setPhase(st, confluent.PhaseRunning, "Statement is running successfully", at)
	default:
		e.wait(st, pool, at)
	}
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

// applyDDL makes the change a CREATE, DROP or ALTER makes to the catalog.
// It reports whether that ended the statement: a failure, or a CREATE IF
// NOT EXISTS of an existing table, which changes nothing.
func (e *Emulator) applyDDL(env *environment, st *statement, at time.Time) bool {
	p := st.Plan
	switch {
	case p.Creates != nil:
		t := p.Creates.Table()
		if env.Tables[t] {
			if p.IfNotExists {
				e.setPhase(st, confluent.PhaseCompleted, "", at)
			} else {
				e.fail(st, exValidation, tableExists(p.Creates, env.ID), at)
			}
			return true
		}
		env.Tables[t] = true
	case p.Drops != nil:
		t := p.Drops.Table()
		if !env.Tables[t] {
			if p.IfExists {
				return false
			}
			e.fail(st, exValidation, dropMissing(p.Drops), at)
			return true
		}
		delete(env.Tables, t)
		e.dropped(env, t, st, at)
	case p.Alters != nil:
		if !env.Tables[p.Alters.Table()] && !p.IfExists {
			e.fail(st, exValidation, missingTable(p.Alters), at)
			return true
		}
	}
	return false
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
		switch st.Phase {
		case confluent.PhasePending:
			pending = append(pending, st)
		case confluent.PhaseRunning:
			running = append(running, st)
		}
	}
	for _, st := range slices.Concat(pending, running) {
		e.fail(st, exTable, tableDropped(table, by.Name), at)
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
		e.setPhase(p.queue[0], confluent.PhaseRunning, "Statement is running successfully", at)
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

// stopped ends a stop: the statement keeps the offsets it reached, as
// Confluent Cloud does for a later carry-over.
func (e *Emulator) stopped(st *statement, at time.Time) {
	if len(st.Plan.Reads) > 0 {
		st.LatestOffsets = map[string]string{}
		for _, t := range tableNames(st.Plan.Reads) {
			st.LatestOffsets[t] = fmt.Sprintf("partition:0,offset:%d", st.RanFor.Milliseconds())
		}
		st.OffsetsAt = &at
	}
	e.setPhase(st, confluent.PhaseStopped, "", at)
}

// resume restarts a stopped (or stopping) statement: PENDING, then its
// tables are checked again.
func (e *Emulator) resume(st *statement, at time.Time) {
	switch st.Phase {
	case confluent.PhaseStopped, confluent.PhaseStopping:
		e.setPhase(st, confluent.PhasePending, "", at)
		st.EndTime = nil
		e.schedule(st, at)
	}
}

// deleteStatement starts deleting st; it is gone a latency later.
func (e *Emulator) deleteStatement(st *statement, at time.Time) {
	if st.Phase == confluent.PhaseDeleting {
		return
	}
	e.setPhase(st, confluent.PhaseDeleting, "", at)
	e.schedule(st, at)
}

// deletePool removes p; the statements that were waiting or running in it
// fail, as their compute resources are gone.
func (e *Emulator) deletePool(p *pool, at time.Time) {
	p.Phase = confluent.PoolDeprovisioning // nothing starts in it any more
	env := e.m.Environments[p.Env]
	for _, name := range slices.Clone(env.names) {
		st := env.Statements[name]
		if st.PoolID == p.ID && (st.Phase == confluent.PhasePending || st.Phase == confluent.PhaseRunning) {
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
// Confluent Cloud's (50 CFU), and provisioned at once.
func (e *Emulator) defaultPool(env *environment, at time.Time) *pool {
	if p := e.m.Pools[env.DefaultPool]; p != nil {
		return p
	}
	p := &pool{ID: poolID(e.m.nextID()), Env: env.ID, DisplayName: "default", Cloud: defaultCloud, Region: defaultRegion,
		MaxCFU: 50, Default: true, Phase: confluent.PoolProvisioned, CreatedAt: at, UpdatedAt: at}
	e.m.Pools[p.ID] = p
	env.DefaultPool = p.ID
	e.dirty = true
	return p
}
