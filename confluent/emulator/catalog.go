package emulator

import (
	"maps"
	"strings"
	"time"

	"github.com/shiftleft/shiftleft/confluent"
)

// catalog is the view of an environment's tables a statement is checked
// against: the environment's own and, for a dry run carrying a session
// label, the catalog changes the earlier dry runs of that session made.
type catalog struct {
	env     *environment
	session *dryRunSession // nil outside a session
	// functions are the catalog functions every environment has (the
	// Functions option), upper-cased.
	functions map[string]bool
}

// catalog is the view of env a statement outside a dry-run session sees.
func (e *Emulator) catalog(env *environment) catalog {
	return catalog{env: env, functions: e.opt.functions}
}

// hasFunction reports whether a catalog function (a UDF) of this name
// exists: Flink's function names are case-insensitive.
func (c catalog) hasFunction(name string) bool {
	name = strings.ToUpper(name)
	return c.functions[name] || c.env.Functions[name] || c.session != nil && c.session.functions[name]
}

// has reports whether table exists.
func (c catalog) has(table string) bool {
	if c.session != nil {
		if exists, ok := c.session.tables[table]; ok {
			return exists
		}
	}
	return c.env.Tables[table]
}

// columns are the columns of table, when they are known: those of its
// CREATE TABLE. A declared topic, a CTAS or an altered table has none known.
func (c catalog) columns(table string) ([]string, bool) {
	if c.session != nil {
		if _, ok := c.session.tables[table]; ok {
			cols := c.session.columns[table]
			return cols, cols != nil
		}
	}
	if t := c.env.Topics[table]; t != nil && c.env.Tables[table] && t.Schema != nil {
		return t.Schema.ColumnNames(), true
	}
	return nil, false
}

// options are the WITH options of a table, nil for a table no CREATE
// TABLE made (an external one).
func (c catalog) options(table string) map[string]string {
	if c.session != nil {
		if _, ok := c.session.tables[table]; ok {
			return c.session.options[table]
		}
	}
	if t := c.env.Topics[table]; t != nil {
		return t.Options
	}
	return nil
}

// A dry-run session is the dry runs of one environment that carry the same
// value of the label confluent.LabelDryRunSession. A DDL dry run that
// passes changes the session's view of the catalog, never the catalog: a
// table it creates exists for the later dry runs of the session (a new
// table's DML validates after its DDL), one it drops is gone for them. It
// ends after sessionIdle without a dry run, like a Flink SQL Gateway
// session; it is not kept in the state file.
type dryRunSession struct {
	tables    map[string]bool // true: created by the session, false: dropped
	columns   map[string][]string
	options   map[string]map[string]string
	functions map[string]bool // created by the session, upper-cased
	used      time.Time
}

const (
	// sessionIdle ends a dry-run session, as the SQL Gateway's idle timeout.
	sessionIdle = 10 * time.Minute
	// maxSessions bounds the sessions kept at once; the least recently
	// used goes first.
	maxSessions = 1024
)

// session returns the dry-run session of st, nil when it carries no session
// label; it starts one when there is none yet.
func (e *Emulator) session(env *environment, st *statement, now time.Time) *dryRunSession {
	id := st.Labels[confluent.LabelDryRunSession]
	if id == "" {
		return nil
	}
	key := env.ID + "\x00" + id
	var oldest string
	for k, s := range e.sessions {
		if now.Sub(s.used) > sessionIdle {
			delete(e.sessions, k)
		} else if oldest == "" || s.used.Before(e.sessions[oldest].used) {
			oldest = k
		}
	}
	s := e.sessions[key]
	if s == nil {
		if len(e.sessions) >= maxSessions {
			delete(e.sessions, oldest)
		}
		s = &dryRunSession{tables: map[string]bool{}, columns: map[string][]string{}, options: map[string]map[string]string{},
			functions: map[string]bool{}}
		e.sessions[key] = s
	}
	s.used = now
	return s
}

// apply records in the session the catalog change of a DDL dry run that
// passed.
func (c catalog) apply(p plan) {
	s := c.session
	switch {
	case p.Function != "":
		s.functions[strings.ToUpper(p.Function)] = true
	case p.Creates != nil:
		t := p.Creates.Table()
		if c.has(t) && p.IfNotExists {
			return
		}
		s.tables[t], s.columns[t], s.options[t] = true, p.Columns, maps.Clone(p.Options)
	case p.Drops != nil:
		t := p.Drops.Table()
		s.tables[t], s.columns[t], s.options[t] = false, nil, nil
	case p.Alters != nil && c.has(p.Alters.Table()):
		// An ALTER that sets no option may add columns: the table's
		// columns are no longer known, so none is reported missing.
		t := p.Alters.Table()
		cols, _ := c.columns(t)
		opts := maps.Clone(c.options(t))
		if len(p.Options) > 0 {
			if opts == nil {
				opts = map[string]string{}
			}
			maps.Copy(opts, p.Options)
		} else {
			cols = nil
		}
		s.tables[t], s.columns[t], s.options[t] = true, cols, opts
	}
}
