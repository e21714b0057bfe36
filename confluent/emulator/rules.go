package emulator

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/shiftleft/shiftleft/flinksql"
)

// plan is what a statement's SQL does, decided once when it is created.
type plan struct {
	// SQLKind is status.traits.sql_kind: CREATE_TABLE, INSERT_INTO...
	SQLKind string `json:"sql_kind"`
	// Job is set for statements that run until stopped (INSERT, statement
	// sets, CTAS, queries over tables): they need a CFU of their pool.
	Job     bool            `json:"job,omitempty"`
	Creates flinksql.Name   `json:"creates,omitempty"` // CREATE TABLE, CTAS, CREATE VIEW
	Drops   flinksql.Name   `json:"drops,omitempty"`
	Alters  flinksql.Name   `json:"alters,omitempty"`
	Reads   []flinksql.Name `json:"reads,omitempty"`
	Writes  []flinksql.Name `json:"writes,omitempty"`
	// IfNotExists is CREATE ... IF NOT EXISTS or CREATE OR REPLACE: an
	// existing table is not an error.
	IfNotExists bool `json:"if_not_exists,omitempty"`
	IfExists    bool `json:"if_exists,omitempty"`
	// Failure, when set, is why the statement fails as soon as it is
	// scheduled, with an exception of class Exception.
	Failure   string `json:"failure,omitempty"`
	Exception string `json:"exception,omitempty"`

	// Flows say where a job's records go: each INSERT (a statement set has
	// several), or the query of a CTAS, copies the records of its reads to
	// its writes; a query over tables reads and writes nowhere.
	Flows []flow `json:"flows,omitempty"`
	// Stateful lists why the statement keeps state (flinksql's reasons).
	Stateful []string `json:"stateful,omitempty"`
	// Resumable: INSERT INTO, CTAS and statement sets resume from where
	// they stopped; other statements cannot be resumed.
	Resumable bool `json:"resumable,omitempty"`
	// AppendOnly is status.traits.is_append_only.
	AppendOnly bool `json:"append_only,omitempty"`
	// Hints holds, by table, the options of its /*+ OPTIONS(...) */ hints,
	// keys lower-cased.
	Hints map[string]map[string]string `json:"hints,omitempty"`
	// Options are the WITH options of a CREATE TABLE, or those an ALTER
	// TABLE sets, keys lower-cased.
	Options map[string]string `json:"options,omitempty"`
	// Columns are the columns of a CREATE TABLE, nil when not known.
	Columns []string `json:"columns,omitempty"`
	// Function is the name a CREATE FUNCTION gives its function.
	Function string `json:"function,omitempty"`
}

// flow is one INSERT of a job: the tables it reads and writes.
type flow struct {
	Reads  []string `json:"reads,omitempty"`
	Writes []string `json:"writes,omitempty"`
}

// inputs lists the tables the flows read, each once, in order.
func (p plan) inputs() []string { return p.tables(func(f flow) []string { return f.Reads }) }

// sinks lists the tables the flows write, each once, in order.
func (p plan) sinks() []string { return p.tables(func(f flow) []string { return f.Writes }) }

func (p plan) tables(of func(flow) []string) []string {
	var out []string
	for _, f := range p.Flows {
		for _, t := range of(f) {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

// ddl reports whether the statement only changes the catalog: it has no
// result schema.
func (p plan) ddl() bool { return !p.Job && (p.Creates != nil || p.Drops != nil || p.Alters != nil) }

// Exception classes reported by /exceptions, as Flink names them.
const (
	exValidation = "org.apache.flink.table.api.ValidationException"
	exParser     = "org.apache.flink.table.api.SqlParserException"
	exRuntime    = "java.lang.RuntimeException"
	// exTopicGone is what a Flink job's Kafka client throws when its
	// topic is deleted under it.
	exTopicGone = "org.apache.kafka.common.errors.UnknownTopicOrPartitionException"
)

// classify reads sql with flinksql. Confluent Cloud runs one statement per
// request (a statement set counts as one), so anything else fails.
func classify(sql string) plan {
	script, err := flinksql.Parse(sql)
	if err != nil {
		return plan{SQLKind: "UNKNOWN", Failure: "SQL parse failed. " + err.Error(), Exception: exParser}
	}
	if n := len(script.Statements); n != 1 {
		return plan{SQLKind: "UNKNOWN", Exception: exParser,
			Failure: fmt.Sprintf("SQL parse failed. Expected exactly one statement, found %d.", n)}
	}
	st := script.Statements[0]
	p := plan{Reads: st.Reads, Writes: st.Writes, IfNotExists: st.IfNotExists || st.OrReplace, IfExists: st.IfExists,
		Stateful: st.Stateful, AppendOnly: appendOnly(st.Stateful), Options: st.Options}
	switch st.Kind {
	case flinksql.KindCreateTable:
		p.Creates, p.SQLKind = st.Table, "CREATE_TABLE"
		if isCTAS(sql) {
			p.Job, p.SQLKind, p.Resumable = true, "CREATE_TABLE_AS", true
			p.Flows = []flow{{Reads: tableNames(st.Reads), Writes: []string{st.Table.Table()}}}
		} else if toks, err := flinksql.Tokenize(sql); err == nil {
			p.Columns = createColumns(toks)
		}
	case flinksql.KindCreateView:
		p.Creates, p.SQLKind = st.Table, "CREATE_VIEW"
	case flinksql.KindCreateMaterializedTable:
		p.SQLKind, p.Exception = "CREATE_MATERIALIZED_TABLE", exValidation
		p.Failure = "CREATE MATERIALIZED TABLE is not supported by Confluent Cloud for Apache Flink."
	case flinksql.KindDropTable:
		p.Drops, p.SQLKind = st.Table, "DROP_TABLE"
	case flinksql.KindAlterTable:
		p.Alters, p.SQLKind = st.Table, "ALTER_TABLE"
	case flinksql.KindInsert:
		p.Job, p.SQLKind, p.Resumable = true, "INSERT_INTO", true
		p.Flows = []flow{{Reads: tableNames(st.Reads), Writes: tableNames(st.Writes)}}
	case flinksql.KindStatementSet:
		p.Job, p.SQLKind, p.Resumable = true, "STATEMENT_SET", true
		p.Flows = statementSetFlows(sql, st)
	case flinksql.KindQuery:
		// A query over tables reads unbounded topics and runs until
		// stopped; SELECT 1 or VALUES ends at once.
		p.Job, p.SQLKind = len(st.Reads) > 0, "SELECT"
		if p.Job {
			p.Flows = []flow{{Reads: tableNames(st.Reads)}}
		}
	default:
		p.SQLKind = firstWord(sql)
		if name := createdFunction(sql); name != "" {
			p.SQLKind, p.Function = "CREATE_FUNCTION", name
		}
	}
	if p.Job {
		p.Hints = optionHints(sql)
	}
	return p
}

// appendOnly reports whether a query whose state has these reasons emits
// only inserts. It is an approximation by the reasons flinksql gives:
// windowed aggregations, OVER, MATCH_RECOGNIZE, inner and temporal joins
// append; a GROUP BY or an aggregate without a window, DISTINCT, an outer
// join, a set operation without ALL and ORDER BY/LIMIT update their result.
func appendOnly(reasons []string) bool {
	windowed := slices.ContainsFunc(reasons, func(r string) bool { return strings.HasPrefix(r, "window ") })
	for _, r := range reasons {
		switch {
		case r == "GROUP BY", strings.HasPrefix(r, "aggregate "):
			if !windowed {
				return false
			}
		case r == "SELECT DISTINCT", r == "UNION", r == "INTERSECT", r == "EXCEPT",
			r == "ORDER BY", r == "LIMIT", r == "OFFSET", r == "FETCH":
			return false
		case strings.HasPrefix(r, "LEFT "), strings.HasPrefix(r, "RIGHT "), strings.HasPrefix(r, "FULL "):
			return false
		}
	}
	return true
}

// statementSetFlows gives each INSERT of a statement set its own flow, by
// parsing what lies between its BEGIN and END on its own; when that fails,
// the set is one flow from all its reads to all its writes.
func statementSetFlows(sql string, set flinksql.Statement) []flow {
	all := []flow{{Reads: tableNames(set.Reads), Writes: tableNames(set.Writes)}}
	toks, err := flinksql.Tokenize(sql)
	if err != nil {
		return all
	}
	begin := slices.IndexFunc(toks, func(t flinksql.Token) bool { return t.Is("BEGIN") })
	if begin >= 0 && begin+1 < len(toks) && toks[begin+1].Is("STATEMENT") {
		// BEGIN STATEMENT SET; ... END: the body starts after the ";".
		semi := slices.IndexFunc(toks[begin:], func(t flinksql.Token) bool { return t.IsPunct(";") })
		if semi < 0 {
			return all
		}
		begin += semi
	}
	end := len(toks) - 1
	for end > begin && !toks[end].Is("END") {
		end--
	}
	if begin < 0 || end <= begin {
		return all
	}
	from, to := toks[begin].Pos.Offset+len(toks[begin].Text), toks[end].Pos.Offset
	body, err := flinksql.Parse(sql[from:to])
	if err != nil {
		return all
	}
	var flows []flow
	for _, st := range body.Statements {
		if st.Kind == flinksql.KindInsert {
			flows = append(flows, flow{Reads: tableNames(st.Reads), Writes: tableNames(st.Writes)})
		}
	}
	if len(flows) == 0 {
		return all
	}
	return flows
}

// optionHints reads the /*+ OPTIONS('key'='value', ...) */ hints that
// follow table names, by table. Other hints are left alone.
func optionHints(sql string) map[string]map[string]string {
	toks, err := flinksql.Tokenize(sql)
	if err != nil {
		return nil
	}
	var out map[string]map[string]string
	for i, t := range toks {
		if t.Kind != flinksql.Hint || i == 0 {
			continue
		}
		before := toks[i-1]
		if before.Kind != flinksql.QuotedIdent && (before.Kind != flinksql.Word || before.Is("SELECT")) {
			continue
		}
		opts := hintOptions(t.Text)
		if len(opts) == 0 {
			continue
		}
		if out == nil {
			out = map[string]map[string]string{}
		}
		table := before.Text
		if out[table] == nil {
			out[table] = map[string]string{}
		}
		maps.Copy(out[table], opts)
	}
	return out
}

// hintOptions reads the key-value pairs of /*+ OPTIONS(...) */.
func hintOptions(hint string) map[string]string {
	toks, err := flinksql.Tokenize(strings.TrimSuffix(strings.TrimPrefix(hint, "/*+"), "*/"))
	if err != nil || len(toks) < 2 || !toks[0].Is("OPTIONS") || !toks[1].IsPunct("(") {
		return nil
	}
	out := map[string]string{}
	for i := 2; i+2 < len(toks); i++ {
		k, eq, v := toks[i], toks[i+1], toks[i+2]
		if k.Kind == flinksql.String && eq.IsPunct("=") && v.Kind == flinksql.String {
			out[strings.ToLower(unquote(k.Text))] = unquote(v.Text)
			i += 2
		}
	}
	return out
}

// unquote is the value of a SQL string literal.
func unquote(lit string) string {
	q := lit[:1]
	return strings.ReplaceAll(lit[1:len(lit)-1], q+q, q)
}

// isCTAS tells CREATE TABLE ... AS SELECT (a job) from CREATE TABLE ... LIKE
// (a catalog change): only a CTAS has AS outside parentheses, as computed
// columns and watermarks keep theirs inside the column list.
func isCTAS(sql string) bool {
	toks, err := flinksql.Tokenize(sql)
	if err != nil {
		return false
	}
	depth := 0
	for _, t := range toks {
		switch {
		case t.IsPunct("("):
			depth++
		case t.IsPunct(")"):
			depth--
		case depth == 0 && t.Is("AS"):
			return true
		}
	}
	return false
}

// createdFunction is the name CREATE [TEMPORARY] [SYSTEM] FUNCTION [IF NOT
// EXISTS] [catalog.db.]name gives its function; "" for another statement.
func createdFunction(sql string) string {
	toks, err := flinksql.Tokenize(sql)
	if err != nil || len(toks) < 3 || !toks[0].Is("CREATE") {
		return ""
	}
	i := 1
	for i < len(toks) && (toks[i].Is("TEMPORARY") || toks[i].Is("SYSTEM")) {
		i++
	}
	if i >= len(toks) || !toks[i].Is("FUNCTION") {
		return ""
	}
	i++
	if i+2 < len(toks) && toks[i].Is("IF") && toks[i+1].Is("NOT") && toks[i+2].Is("EXISTS") {
		i += 3
	}
	name := ""
	for ; i < len(toks) && (toks[i].Kind == flinksql.Word || toks[i].Kind == flinksql.QuotedIdent); i += 2 {
		name = toks[i].Text
		if i+1 >= len(toks) || !toks[i+1].IsPunct(".") {
			break
		}
	}
	return name
}

// firstWord is the upper-cased keyword a statement starts with: SET, USE...
func firstWord(sql string) string {
	toks, err := flinksql.Tokenize(sql)
	if err != nil || len(toks) == 0 || toks[0].Kind != flinksql.Word {
		return "UNKNOWN"
	}
	return strings.ToUpper(toks[0].Text)
}

// tableNames lists the tables of the names, the catalog and database of a
// qualified name dropped: every environment is one catalog here.
func tableNames(lists ...[]flinksql.Name) []string {
	var out []string
	for _, list := range lists {
		for _, n := range list {
			out = append(out, n.Table())
		}
	}
	return out
}

// Flink's messages, for status.detail and exceptions.

func missingTable(n flinksql.Name) string {
	return fmt.Sprintf("Table (or view) '%s' does not exist, may be on a different catalog/database.", n)
}

func tableExists(n flinksql.Name, env string) string {
	return fmt.Sprintf("Table '%s' already exists in catalog '%s'.", n, env)
}

func dropMissing(n flinksql.Name) string {
	return fmt.Sprintf("Table with identifier '%s' does not exist.", n)
}

func tableDropped(table, by string) string {
	return fmt.Sprintf("The Kafka topic of table '%s' was deleted by DROP TABLE (statement '%s') while this statement used it: "+
		"%s: This server does not host this topic-partition.", table, by, exTopicGone)
}

func carryStateful(reasons []string) string {
	return fmt.Sprintf("Carry-over offsets (%s) work only for stateless statements; this one keeps state: %s.",
		propInitialOffsetFrom, strings.Join(reasons, ", "))
}

func carryMissing(name string) string {
	return fmt.Sprintf("Statement '%s' named by %s does not exist or was deleted: there are no offsets to carry over.",
		name, propInitialOffsetFrom)
}
