package flinksql_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/flinksql"
)

// TestShapeErrors: text whose shape is not Flink's, where the walker would
// otherwise lose a table, is an error at the right place, naming the table
// of the statement when the text before says it.
func TestShapeErrors(t *testing.T) {
	tests := []struct {
		name      string
		sql       string
		line, col int
		msg       string
		table     string
	}{
		{"no select list, no tables", "SELECT FROM WHERE JOIN ON ,,,", 1, 13, "a table must follow FROM, not WHERE", ""},
		{"FORM instead of FROM", "INSERT INTO t\nSELECT id, name FORM src_sales_customers", 2, 17, "is FORM a misspelt keyword", "t"},
		{"FORM before WHERE", "INSERT INTO t SELECT c.id FORM src c WHERE c.x = 1", 1, 27, "is FORM a misspelt keyword", "t"},
		{"FORM after a star", "INSERT INTO t SELECT * FORM src", 1, 24, "is FORM a misspelt", "t"},
		{"FORM after a call", "INSERT INTO t SELECT COUNT(*) FORM src", 1, 31, "is FORM a misspelt", "t"},
		{"WHERE without FROM", "SELECT 1 WHERE true", 1, 10, "WHERE needs a FROM clause", ""},
		{"FROM without a table", "INSERT INTO t SELECT * FROM WHERE x = 1", 1, 29, "a table must follow FROM, not WHERE", "t"},
		{"FROM at the end", "INSERT INTO t SELECT * FROM", 1, 24, "a table must follow FROM, not the end", "t"},
		{"JOIN without a table", "SELECT * FROM a JOIN ON a.x = b.x", 1, 22, "a table must follow JOIN, not ON", ""},
		{"two commas", "SELECT * FROM a, , b", 1, 18, "a table must follow a comma", ""},
		{"misspelt join", "SELECT * FROM src s JION other o ON s.id = o.id", 1, 21, "unexpected JION in the FROM clause", ""},
		{"two aliases", "SELECT * FROM a b c", 1, 19, "unexpected c in the FROM clause", ""},
		{"AS without an alias", "SELECT * FROM a AS WHERE x", 1, 20, "an alias must follow AS", ""},
		{
			"stray semicolon in a query", "INSERT INTO t SELECT * FROM a;\nLEFT JOIN b ON a.id = b.id", 2, 1,
			"LEFT does not start a statement (is the ; before it a stray one?)", "",
		},
		{"unknown statement", "SET 'a' = 'b';\nFROB TABLE t", 2, 1, "FROB does not start a statement", ""},
		{"INSERT without INTO", "INSERT t SELECT 1", 1, 8, "INTO or OVERWRITE must follow INSERT", ""},
		{"INSERT without a table", "INSERT INTO SELECT 1", 1, 13, "a table must follow INSERT INTO", ""},
		{"misspelt SELECT", "INSERT INTO t\n  SELEC * FROM a", 2, 3, "a query must come here", "t"},
		{"nothing after UNION", "INSERT INTO t SELECT * FROM a UNION ALL", 1, 37, "a query after UNION must come here", "t"},
		{"missing semicolon", "INSERT INTO a SELECT * FROM s\nINSERT INTO b SELECT * FROM u", 2, 1, "a ; must end the statement", "a"},
		{"text after a query", "INSERT INTO t (SELECT * FROM a) garbage", 1, 33, "unexpected garbage after the query", "t"},
		{"a join after WHERE", "INSERT INTO t SELECT * FROM a WHERE x = 1 JOIN b ON a.k = b.k", 1, 43, "unexpected JOIN after the query", "t"},
		{"a second FROM", "SELECT * FROM a WHERE x = 1 FROM b", 1, 29, "unexpected FROM after the query", ""},
		{"a non-INSERT in a statement set", "EXECUTE STATEMENT SET BEGIN\nINSERT INTO a SELECT 1;\nSELECT 2;\nEND", 3, 1, "holds INSERT statements only", "a"},
		{"a statement set without END", "EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT * FROM s;", 1, 58, "has no END", "a"},
		{"LATERAL TABLE without its call", "SELECT * FROM a, LATERAL TABLE x, b", 1, 32, "( must follow TABLE, not x", ""},
		{"UNNEST without its call", "SELECT * FROM a CROSS JOIN UNNEST tags", 1, 35, "( must follow UNNEST", ""},
		{"LATERAL without a sub-query", "SELECT * FROM a, LATERAL b", 1, 26, "must follow LATERAL", ""},
		{"three names in WHERE", "SELECT * FROM a WHERE x = 1 AN y = 2", 1, 29, "is AN a misspelt keyword", ""},
		{"FORM with a one-letter alias", "INSERT INTO t SELECT c.id, c.name FORM src c", 1, 35, "is FORM a misspelt keyword", "t"},
		{"nested too deep", "INSERT INTO t SELECT " + strings.Repeat("(", 1001) + "1" + strings.Repeat(")", 1001), 1, 1022, "nested deeper than 1000 levels", "t"},
		{"unterminated string names the table", "INSERT INTO `db`.`t` SELECT 'x FROM s", 1, 29, "unterminated string", "db.t"},
		{"unbalanced names the created table", "CREATE TABLE IF NOT EXISTS t (a INT", 1, 30, "unclosed (", "t"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := flinksql.Parse(tc.sql)
			var se *flinksql.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse = %+v, %v; want a *SyntaxError", s, err)
			}
			if s != nil {
				t.Error("Parse returned a script with its error")
			}
			if se.Pos.Line != tc.line || se.Pos.Col != tc.col {
				t.Errorf("error %q at %s, want line %d, column %d", se.Msg, se.Pos, tc.line, tc.col)
			}
			if !strings.Contains(se.Msg, tc.msg) {
				t.Errorf("message %q does not contain %q", se.Msg, tc.msg)
			}
			if got := se.Table.String(); got != tc.table {
				t.Errorf("table %q, want %q", got, tc.table)
			}
		})
	}
}

// TestValidFlinkSQL: the shape checks raise no error on Flink SQL as
// Confluent Cloud runs it, and the tables come out right.
func TestValidFlinkSQL(t *testing.T) {
	tests := []struct {
		sql   string
		reads string
	}{
		{"SELECT a b, c AS d, `e f` `g`, t.* FROM t", "t"},
		{"SELECT COUNT(*) c, SUM(x) OVER w s, LAG(x) IGNORE NULLS OVER w AS l FROM t WINDOW w AS (ORDER BY ts)", "t"},
		{"SELECT COUNT(*) FILTER (WHERE a > 1) n, LISTAGG(x) WITHIN GROUP (ORDER BY x) l FROM t", "t"},
		{"SELECT DATE '2024-01-01' d, TIMESTAMP '2024-01-01 00:00:00' ts, INTERVAL '1' DAY i, N'x' n, X'0A' b, 'a' 'b' ab FROM t", "t"},
		{"SELECT CASE WHEN a = 1 THEN 'x' ELSE 'y' END c, CAST(a AS STRING) s, -a neg, a * b p, ROW(a, b) r FROM t", "t"},
		{"SELECT arr[1] first_one, m['k'] v, ARRAY[1, 2] a2, MAP['k', 1] m2, a.b.c abc FROM t", "t"},
		{"SELECT x IS JSON SCALAR j, x IS NOT DISTINCT FROM y AS same, x SIMILAR TO 'a%' s FROM t WHERE x IS JSON OBJECT", "t"},
		{"SELECT JSON_VALUE(p, '$.a' RETURNING INT) v, TRY_CAST(s AS INT) i, CURRENT_WATERMARK(ts) w FROM t", "t"},
		{"SELECT t.`$rowtime`, `from` FROM t WHERE t.`$rowtime` > CURRENT_TIMESTAMP - INTERVAL '1' HOUR", "t"},
		{"SELECT * FROM t ORDER BY ts DESC NULLS LAST, k ASC NULLS FIRST FETCH FIRST 5 ROWS ONLY", "t"},
		{"SELECT k, COUNT(*) FROM t GROUP BY GROUPING SETS ((k), ()) HAVING COUNT(*) > 1", "t"},
		{"SELECT * FROM t QUALIFY ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts DESC) = 1", "t"},
		{"SELECT * FROM t /*+ OPTIONS('scan.startup.mode' = 'earliest-offset') */ AS x", "t"},
		{"SELECT * FROM a JOIN b /*+ OPTIONS('a' = 'b') */ USING (id) NATURAL JOIN c", "a b c"},
		{"SELECT * FROM (a JOIN b ON a.id = b.id) AS ab (x, y)", "a b"},
		{"SELECT o.id, t.tag, t.n FROM orders AS o CROSS JOIN UNNEST(o.tags) WITH ORDINALITY AS t (tag, n)", "orders"},
		{"SELECT * FROM events, LATERAL TABLE(split(body)) AS w(word)", "events"},
		{"SELECT * FROM orders o LEFT JOIN rates FOR SYSTEM_TIME AS OF o.ts r ON o.cur = r.cur", "orders rates"},
		{"SELECT * FROM t TABLESAMPLE BERNOULLI(10) REPEATABLE(1) AS s", "t"},
		{"SELECT * FROM ticker MATCH_RECOGNIZE (PARTITION BY s ORDER BY ts MEASURES A.p AS p ONE ROW PER MATCH AFTER MATCH SKIP TO LAST B PATTERN (A B C D) DEFINE A AS A.p > 1) AS m", "ticker"},
		{"SELECT * FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' MINUTES)) w WHERE w.price > 1", "bids"},
		{"SELECT * FROM TABLE(ML_PREDICT(TABLE t, MODEL m, DESCRIPTOR(text)))", "t"},
		{"WITH a AS (SELECT * FROM t1), b (x) AS (VALUES (1), (2)) SELECT * FROM a, b", "t1"},
		{"(SELECT * FROM a) UNION ALL (SELECT * FROM b) ORDER BY 1", "a b"},
		{"VALUES (1, 'a'), (2, 'b')", ""},
		{"TABLE t", "t"},
		{"SET 'sql.state-ttl' = '1 d'; RESET 'sql.state-ttl'; USE CATALOG c; USE db; SHOW TABLES; DESCRIBE EXTENDED t; DESC t", ""},
		{"EXPLAIN PLAN FOR INSERT INTO t SELECT * FROM s", ""},
		{"CREATE FUNCTION f AS 'com.x.F' USING JAR 'f.jar'; ALTER VIEW v AS SELECT 1; DROP VIEW v; CREATE MODEL m INPUT (x STRING) OUTPUT (y STRING)", ""},
		{"ALTER TABLE t MODIFY WATERMARK FOR ts AS ts - INTERVAL '5' SECOND; ALTER TABLE t ADD (c INT)", ""},
		{"REPLACE TABLE t WITH ('k' = 'v') AS SELECT * FROM s", "s"},
		{"CREATE TABLE t DISTRIBUTED BY HASH(id) INTO 4 BUCKETS WITH ('changelog.mode' = 'upsert') AS SELECT id FROM s", "s"},
		{"INSERT OVERWRITE t PARTITION (dt = '1') (a, b) SELECT a, b FROM s", "s"},
		{"EXECUTE INSERT INTO t SELECT * FROM s", "s"},
		{"BEGIN STATEMENT SET;\nINSERT INTO a SELECT * FROM s;\nINSERT INTO b SELECT * FROM u;\nEND;", "s u"},
		{"EXECUTE STATEMENT SET\nBEGIN\n  -- the first sink\n  INSERT INTO a SELECT * FROM s;\n  INSERT INTO b SELECT * FROM u;\nEND;", "s u"},
		{"-- only a comment\n/* and another */ SELECT 1 AS one;;", ""},
		// shift_left's templates: Flink refuses the empty select list, but
		// the table read is plain.
		{"INSERT INTO t\nSELECT \n-- part to select stuff\nFROM src_table\nWHERE -- where condition or remove it", "src_table"},
		{"SELECT * FROM `cat`.`db`.`t` AS `weird alias` WHERE `col` IS NOT NULL", "cat.db.t"},
	}
	for _, tc := range tests {
		s, err := flinksql.Parse(tc.sql)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.sql, err)
			continue
		}
		if got := strings.Join(nameStrings(s.Reads()), " "); got != tc.reads {
			t.Errorf("Parse(%q) reads %q, want %q", tc.sql, got, tc.reads)
		}
	}
}

// TestLimits: input past the nesting and size limits is an error, quickly
// and on a small stack, however far past it goes.
func TestLimits(t *testing.T) {
	const deep = 1_000_000
	_, err := flinksql.Parse("INSERT INTO t SELECT " + strings.Repeat("(", deep) + "1" + strings.Repeat(")", deep) + " FROM s")
	var se *flinksql.SyntaxError
	if !errors.As(err, &se) || !strings.Contains(se.Msg, "nested deeper than 1000 levels") || se.Table.String() != "t" {
		t.Errorf("%d nested parentheses: %v", deep, err)
	}
	atLimit := "SELECT * FROM " + strings.Repeat("(", flinksql.MaxNesting-1) + "SELECT * FROM t" + strings.Repeat(")", flinksql.MaxNesting-1)
	if s, err := flinksql.Parse(atLimit); err != nil || len(s.Reads()) != 1 {
		t.Errorf("sub-queries nested %d deep: %v", flinksql.MaxNesting-1, err)
	}

	literal := func(n int) string { return "'" + strings.Repeat("x", n) + "'" }
	big := "INSERT INTO t SELECT " + literal(flinksql.MaxStatementBytes) + " FROM s"
	_, err = flinksql.Parse("SET 'a' = 'b';\n" + big)
	if !errors.As(err, &se) || se.Pos.Line != 2 || !strings.Contains(se.Msg, "4194304 bytes") || se.Table.String() != "t" {
		t.Errorf("a statement over 4 MB: %v", err)
	}
	// The limit is per statement: a script may hold several that are each
	// under it.
	half := "INSERT INTO t SELECT " + literal(flinksql.MaxStatementBytes/2) + " FROM s;\n"
	if _, err := flinksql.Parse(half + half + half); err != nil {
		t.Errorf("three statements of 2 MB: %v", err)
	}
}
