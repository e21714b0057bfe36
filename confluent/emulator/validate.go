package emulator

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shiftleft/shiftleft/flinksql"
)

// Flink's validation beyond the catalog's tables: calls of functions Flink
// does not have, and columns a table does not have. Both are judged from the
// tokens, so each rule speaks only where it is sure: a rule that rejected
// valid SQL would fail the pull requests validated against the emulator.

// validateSQL is why Flink's validator rejects sql; "" when nothing here
// finds fault with it.
func validateSQL(sql string, p plan, cat catalog) string {
	toks, err := flinksql.Tokenize(sql)
	if err != nil {
		return "" // classify reported it
	}
	toks = slices.DeleteFunc(toks, func(t flinksql.Token) bool { return t.Kind == flinksql.Hint })
	if detail := unknownFunction(toks, p, cat); detail != "" {
		return detail
	}
	if len(p.Reads) > 0 && (p.Job || p.SQLKind == "SELECT") {
		return unknownColumn(toks, p, cat)
	}
	return ""
}

// builtinFunctions are Flink's built-in functions (Apache Flink's "System
// (Built-in) Functions", and Confluent Cloud's own: ML, AI, search), those
// that are no keyword of flinksql already.
var builtinFunctions = wordsOf(`ABS ACOS AI_COMPLETE AI_EMBEDDING AI_TOOL_INVOKE APPROX_COUNT_DISTINCT
ARRAY_AGG ARRAY_APPEND ARRAY_CONCAT ARRAY_CONTAINS ARRAY_DISTINCT ARRAY_EXCEPT ARRAY_INTERSECT
ARRAY_JOIN ARRAY_MAX ARRAY_MIN ARRAY_POSITION ARRAY_PREPEND ARRAY_REMOVE ARRAY_REVERSE ARRAY_SLICE
ARRAY_SORT ARRAY_UNION ASCII ASIN ATAN ATAN2 BIN BITAND BITNOT BITOR BITXOR BIT_AND BIT_OR BIT_XOR
BTRIM CHAR_LENGTH CHARACTER_LENGTH CHR CONCAT CONCAT_WS CONVERT_TZ COS COSH COT CURRENT_DATABASE
CURRENT_ROW_TIMESTAMP CURRENT_WATERMARK DATE_ADD DATE_FORMAT DATE_SUB DATE_TRUNC DATEDIFF
DAYOFMONTH DAYOFWEEK DAYOFYEAR DECODE DEGREES E ELT ENCODE ENDSWITH FEDERATED_SEARCH FIRST
FROM_BASE64 FROM_UNIXTIME GREATEST GROUP_ID GROUPING_ID HASH_CODE HEX HOP_END HOP_PROCTIME
HOP_ROWTIME HOP_START IF IFNULL INITCAP INSTR IS_ALPHA IS_DECIMAL IS_DIGIT JSON_QUOTE
JSON_STRING JSON_UNQUOTE KEY_SEARCH_AGG LAST LAST_DAY LEAST LEFT LISTAGG LOCATE LOG LOG10 LOG2
LPAD LTRIM MAP_ENTRIES MAP_FROM_ARRAYS MAP_FROM_ENTRIES MAP_KEYS MAP_UNION MAP_VALUES MD5
ML_DETECT_ANOMALIES ML_EVALUATE ML_FORECAST ML_PREDICT NOW NVL OBJECT_OF PARSE_URL PERCENTILE PI
POW PRINTF PROCTIME QUARTER RADIANS RAND RAND_INTEGER REGEXP REGEXP_COUNT REGEXP_EXTRACT
REGEXP_EXTRACT_ALL REGEXP_INSTR REGEXP_REPLACE REGEXP_SUBSTR REPEAT REPLACE REVERSE RIGHT ROUND
RPAD RTRIM SESSION_END SESSION_PROCTIME SESSION_ROWTIME SESSION_START SHA1 SHA2 SHA224 SHA256
SHA384 SHA512 SIGN SIN SINH SOURCE_WATERMARK SPLIT SPLIT_INDEX STARTSWITH STR_TO_MAP SUBSTR TAN
TANH TEXT_SEARCH_AGG TIMESTAMPADD TIMESTAMPDIFF TO_BASE64 TO_DATE TO_TIMESTAMP TO_TIMESTAMP_LTZ
TRY_CAST TUMBLE_END TUMBLE_PROCTIME TUMBLE_ROWTIME TUMBLE_START TYPEOF UNHEX UNIX_TIMESTAMP
URL_DECODE URL_ENCODE UUID VARIANCE VECTOR_SEARCH VECTOR_SEARCH_AGG WEEK
HASH MODIFY RENAME`) // syntax: DISTRIBUTED BY HASH(id), ALTER TABLE t MODIFY (...)

func wordsOf(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.Fields(s) {
		out[w] = true
	}
	return out
}

// unknownFunction is Flink's error for the first call of a function it does
// not know (a built-in one, or a catalog function: the Functions option,
// CREATE FUNCTION). A word before "(" is a call unless it is a keyword (CAST, a type
// such as DECIMAL(10, 2)), qualified (a catalog function), or a name the
// statement gives a table: INSERT INTO t (a, b), CREATE TABLE t (...), a
// CTE, view or alias with a column list.
func unknownFunction(toks []flinksql.Token, p plan, cat catalog) string {
	tables := map[string]bool{}
	for _, n := range slices.Concat(p.Reads, p.Writes, []flinksql.Name{p.Creates, p.Alters}) {
		if n != nil {
			tables[n.Table()] = true
		}
	}
	ddl := !p.Job && (p.Creates != nil || p.Alters != nil)
	match := matchParens(toks)
	for i, t := range toks {
		if t.Kind != flinksql.Word || i+1 >= len(toks) || !toks[i+1].IsPunct("(") || t.Keyword() ||
			builtinFunctions[strings.ToUpper(t.Text)] || tables[t.Text] || cat.hasFunction(t.Text) {
			continue
		}
		// After INTO, TABLE, VIEW or EXISTS a name is a table's. In a query,
		// after AS or ")" it is an alias with its column list (UNNEST(x) AS
		// t (a)); in a DDL, AS starts an expression (a computed column).
		if i > 0 && (slices.ContainsFunc([]string{"INTO", "TABLE", "VIEW", "EXISTS"}, toks[i-1].Is) ||
			toks[i-1].IsPunct(".") || toks[i-1].IsPunct(")") || !ddl && toks[i-1].Is("AS")) {
			continue
		}
		// name (columns) AS (query): a CTE's column list, not a call.
		if end := match[i+1]; end > 0 && end+1 < len(toks) && toks[end+1].Is("AS") {
			continue
		}
		return fmt.Sprintf("SQL validation failed. %s: No match found for function signature %s(<arguments>)",
			where(t), t.Text)
	}
	return ""
}

// matchParens maps the index of each "(" to that of its ")"; 0 when it has
// none.
func matchParens(toks []flinksql.Token) []int {
	match := make([]int, len(toks))
	var open []int
	for i, t := range toks {
		switch {
		case t.IsPunct("("):
			open = append(open, i)
		case t.IsPunct(")") && len(open) > 0:
			match[open[len(open)-1]] = i
			open = open[:len(open)-1]
		}
	}
	return match
}

// where is where Flink's validator says a token is.
func where(t flinksql.Token) string {
	return fmt.Sprintf("From line %d, column %d to line %d, column %d", t.Pos.Line, t.Pos.Col, t.Pos.Line, t.Pos.Col+len(t.Text)-1)
}

// isIdent reports whether t names something. Flink's list of reserved
// words has A and C, which its parser takes as names all the same (FROM
// customers c).
func isIdent(t flinksql.Token) bool {
	return t.Kind == flinksql.QuotedIdent || t.Kind == flinksql.Word && (!t.Keyword() || len(t.Text) == 1)
}

// unknownColumn is Flink's error for the first column reference no table
// has: a qualified one (o.nme) whose qualifier names one table of known
// columns (by its name or its only alias), or, in a query over one such
// table with no join, subquery, CTE or table function, an unqualified one
// in an expression. Names starting with $ ($rowtime) are Confluent's system
// columns, which every table has.
func unknownColumn(toks []flinksql.Token, p plan, cat catalog) string {
	if slices.ContainsFunc(toks, func(t flinksql.Token) bool { return t.Is("MATCH_RECOGNIZE") }) {
		return "" // its pattern variables qualify columns too
	}
	reads := map[string]bool{}
	for _, n := range p.Reads {
		reads[n.Table()] = true
	}
	quals, fromNames := qualifiers(toks, reads)
	for i := 0; i+2 < len(toks); i++ {
		q, dot, col := toks[i], toks[i+1], toks[i+2]
		if !isIdent(q) || !dot.IsPunct(".") || !isIdent(col) || fromNames[i] || i > 0 && toks[i-1].IsPunct(".") {
			continue
		}
		table, ok := quals[q.Text]
		if !ok || table == "" {
			continue
		}
		if cols, known := cat.columns(table); known && !hasColumn(cols, col.Text) {
			return fmt.Sprintf("SQL validation failed. %s: Column '%s' not found in table '%s'", where(col), col.Text, q.Text)
		}
	}
	if len(reads) != 1 {
		return ""
	}
	var table string
	for t := range reads {
		table = t
	}
	cols, known := cat.columns(table)
	selects := 0
	for _, t := range toks {
		switch {
		case t.Is("SELECT"):
			selects++
		case t.Is("JOIN"), t.Is("TABLE"), t.Is("WITH"), t.Is("LATERAL"), t.Is("UNNEST"):
			return ""
		}
	}
	if !known || selects != 1 {
		return ""
	}
	aliases := map[string]bool{}
	for i := 1; i < len(toks); i++ {
		if toks[i-1].Is("AS") && isIdent(toks[i]) {
			aliases[toks[i].Text] = true
		}
	}
	start := slices.IndexFunc(toks, func(t flinksql.Token) bool { return t.Is("SELECT") })
	for i := start + 1; i < len(toks); i++ {
		t := toks[i]
		if !isIdent(t) || fromNames[i] || aliases[t.Text] || hasColumn(cols, t.Text) || !expressionStart(toks[i-1]) {
			continue
		}
		if i+1 < len(toks) && (toks[i+1].IsPunct("(") || toks[i+1].IsPunct(".")) {
			continue
		}
		if _, qualifier := quals[t.Text]; qualifier {
			continue
		}
		return fmt.Sprintf("SQL validation failed. %s: Column '%s' not found in any table", where(t), t.Text)
	}
	return ""
}

// expressionStart reports whether an operand may follow t: an operator or
// an opening punctuation, or a keyword that an expression follows. After
// anything else a word is an alias (SELECT COUNT(*) n) or a part of the
// syntax that this reading does not know, and is left alone.
func expressionStart(t flinksql.Token) bool {
	if t.Kind == flinksql.Punct {
		// "$" starts $rowtime, which the lexer splits.
		return !t.IsPunct(")") && !t.IsPunct("]") && !t.IsPunct(".") && !t.IsPunct("$")
	}
	for _, kw := range []string{"SELECT", "WHERE", "AND", "OR", "NOT", "WHEN", "THEN", "ELSE", "ON", "BY",
		"HAVING", "CASE", "IN", "BETWEEN", "LIKE", "DISTINCT", "ALL"} {
		if t.Is(kw) {
			return true
		}
	}
	return false
}

func hasColumn(cols []string, c string) bool {
	return strings.HasPrefix(c, "$") || slices.Contains(cols, c)
}

// qualifiers maps the names a query qualifies columns with to the table they
// stand for: each table of reads the FROM list names, by its alias, or by its
// own name when it has none. A qualifier that stands for two tables, or
// that names a subquery, a CTE or a table function too, maps to "". It also
// gives the indexes of the tokens that name a table (FROM db.t, INSERT INTO
// t), which are no column references.
func qualifiers(toks []flinksql.Token, reads map[string]bool) (map[string]string, map[int]bool) {
	quals := map[string]string{}
	names := map[int]bool{}
	bind := func(q, table string) {
		if old, ok := quals[q]; ok && old != table {
			table = ""
		}
		quals[q] = table
	}
	for i := 1; i < len(toks); i++ {
		prev := toks[i-1]
		switch {
		case prev.IsPunct(")") && (isIdent(toks[i]) || toks[i].Is("AS") && i+1 < len(toks) && isIdent(toks[i+1])):
			// (SELECT ...) s, TABLE(...) AS w: not a table of reads.
			j := i
			if toks[j].Is("AS") {
				j++
			}
			bind(toks[j].Text, "")
		case prev.Is("WITH") || prev.IsPunct(",") && i+1 < len(toks) && toks[i+1].Is("AS"):
			if isIdent(toks[i]) {
				bind(toks[i].Text, "") // a CTE
			}
		}
		if !(prev.Is("FROM") || prev.Is("JOIN") || prev.IsPunct(",") || prev.Is("INTO") || prev.Is("TABLE")) || !isIdent(toks[i]) {
			continue
		}
		j := i
		for j+2 < len(toks) && toks[j+1].IsPunct(".") && isIdent(toks[j+2]) {
			j += 2
		}
		table := toks[j].Text
		if prev.Is("INTO") || prev.Is("TABLE") || reads[table] {
			for k := i; k <= j; k++ {
				names[k] = true
			}
		}
		if !reads[table] || prev.Is("INTO") || prev.Is("TABLE") {
			continue
		}
		k := j + 1
		// A temporal join: FOR SYSTEM_TIME AS OF o.ts [AS] r.
		if k+3 < len(toks) && toks[k].Is("FOR") && toks[k+1].Is("SYSTEM_TIME") && toks[k+2].Is("AS") && toks[k+3].Is("OF") {
			k += 4
			for k < len(toks) && (isIdent(toks[k]) || toks[k].IsPunct(".")) {
				k++
			}
		}
		if k < len(toks) && toks[k].Is("AS") {
			k++
		}
		if k < len(toks) && isIdent(toks[k]) {
			names[k] = true
			bind(toks[k].Text, table)
		} else {
			bind(table, table)
		}
	}
	return quals, names
}

// createColumns are the columns a CREATE TABLE declares; nil when they are
// not all in a column list after the table's name (CREATE TABLE ... LIKE, a
// CTAS), or when the list is not read with certainty.
func createColumns(toks []flinksql.Token) []string {
	open := slices.IndexFunc(toks, func(t flinksql.Token) bool { return t.IsPunct("(") })
	if open < 1 || !isIdent(toks[open-1]) || slices.ContainsFunc(toks, func(t flinksql.Token) bool { return t.Is("LIKE") }) {
		return nil
	}
	end := matchParens(toks)[open]
	if end == 0 {
		return nil
	}
	cols := []string{}
	first, depth := true, 0
	for _, t := range toks[open+1 : end] {
		switch {
		case t.IsPunct("(") || t.IsPunct("<"): // ROW<a INT, b INT>, DECIMAL(10, 2)
			depth++
		case t.IsPunct(")") || t.IsPunct(">"):
			if depth--; depth < 0 {
				return nil // a ">" of an expression: the commas cannot be told apart
			}
		case t.IsPunct(",") && depth == 0:
			first = true
			continue
		}
		if !first {
			continue
		}
		first = false
		if slices.ContainsFunc([]string{"PRIMARY", "CONSTRAINT", "WATERMARK", "PERIOD", "UNIQUE", "FOREIGN", "CHECK"}, t.Is) {
			continue // a constraint, not a column
		}
		if t.Kind != flinksql.Word && t.Kind != flinksql.QuotedIdent {
			return nil
		}
		cols = append(cols, t.Text)
	}
	return cols
}
