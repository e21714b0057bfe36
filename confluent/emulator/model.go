package emulator

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shiftleft/shiftleft/confluent"
)

// model is everything the emulator knows; it is what the state file holds.
// Exported fields are persisted; unexported ones are indexes rebuilt on load.
type model struct {
	Environments map[string]*environment `json:"environments"`
	Pools        map[string]*pool        `json:"compute_pools"`
	// GlobalTables exist in every environment, future ones included:
	// ExternalTables and tables added without an environment.
	GlobalTables []string `json:"global_tables"`
	// LastID numbers statements and pools, for uids, pool ids and the
	// oldest-first order of statements waiting for a pool.
	LastID uint64 `json:"last_id"`
	// LastSource numbers the origins of records (see topic.Source).
	LastSource uint32 `json:"last_source,omitempty"`
	// ClockOffset is how far POST /_emulator/clock moved the clock.
	ClockOffset time.Duration `json:"clock_offset,omitempty"`
}

func newModel(global []string) *model {
	m := &model{Environments: map[string]*environment{}, Pools: map[string]*pool{}}
	m.addGlobal(global)
	return m
}

// addGlobal adds tables to every environment, and to those to come.
func (m *model) addGlobal(tables []string) {
	for _, t := range tables {
		if !slices.Contains(m.GlobalTables, t) {
			m.GlobalTables = append(m.GlobalTables, t)
		}
		for _, env := range m.Environments {
			env.Tables[t] = true
		}
	}
}

// env returns the environment id, creating it on first use: any id is
// accepted, as with a real organization's environments.
func (m *model) env(id string) *environment {
	if env := m.Environments[id]; env != nil {
		return env
	}
	env := &environment{ID: id, Tables: map[string]bool{}, Statements: map[string]*statement{}, Topics: map[string]*topic{}}
	for _, t := range m.GlobalTables {
		env.Tables[t] = true
	}
	m.Environments[id] = env
	return env
}

func (m *model) nextID() uint64 {
	m.LastID++
	return m.LastID
}

// environment is a Flink catalog: its tables, their topics and its
// statements.
type environment struct {
	ID          string                `json:"id"`
	Tables      map[string]bool       `json:"tables"`
	Statements  map[string]*statement `json:"statements"`
	DefaultPool string                `json:"default_compute_pool_id,omitempty"`
	// Functions are the catalog functions CREATE FUNCTION made,
	// upper-cased.
	Functions map[string]bool `json:"functions,omitempty"`
	// Topics holds the records of tables, and the deletion counts of
	// tables dropped.
	Topics map[string]*topic `json:"topics,omitempty"`
	// names lists Statements' keys in order, for key-set paging.
	names []string
	// labelled lists, by label "key=value", the names of the statements
	// carrying it, in order: a list by label selector reads those only, as
	// Confluent's answers in no time whatever the environment holds. Labels
	// never change after a create.
	labelled map[string][]string
	// deleting counts the statements in DELETING, which no longer count
	// against MaxStatements.
	deleting int
}

// live is how many statements count against MaxStatements.
func (env *environment) live() int { return len(env.Statements) - env.deleting }

func (env *environment) add(st *statement) {
	env.Statements[st.Name] = st
	env.names = insertSorted(env.names, st.Name)
	env.index(st)
}

// index files st under each of its labels.
func (env *environment) index(st *statement) {
	if env.labelled == nil {
		env.labelled = map[string][]string{}
	}
	for k, v := range st.Labels {
		env.labelled[k+"="+v] = insertSorted(env.labelled[k+"="+v], st.Name)
	}
}

func insertSorted(names []string, name string) []string {
	i, _ := slices.BinarySearch(names, name)
	return slices.Insert(names, i, name)
}

func deleteSorted(names []string, name string) []string {
	if i, ok := slices.BinarySearch(names, name); ok {
		return slices.Delete(names, i, i+1)
	}
	return names
}

func (env *environment) remove(st *statement) {
	if st.Phase == confluent.PhaseDeleting {
		env.deleting--
	}
	delete(env.Statements, st.Name)
	env.names = deleteSorted(env.names, st.Name)
	for k, v := range st.Labels {
		if names := deleteSorted(env.labelled[k+"="+v], st.Name); len(names) > 0 {
			env.labelled[k+"="+v] = names
		} else {
			delete(env.labelled, k+"="+v)
		}
	}
}

// sortedTables lists the catalog's tables in order.
func (env *environment) sortedTables() []string {
	out := make([]string, 0, len(env.Tables))
	for t := range env.Tables {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// statement is a Flink statement as the emulator keeps it.
type statement struct {
	Seq        uint64            `json:"seq"`
	Org        string            `json:"organization_id"`
	Env        string            `json:"environment_id"`
	Name       string            `json:"name"`
	SQL        string            `json:"statement"`
	Properties map[string]string `json:"properties,omitempty"`
	PoolID     string            `json:"compute_pool_id"`
	Principal  string            `json:"principal,omitempty"`
	Stopped    bool              `json:"stopped"`
	Labels     map[string]string `json:"labels,omitempty"`
	Version    uint64            `json:"resource_version"`
	CreatedAt  time.Time         `json:"created_at"`
	UpdatedAt  time.Time         `json:"updated_at"`
	Plan       plan              `json:"plan"`

	Phase        confluent.Phase `json:"phase"`
	Detail       string          `json:"detail,omitempty"`
	ScalingState string          `json:"scaling_state,omitempty"`
	// Started is set once the statement's catalog change (CREATE, DROP...)
	// has been tried: a resume only checks its tables again.
	Started bool `json:"started,omitempty"`
	// Waiting is set while it is PENDING in its pool's queue.
	Waiting       bool                           `json:"waiting,omitempty"`
	EndTime       *time.Time                     `json:"end_time,omitempty"`
	LatestOffsets map[string]string              `json:"latest_offsets,omitempty"`
	OffsetsAt     *time.Time                     `json:"latest_offsets_timestamp,omitempty"`
	Exceptions    []confluent.StatementException `json:"exceptions,omitempty"`
	// Positions is the next offset it reads in each input table; nil until
	// it first runs. A stop keeps them, a resume reads on from them.
	Positions map[string]uint64 `json:"positions,omitempty"`
	// State is the origins a stateful statement has read.
	State origins `json:"state,omitempty"`
	// CarryWait is set while it is PENDING for the statement its
	// sql.tables.initial-offset-from names to stop.
	CarryWait bool `json:"carry_wait,omitempty"`
	// Carried is set once it has taken the offsets of that statement.
	Carried bool `json:"carried,omitempty"`
	// Due is when the next phase change happens (the end of a terminal
	// statement's retention included); nil when none is planned.
	Due *time.Time `json:"due,omitempty"`
	// timer identifies the live entry of the event heap for Due.
	timer uint64
}

func (st *statement) uid() string { return uid(st.Seq) }

// uses lists the tables a statement reads or writes while it runs; dropping
// one of them fails it.
func (st *statement) uses() []string {
	if !st.Plan.Job {
		return nil
	}
	out := tableNames(st.Plan.Reads, st.Plan.Writes)
	if st.Started && st.Plan.Creates != nil {
		out = append(out, st.Plan.Creates.Table())
	}
	return out
}

// pool is a compute pool.
type pool struct {
	ID          string     `json:"id"`
	Env         string     `json:"environment_id"`
	DisplayName string     `json:"display_name"`
	Cloud       string     `json:"cloud"`
	Region      string     `json:"region"`
	MaxCFU      int        `json:"max_cfu"`
	Default     bool       `json:"default_pool"`
	Phase       string     `json:"phase"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	Due         *time.Time `json:"due,omitempty"`
	timer       uint64
	// used counts its RUNNING statements: one CFU each.
	used int
	// queue holds its waiting statements, oldest (lowest Seq) first.
	queue []*statement
}

func (p *pool) fits() bool { return p.Phase == confluent.PoolProvisioned && p.used < p.MaxCFU }

func (p *pool) enqueue(st *statement) {
	i, _ := p.find(st)
	p.queue = slices.Insert(p.queue, i, st)
}

func (p *pool) dequeue(st *statement) {
	if i, ok := p.find(st); ok {
		p.queue = slices.Delete(p.queue, i, i+1)
	}
}

// find is where st is, or goes, in the queue, which is sorted by Seq.
func (p *pool) find(st *statement) (int, bool) {
	return slices.BinarySearchFunc(p.queue, st.Seq, func(s *statement, seq uint64) int {
		return cmp.Compare(s.Seq, seq)
	})
}

// waitDetail is the status detail of a statement waiting for the pool.
func (p *pool) waitDetail() string {
	if p.Phase != confluent.PoolProvisioned {
		return fmt.Sprintf("compute pool %s is %s", p.ID, strings.ToLower(p.Phase))
	}
	return fmt.Sprintf("compute pool %s has reached its maximum of %d CFU", p.ID, p.MaxCFU)
}

// uid formats n as a UUID: unique, stable across runs, and shaped like the
// real service's uids.
func uid(n uint64) string { return fmt.Sprintf("00000000-0000-4000-8000-%012x", n) }

// poolID is "lfcp-" and at least five base-36 digits, like lfcp-8m03rm.
func poolID(n uint64) string {
	s := strconv.FormatUint(n, 36)
	if len(s) < 5 {
		s = strings.Repeat("0", 5-len(s)) + s
	}
	return "lfcp-" + s
}
