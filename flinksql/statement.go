package flinksql

import (
	"slices"
	"strings"
)

// Kind says what a statement does.
type Kind uint8

const (
	// KindOther is a statement the walker does not look into (SET, USE,
	// CREATE FUNCTION...).
	KindOther Kind = iota
	// KindCreateTable is CREATE [OR REPLACE] [TEMPORARY] TABLE, CTAS included.
	KindCreateTable
	// KindCreateMaterializedTable is CREATE MATERIALIZED TABLE, which
	// Confluent Cloud for Flink does not run.
	KindCreateMaterializedTable
	// KindCreateView is CREATE [TEMPORARY] VIEW.
	KindCreateView
	// KindInsert is INSERT INTO or INSERT OVERWRITE.
	KindInsert
	// KindStatementSet is EXECUTE STATEMENT SET BEGIN ... END (and the older
	// BEGIN STATEMENT SET; ... END; form).
	KindStatementSet
	// KindQuery is a bare SELECT, WITH or VALUES query.
	KindQuery
	// KindDropTable is DROP [TEMPORARY] TABLE [IF EXISTS].
	KindDropTable
	// KindAlterTable is ALTER TABLE.
	KindAlterTable
)

var kindNames = [...]string{"other", "create-table", "create-materialized-table", "create-view",
	"insert", "statement-set", "query", "drop-table", "alter-table"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Name is a table name as written, one element per dotted part:
// `env`.`cluster`.`orders` is {"env", "cluster", "orders"}; the backticked
// `clone.dev.orders` is one part.
type Name []string

// Table is the last part: the table itself, without catalog and database.
func (n Name) Table() string {
	if len(n) == 0 {
		return ""
	}
	return n[len(n)-1]
}

// String writes the name back as SQL, backticking the parts that need it.
func (n Name) String() string {
	var b strings.Builder
	for i, part := range n {
		if i > 0 {
			b.WriteByte('.')
		}
		if isPlainIdent(part) {
			b.WriteString(part)
		} else {
			b.WriteByte('`')
			b.WriteString(strings.ReplaceAll(part, "`", "``"))
			b.WriteByte('`')
		}
	}
	return b.String()
}

func isPlainIdent(s string) bool {
	if s == "" || !isIdentStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentPart(s[i]) {
			return false
		}
	}
	return true
}

// Statement is what one SQL statement of a script does to tables.
type Statement struct {
	Kind Kind
	Pos  Pos
	// Table is the table a CREATE, DROP or ALTER statement names.
	Table       Name
	IfNotExists bool // CREATE ... IF NOT EXISTS
	IfExists    bool // DROP ... IF EXISTS
	OrReplace   bool
	Temporary   bool
	// Writes lists the tables an INSERT or a statement set writes.
	Writes []Name
	// Reads lists the tables the statement reads, CTE names excluded, in
	// order of first appearance.
	Reads []Name
	// Options holds a CREATE TABLE's WITH options or an ALTER TABLE's SET
	// options, keys lower-cased.
	Options map[string]string
	// PrimaryKey: a CREATE TABLE declares a primary key (the table is an
	// upsert table).
	PrimaryKey bool
	// Stateful lists why the statement keeps state in Flink; empty when it
	// is stateless. State comes from a join with a table, a sub-query or a
	// table function (comma joins too; not UNNEST or LATERAL TABLE, unless
	// the function takes a TABLE argument, as LATERAL SNAPSHOT does), a
	// table function over TABLE t PARTITION BY, GROUP BY, SELECT DISTINCT,
	// an aggregate call, OVER, MATCH_RECOGNIZE, a window table function, a
	// sub-query in an expression, UNION without ALL, INTERSECT, EXCEPT, and
	// ORDER BY, LIMIT, OFFSET or FETCH.
	Stateful []string
}

// JoinCounts counts joins the way shift_left does: by JOIN keyword, comma
// joins not included.
type JoinCounts struct {
	Regular int
	Left    int
	Right   int
	Inner   int
	Outer   int // FULL [OUTER] JOIN
	Cross   int
}

// Total is the number of joins that count for complexity (CROSS JOIN does not).
func (j JoinCounts) Total() int { return j.Regular + j.Left + j.Right + j.Inner + j.Outer }

// ComplexityType is shift_left's rating: Simple up to two joins, Medium up to
// four, Complex above.
func (j JoinCounts) ComplexityType() string {
	switch t := j.Total(); {
	case t <= 2:
		return "Simple"
	case t <= 4:
		return "Medium"
	default:
		return "Complex"
	}
}

// Script is a parsed SQL file: its statements and what they add up to.
type Script struct {
	Statements []Statement
	// Joins counts the JOIN keywords of the whole script.
	Joins JoinCounts
	// Fingerprint is a hex SHA-256 of the normalised token stream: comments,
	// whitespace, keyword case and a trailing semicolon do not change it.
	Fingerprint string
}

// Created returns the statement that creates a table (CREATE TABLE, CTAS or
// CREATE MATERIALIZED TABLE), if the script has one.
func (s *Script) Created() (Statement, bool) {
	for _, st := range s.Statements {
		if st.Kind == KindCreateTable || st.Kind == KindCreateMaterializedTable {
			return st, true
		}
	}
	return Statement{}, false
}

// Writes lists the distinct tables the script inserts into, in order.
func (s *Script) Writes() []Name {
	var out names
	for _, st := range s.Statements {
		out.add(st.Writes...)
	}
	return out.list
}

// Reads lists the distinct tables the script reads, in order of first
// appearance, without the views the script defines itself: their bodies'
// tables are read instead.
func (s *Script) Reads() []Name {
	local := map[string]bool{}
	for _, st := range s.Statements {
		if st.Kind == KindCreateView {
			local[st.Table.String()] = true
		}
	}
	var out names
	for _, st := range s.Statements {
		for _, n := range st.Reads {
			if !local[n.String()] {
				out.add(n)
			}
		}
	}
	return out.list
}

// Stateful lists why the script keeps state, from its queries; empty when
// every query is stateless.
func (s *Script) Stateful() []string {
	var out []string
	seen := map[string]bool{}
	for _, st := range s.Statements {
		for _, r := range st.Stateful {
			if !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	}
	return out
}

// ChangelogMode is the 'changelog.mode' option of the table the script
// creates, as its CREATE TABLE or a later ALTER TABLE ... SET sets it,
// lower-cased, or "" when not set.
func (s *Script) ChangelogMode() string {
	created, ok := s.Created()
	if !ok {
		return ""
	}
	mode := created.Options["changelog.mode"]
	for _, st := range s.Statements {
		if m, set := st.Options["changelog.mode"]; set && st.Kind == KindAlterTable && st.Table.Table() == created.Table.Table() {
			mode = m
		}
	}
	return strings.ToLower(mode)
}

// names is an ordered set of names.
type names struct{ ordered[Name] }

func (ns *names) add(list ...Name) {
	for _, n := range list {
		ns.ordered.add(n, slices.Equal[Name], Name.String)
	}
}

// ordered keeps distinct values in the order they come. Most lists are
// short, so it scans them, and keys a map only when one grows long, as when
// a script joins thousands of tables.
type ordered[T any] struct {
	list []T
	keys map[string]bool
}

// orderedScan is the length from which ordered keys a map.
const orderedScan = 16

// add appends v unless the list has it. same compares two values; key gives
// strings that are equal exactly when the values are the same.
func (o *ordered[T]) add(v T, same func(a, b T) bool, key func(T) string) {
	if len(o.list) < orderedScan {
		for _, w := range o.list {
			if same(v, w) {
				return
			}
		}
	} else {
		if o.keys == nil {
			o.keys = make(map[string]bool, 2*len(o.list))
			for _, w := range o.list {
				o.keys[key(w)] = true
			}
		}
		k := key(v)
		if o.keys[k] {
			return
		}
		o.keys[k] = true
	}
	o.list = append(o.list, v)
}
