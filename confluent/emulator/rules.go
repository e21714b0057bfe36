package emulator

import (
	"fmt"
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
}

// Exception classes reported by /exceptions, as Flink names them.
const (
	exValidation = "org.apache.flink.table.api.ValidationException"
	exParser     = "org.apache.flink.table.api.SqlParserException"
	exTable      = "org.apache.flink.table.api.TableException"
	exRuntime    = "java.lang.RuntimeException"
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
	p := plan{Reads: st.Reads, Writes: st.Writes, IfNotExists: st.IfNotExists || st.OrReplace, IfExists: st.IfExists}
	switch st.Kind {
	case flinksql.KindCreateTable:
		p.Creates, p.SQLKind = st.Table, "CREATE_TABLE"
		if isCTAS(sql) {
			p.Job, p.SQLKind = true, "CREATE_TABLE_AS"
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
		p.Job, p.SQLKind = true, "INSERT_INTO"
	case flinksql.KindStatementSet:
		p.Job, p.SQLKind = true, "STATEMENT_SET"
	case flinksql.KindQuery:
		// A query over tables reads unbounded topics and runs until
		// stopped; SELECT 1 or VALUES ends at once.
		p.Job, p.SQLKind = len(st.Reads) > 0, "SELECT"
	default:
		p.SQLKind = firstWord(sql)
	}
	return p
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
	return fmt.Sprintf("Table '%s' was dropped by statement '%s' while this statement used it.", table, by)
}
