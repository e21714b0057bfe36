package emulator

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"github.com/shiftleft/shiftleft/confluent"
)

// Processing: running statements move records. Every function here runs
// with e.mu held.

// tick moves the records of environment envID ("" for every one, in order
// of id) and returns how many records the statements read.
func (e *Emulator) tick(envID string, at time.Time) uint64 {
	var moved uint64
	for _, id := range slices.Sorted(maps.Keys(e.m.Environments)) {
		if envID == "" || id == envID {
			moved += e.tickEnv(e.m.Environments[id], ms(at))
		}
	}
	if moved > 0 {
		e.dirty = true
	}
	return moved
}

// tickEnv lets each running statement of env read its inputs to their end,
// writers before their readers, so that a chain empties in one tick. In a
// cycle of statements records move one lap per tick.
func (e *Emulator) tickEnv(env *environment, at int64) uint64 {
	var moved uint64
	for _, st := range runOrder(env) {
		moved += e.process(env, st, at)
	}
	return moved
}

// process has st read each input from its position to the end, appending
// the records to the sinks of the flows that read it, and returns how many
// it read. The end is taken before the appends, so a statement that writes
// what it reads stops there.
func (e *Emulator) process(env *environment, st *statement, at int64) uint64 {
	if st.Positions == nil {
		st.Positions = map[string]uint64{}
	}
	var moved uint64
	for _, table := range st.Plan.inputs() {
		t := env.Topics[table]
		if t == nil || st.Positions[table] >= t.end {
			continue
		}
		from, end := st.Positions[table], t.end
		runs := t.from(from)
		st.Positions[table] = end
		for _, f := range st.Plan.Flows {
			if !slices.Contains(f.Reads, table) {
				continue
			}
			for _, w := range f.Writes {
				e.m.topic(env, w).append(runs, at)
			}
		}
		if len(st.Plan.Stateful) > 0 {
			if st.State == nil {
				st.State = origins{}
			}
			st.State.addRuns(runs)
		}
		moved += end - from
	}
	return moved
}

// runOrder lists the running statements of env so that a statement comes
// after those writing what it reads (Kahn's algorithm, oldest first among
// equals); the statements of a cycle come last, oldest first.
func runOrder(env *environment) []*statement {
	var running []*statement
	for _, st := range env.Statements {
		if st.Phase.Running() && st.Plan.Job {
			running = append(running, st)
		}
	}
	slices.SortFunc(running, func(a, b *statement) int { return cmp.Compare(a.Seq, b.Seq) })
	writers := map[string][]int{}
	for i, st := range running {
		for _, t := range st.Plan.sinks() {
			writers[t] = append(writers[t], i)
		}
	}
	readers := make([][]int, len(running))
	blocked := make([]int, len(running))
	for i, st := range running {
		for _, t := range st.Plan.inputs() {
			for _, w := range writers[t] {
				if w != i {
					readers[w] = append(readers[w], i)
					blocked[i]++
				}
			}
		}
	}
	out := make([]*statement, 0, len(running))
	done := make([]bool, len(running))
	var ready []int
	for i := range running {
		if blocked[i] == 0 {
			ready = append(ready, i)
		}
	}
	for len(ready) > 0 {
		i := ready[0]
		ready = ready[1:]
		out, done[i] = append(out, running[i]), true
		for _, r := range readers[i] {
			if blocked[r]--; blocked[r] == 0 {
				ready = append(ready, r)
			}
		}
	}
	for i, st := range running {
		if !done[i] {
			out = append(out, st)
		}
	}
	return out
}

// appendRecords adds n records of its own origin to the external topic
// table of env: a table that exists and that no statement writes.
func (e *Emulator) appendRecords(envID, table string, n int64, at time.Time) (TopicStats, error) {
	if envID == "" {
		return TopicStats{}, badParam("environment_id", "environment_id is required")
	}
	if n < 1 || n > maxAppend {
		return TopicStats{}, invalid("/count", "count must be between 1 and %d", maxAppend)
	}
	env := e.m.env(envID)
	if !env.Tables[table] {
		return TopicStats{}, notFound("Table '%s' does not exist in environment '%s': declare it with POST /_emulator/tables or a CREATE TABLE.", table, envID)
	}
	if w := env.writer(table); w != nil {
		err := conflict(codeProduced, "Table '%s' is written by statement '%s' (%s): only a topic no statement writes takes records from outside.",
			table, w.Name, w.Phase)
		err.pointer = "/environment_id"
		return TopicStats{}, err
	}
	e.m.topic(env, table).produce(uint64(n), ms(at))
	e.dirty = true
	return env.stats(table), nil
}

// maxAppend bounds one append: records are run-length encoded, so any
// count costs the same, but offsets stay far from overflowing.
const maxAppend = 1 << 40

// StatementData is what GET /_emulator/statements/{name} answers: what a
// statement has read.
type StatementData struct {
	Phase confluent.Phase `json:"phase"`
	// Positions is the next offset it reads in each input table.
	Positions map[string]uint64 `json:"positions"`
	// Stateful lists why it keeps state; StateOrigins counts the origins
	// its state holds (0 for a stateless statement).
	Stateful     []string `json:"stateful,omitempty"`
	StateOrigins uint64   `json:"state_origins"`
	// WaitingFor names the statement it waits for to stop, to carry its
	// offsets over.
	WaitingFor string `json:"waiting_for,omitempty"`
}

func (e *Emulator) statementData(envID, name string) (StatementData, error) {
	env := e.m.Environments[envID]
	if env == nil || env.Statements[name] == nil {
		return StatementData{}, notFound("Statement '%s' was not found in environment '%s'.", name, envID)
	}
	st := env.Statements[name]
	d := StatementData{Phase: st.Phase, Positions: maps.Clone(st.Positions), Stateful: st.Plan.Stateful,
		StateOrigins: st.State.count()}
	if d.Positions == nil {
		d.Positions = map[string]uint64{}
	}
	if st.CarryWait {
		d.WaitingFor = st.Properties[propInitialOffsetFrom]
	}
	return d, nil
}
