package flinksql_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shiftleft/shiftleft/flinksql"
)

// parseCase says what a script creates, writes and reads, whether it keeps
// state and how shift_left counts its joins. Names are compared as
// Name.String(), so `a.b` (one backticked part) and a.b (two parts) differ.
type parseCase struct {
	name         string
	sql          string
	wantCreated  string // "" when the script creates no table
	wantWrites   []string
	wantReads    []string
	wantStateful bool
	// wantReason, when set, must be a substring of one of the reasons.
	wantReason string
	wantJoins  flinksql.JoinCounts
}

var ddlCases = []parseCase{
	{
		name: "create table with options",
		sql: `CREATE TABLE orders (
			id STRING,
			amount DECIMAL(10, 2),
			ts TIMESTAMP_LTZ(3),
			WATERMARK FOR ts AS ts - INTERVAL '5' SECOND,
			PRIMARY KEY (id) NOT ENFORCED
		) DISTRIBUTED BY HASH(id) INTO 4 BUCKETS
		WITH ('changelog.mode' = 'upsert', 'kafka.retention.time' = '0');`,
		wantCreated: "orders",
	},
	{
		name:        "create table if not exists, qualified",
		sql:         "CREATE TABLE IF NOT EXISTS `env`.`cluster`.`orders` (id INT)",
		wantCreated: "env.cluster.orders",
	},
	{
		name:        "create or replace table",
		sql:         "create or replace table db.orders (id INT) with ('connector' = 'kafka')",
		wantCreated: "db.orders",
	},
	{
		name:        "create temporary table",
		sql:         "CREATE TEMPORARY TABLE tmp_orders (id INT) WITH ('connector' = 'datagen')",
		wantCreated: "tmp_orders",
	},
	{
		name:        "ctas reads its source",
		sql:         "CREATE TABLE big_orders AS SELECT * FROM orders WHERE amount > 100",
		wantCreated: "big_orders",
		wantReads:   []string{"orders"},
	},
	{
		name: "ctas with options and a join",
		sql: `CREATE TABLE enriched WITH ('changelog.mode' = 'upsert') AS
			SELECT o.id, c.name FROM orders o JOIN customers c ON o.cid = c.id`,
		wantCreated:  "enriched",
		wantReads:    []string{"orders", "customers"},
		wantStateful: true,
		wantReason:   "JOIN customers",
		wantJoins:    flinksql.JoinCounts{Regular: 1},
	},
	{
		name:        "ctas with a parenthesised query",
		sql:         "CREATE TABLE t2 AS (SELECT id FROM t1)",
		wantCreated: "t2",
		wantReads:   []string{"t1"},
	},
	{
		name:        "create table like reads the source",
		sql:         "CREATE TABLE orders_copy (extra INT) WITH ('connector' = 'kafka') LIKE orders (EXCLUDING ALL)",
		wantCreated: "orders_copy",
		wantReads:   []string{"orders"},
	},
	{
		name:        "create table like without a column list",
		sql:         "CREATE TABLE `clone.dev.orders-v2` LIKE `prod`.`sales`.`orders`",
		wantCreated: "`clone.dev.orders-v2`",
		wantReads:   []string{"prod.sales.orders"},
	},
	{
		name:        "computed column AS is not a CTAS",
		sql:         "CREATE TABLE t (a INT, b AS a * 2, c AS (SELECT 1)) WITH ('connector' = 'x')",
		wantCreated: "t",
	},
	{
		name: "materialized table",
		sql: `CREATE MATERIALIZED TABLE daily_totals
			FRESHNESS = INTERVAL '1' HOUR
			AS SELECT day, SUM(amount) AS total FROM orders GROUP BY day`,
		wantCreated:  "daily_totals",
		wantReads:    []string{"orders"},
		wantStateful: true,
		wantReason:   "GROUP BY",
	},
	{
		name:        "file starting with a byte order mark",
		sql:         "\uFEFFCREATE TABLE t (a INT) WITH ('connector' = 'kafka');",
		wantCreated: "t",
	},
	{
		name:        "ddl followed by its dml in one file",
		sql:         "CREATE TABLE IF NOT EXISTS t (id INT);\nINSERT INTO t SELECT id FROM s;",
		wantCreated: "t",
		wantWrites:  []string{"t"},
		wantReads:   []string{"s"},
	},
}

var dmlCases = []parseCase{
	{
		name:       "insert into select",
		sql:        "INSERT INTO sink SELECT * FROM src",
		wantWrites: []string{"sink"},
		wantReads:  []string{"src"},
	},
	{
		name:       "lower-case keywords",
		sql:        "insert into sink select a, b from src where a > 1;",
		wantWrites: []string{"sink"},
		wantReads:  []string{"src"},
	},
	{
		name:       "insert overwrite with partition",
		sql:        "INSERT OVERWRITE sales PARTITION (dt = '2024-01-01', region = 'eu') SELECT id, amount FROM staged",
		wantWrites: []string{"sales"},
		wantReads:  []string{"staged"},
	},
	{
		name:       "insert with a column list and select",
		sql:        "INSERT INTO sink (a, b, c) SELECT x, y, z FROM src",
		wantWrites: []string{"sink"},
		wantReads:  []string{"src"},
	},
	{
		name:       "insert with a column list and values",
		sql:        "INSERT INTO sink (a, b) VALUES (1, 'x'), (2, 'y')",
		wantWrites: []string{"sink"},
	},
	{
		name:       "insert values",
		sql:        "INSERT INTO sink VALUES (1, 'FROM x JOIN y')",
		wantWrites: []string{"sink"},
	},
	{
		name:       "insert a parenthesised query",
		sql:        "INSERT INTO sink (SELECT * FROM src)",
		wantWrites: []string{"sink"},
		wantReads:  []string{"src"},
	},
	{
		name:       "qualified backticked target",
		sql:        "INSERT INTO `cat`.`db`.`sink` SELECT * FROM `cat`.`db`.`src`",
		wantWrites: []string{"cat.db.sink"},
		wantReads:  []string{"cat.db.src"},
	},
	{
		name:       "backticked name with dots and dashes is one part",
		sql:        "INSERT INTO `clone.dev.orders-v2` SELECT * FROM `clone.dev.orders-v1`",
		wantWrites: []string{"`clone.dev.orders-v2`"},
		wantReads:  []string{"`clone.dev.orders-v1`"},
	},
	{
		name: "execute statement set",
		sql: `EXECUTE STATEMENT SET
			BEGIN
				INSERT INTO sink_a SELECT * FROM src WHERE kind = 'a';
				INSERT INTO sink_b SELECT * FROM src WHERE kind = 'b';
			END;`,
		wantWrites: []string{"sink_a", "sink_b"},
		wantReads:  []string{"src"},
	},
	{
		name: "begin statement set",
		sql: `BEGIN STATEMENT SET;
			INSERT INTO sink_a SELECT * FROM src_a;
			INSERT INTO sink_b SELECT * FROM src_b;
			END;`,
		wantWrites: []string{"sink_a", "sink_b"},
		wantReads:  []string{"src_a", "src_b"},
	},
	{
		name: "leading set statements",
		sql: `SET 'sql.state-ttl' = '12 h';
			SET 'client.statement-name' = 'insert-FROM-x';
			INSERT INTO sink SELECT * FROM src;`,
		wantWrites: []string{"sink"},
		wantReads:  []string{"src"},
	},
	{
		name:       "insert followed by a cte",
		sql:        "INSERT INTO sink WITH recent AS (SELECT * FROM src WHERE ts > 0) SELECT * FROM recent",
		wantWrites: []string{"sink"},
		wantReads:  []string{"src"},
	},
	{
		name:       "two inserts without a statement set",
		sql:        "INSERT INTO a SELECT * FROM s1;\nINSERT INTO b SELECT * FROM s2;",
		wantWrites: []string{"a", "b"},
		wantReads:  []string{"s1", "s2"},
	},
	{
		name:       "insert with an options hint",
		sql:        "INSERT INTO sink SELECT * FROM src /*+ OPTIONS('scan.startup.mode' = 'earliest-offset') */",
		wantWrites: []string{"sink"},
		wantReads:  []string{"src"},
	},
}

var lexCases = []parseCase{
	{
		name:       "FROM in a line comment",
		sql:        "INSERT INTO sink\nSELECT a -- FROM hidden JOIN other\nFROM src",
		wantWrites: []string{"sink"},
		wantReads:  []string{"src"},
	},
	{
		name:       "FROM in a block comment",
		sql:        "INSERT INTO sink SELECT a /* FROM hidden\n LEFT JOIN other */ FROM src",
		wantWrites: []string{"sink"},
		wantReads:  []string{"src"},
	},
	{
		name:       "FROM and -- in a string with an escaped quote",
		sql:        "INSERT INTO sink SELECT 'it''s -- not FROM a comment', a FROM src",
		wantWrites: []string{"sink"},
		wantReads:  []string{"src"},
	},
	{
		name:       "string literal with JOIN changes nothing",
		sql:        "INSERT INTO sink SELECT * FROM src WHERE note <> ' JOIN ' AND k = 'GROUP BY'",
		wantWrites: []string{"sink"},
		wantReads:  []string{"src"},
	},
	{
		name:       "comment saying JOIN later and GROUP BY changes nothing",
		sql:        "-- JOIN later with customers, then GROUP BY\nINSERT INTO sink /* GROUP BY id */ SELECT * FROM src",
		wantWrites: []string{"sink"},
		wantReads:  []string{"src"},
	},
	{
		name:       "columns called user_join and group_by_key",
		sql:        "INSERT INTO sink SELECT user_join, group_by_key, distinct_count FROM src",
		wantWrites: []string{"sink"},
		wantReads:  []string{"src"},
	},
	{
		name:       "backticked keyword column",
		sql:        "INSERT INTO sink SELECT `from`, `join`, `group` FROM src",
		wantWrites: []string{"sink"},
		wantReads:  []string{"src"},
	},
}

var readCases = []parseCase{
	{
		name:         "inner join",
		sql:          "INSERT INTO sink SELECT * FROM a INNER JOIN b ON a.id = b.id",
		wantWrites:   []string{"sink"},
		wantReads:    []string{"a", "b"},
		wantStateful: true,
		wantReason:   "INNER JOIN b",
		wantJoins:    flinksql.JoinCounts{Inner: 1},
	},
	{
		name:         "left join and left outer join",
		sql:          "INSERT INTO sink SELECT * FROM a LEFT JOIN b ON a.id = b.id LEFT OUTER JOIN c ON a.id = c.id",
		wantWrites:   []string{"sink"},
		wantReads:    []string{"a", "b", "c"},
		wantStateful: true,
		wantReason:   "LEFT OUTER JOIN c",
		wantJoins:    flinksql.JoinCounts{Left: 2},
	},
	{
		name:         "right outer join",
		sql:          "INSERT INTO sink SELECT * FROM a RIGHT OUTER JOIN b ON a.id = b.id",
		wantWrites:   []string{"sink"},
		wantReads:    []string{"a", "b"},
		wantStateful: true,
		wantJoins:    flinksql.JoinCounts{Right: 1},
	},
	{
		name:         "full join and full outer join",
		sql:          "SELECT * FROM a FULL JOIN b ON a.id = b.id FULL OUTER JOIN c ON b.id = c.id",
		wantReads:    []string{"a", "b", "c"},
		wantStateful: true,
		wantJoins:    flinksql.JoinCounts{Outer: 2},
	},
	{
		name:         "cross join with a table",
		sql:          "INSERT INTO sink SELECT * FROM a CROSS JOIN b",
		wantWrites:   []string{"sink"},
		wantReads:    []string{"a", "b"},
		wantStateful: true,
		wantReason:   "CROSS JOIN b",
		wantJoins:    flinksql.JoinCounts{Cross: 1},
	},
	{
		name:         "natural join",
		sql:          "SELECT * FROM a NATURAL JOIN b",
		wantReads:    []string{"a", "b"},
		wantStateful: true,
		wantJoins:    flinksql.JoinCounts{Regular: 1},
	},
	{
		name:         "join using",
		sql:          "SELECT * FROM a JOIN b USING (id) JOIN c USING (id, k)",
		wantReads:    []string{"a", "b", "c"},
		wantStateful: true,
		wantJoins:    flinksql.JoinCounts{Regular: 2},
	},
	{
		name:         "comma join",
		sql:          "INSERT INTO sink SELECT * FROM a, b WHERE a.id = b.id",
		wantWrites:   []string{"sink"},
		wantReads:    []string{"a", "b"},
		wantStateful: true,
		wantReason:   "comma join b",
	},
	{
		name:         "comma join with aliases and qualified names",
		sql:          "SELECT * FROM db.a AS x, `cat`.`db`.`b` y, c WHERE x.id = y.id AND y.id = c.id",
		wantReads:    []string{"db.a", "cat.db.b", "c"},
		wantStateful: true,
	},
	{
		name: "interval join",
		sql: `INSERT INTO sink SELECT * FROM orders o JOIN shipments s
			ON o.id = s.order_id AND s.ts BETWEEN o.ts AND o.ts + INTERVAL '4' HOUR`,
		wantWrites:   []string{"sink"},
		wantReads:    []string{"orders", "shipments"},
		wantStateful: true,
		wantJoins:    flinksql.JoinCounts{Regular: 1},
	},
	{
		name: "temporal join",
		sql: `INSERT INTO sink SELECT o.id, r.rate FROM orders AS o
			JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.currency = r.currency`,
		wantWrites:   []string{"sink"},
		wantReads:    []string{"orders", "rates"},
		wantStateful: true,
		wantReason:   "temporal join",
		wantJoins:    flinksql.JoinCounts{Regular: 1},
	},
	{
		name: "lookup join on a qualified table without AS",
		sql: `SELECT * FROM orders o LEFT JOIN ` + "`cat`.`db`.`customers`" + ` FOR SYSTEM_TIME AS OF o.proc_time c
			ON o.cid = c.id`,
		wantReads:    []string{"orders", "cat.db.customers"},
		wantStateful: true,
		wantReason:   "temporal join",
		wantJoins:    flinksql.JoinCounts{Left: 1},
	},
	{
		name:         "derived table",
		sql:          "INSERT INTO sink SELECT * FROM (SELECT id FROM src WHERE id > 0) AS d",
		wantWrites:   []string{"sink"},
		wantReads:    []string{"src"},
		wantStateful: false,
	},
	{
		name:         "join with a derived table",
		sql:          "SELECT * FROM a JOIN (SELECT id FROM b) AS bb ON a.id = bb.id",
		wantReads:    []string{"a", "b"},
		wantStateful: true,
		wantReason:   "sub-query",
		wantJoins:    flinksql.JoinCounts{Regular: 1},
	},
	{
		name:         "parenthesised join",
		sql:          "SELECT * FROM (a JOIN b ON a.id = b.id) LEFT JOIN c ON a.id = c.id",
		wantReads:    []string{"a", "b", "c"},
		wantStateful: true,
		wantJoins:    flinksql.JoinCounts{Regular: 1, Left: 1},
	},
	{
		name:         "in sub-query",
		sql:          "INSERT INTO sink SELECT * FROM a WHERE id IN (SELECT id FROM b)",
		wantWrites:   []string{"sink"},
		wantReads:    []string{"a", "b"},
		wantStateful: true,
		wantReason:   "IN sub-query",
	},
	{
		name:         "not in sub-query",
		sql:          "SELECT * FROM a WHERE id NOT IN (SELECT id FROM b WHERE b.flag)",
		wantReads:    []string{"a", "b"},
		wantStateful: true,
		wantReason:   "IN sub-query",
	},
	{
		name:         "exists sub-query",
		sql:          "SELECT * FROM a WHERE EXISTS (SELECT 1 FROM b WHERE b.id = a.id)",
		wantReads:    []string{"a", "b"},
		wantStateful: true,
		wantReason:   "EXISTS sub-query",
	},
	{
		name:         "not exists sub-query",
		sql:          "SELECT * FROM a WHERE NOT EXISTS (SELECT 1 FROM b WHERE b.id = a.id)",
		wantReads:    []string{"a", "b"},
		wantStateful: true,
		wantReason:   "EXISTS sub-query",
	},
	{
		name:         "scalar sub-query in the select list",
		sql:          "SELECT a.id, (SELECT MAX(v) FROM b WHERE b.id = a.id) AS top FROM a",
		wantReads:    []string{"b", "a"},
		wantStateful: true,
		wantReason:   "scalar sub-query",
	},
	{
		name:         "in sub-query in an ON clause",
		sql:          "SELECT * FROM a JOIN b ON a.id = b.id AND b.k IN (SELECT k FROM c)",
		wantReads:    []string{"a", "b", "c"},
		wantStateful: true,
		wantJoins:    flinksql.JoinCounts{Regular: 1},
	},
	{
		name: "sub-queries three deep",
		sql: `INSERT INTO sink SELECT * FROM (
				SELECT * FROM (
					SELECT * FROM (
						SELECT id FROM deepest
					) AS l3
				) AS l2 WHERE id IN (SELECT id FROM allowed WHERE k = (SELECT MAX(k) FROM keys))
			) AS l1`,
		wantWrites:   []string{"sink"},
		wantReads:    []string{"deepest", "allowed", "keys"},
		wantStateful: true,
	},
	{
		name:       "union all is stateless",
		sql:        "INSERT INTO sink SELECT id FROM a UNION ALL SELECT id FROM b UNION ALL (SELECT id FROM c)",
		wantWrites: []string{"sink"},
		wantReads:  []string{"a", "b", "c"},
	},
	{
		name:         "union deduplicates",
		sql:          "SELECT id FROM a UNION SELECT id FROM b",
		wantReads:    []string{"a", "b"},
		wantStateful: true,
		wantReason:   "UNION",
	},
	{
		name:         "intersect and except",
		sql:          "SELECT id FROM a INTERSECT SELECT id FROM b EXCEPT SELECT id FROM c",
		wantReads:    []string{"a", "b", "c"},
		wantStateful: true,
		wantReason:   "INTERSECT",
	},
	{
		name:       "one cte",
		sql:        "INSERT INTO sink WITH f AS (SELECT * FROM src WHERE ok) SELECT * FROM f",
		wantWrites: []string{"sink"},
		wantReads:  []string{"src"},
	},
	{
		name:         "ctes before the insert (Spark's form)",
		sql:          "WITH f AS (SELECT id, COUNT(*) AS n FROM src GROUP BY id), g AS (SELECT * FROM f) INSERT INTO sink SELECT * FROM g JOIN dim ON g.id = dim.id",
		wantWrites:   []string{"sink"},
		wantReads:    []string{"src", "dim"},
		wantStateful: true,
		wantReason:   "GROUP BY",
		wantJoins:    flinksql.JoinCounts{Regular: 1},
	},
	{
		name:      "a with query followed by no insert stays a query",
		sql:       "WITH f AS (SELECT * FROM src) SELECT * FROM f",
		wantReads: []string{"src"},
	},
	{
		name: "later cte reads an earlier one",
		sql: `WITH a AS (SELECT * FROM t1),
			b AS (SELECT * FROM a UNION ALL SELECT * FROM t2)
			SELECT * FROM b UNION ALL SELECT * FROM t3`,
		wantReads: []string{"t1", "t2", "t3"},
	},
	{
		name:      "cte named like the table it reads",
		sql:       "WITH orders AS (SELECT * FROM orders WHERE ok) SELECT * FROM orders",
		wantReads: []string{"orders"},
	},
	{
		name:      "cte not visible inside an earlier cte",
		sql:       "WITH a AS (SELECT * FROM b), b AS (SELECT * FROM c) SELECT * FROM a, b",
		wantReads: []string{"b", "c"},
		// a and b are CTEs here, but a comma join of two relations still joins.
		wantStateful: true,
	},
	{
		name:      "cte with column aliases",
		sql:       "WITH a (x, y) AS (SELECT p, q FROM src) SELECT x FROM a",
		wantReads: []string{"src"},
	},
	{
		name:      "cte scope ends with its query",
		sql:       "SELECT * FROM (WITH a AS (SELECT * FROM s) SELECT * FROM a) AS d UNION ALL SELECT * FROM a",
		wantReads: []string{"s", "a"},
	},
	{
		name:      "qualified name is never a cte",
		sql:       "WITH orders AS (SELECT * FROM raw) SELECT * FROM orders UNION ALL SELECT * FROM db.orders",
		wantReads: []string{"raw", "db.orders"},
	},
	{
		name:      "union all of parenthesised queries in a derived table",
		sql:       "SELECT * FROM ((SELECT * FROM a) UNION ALL (SELECT * FROM b)) AS u",
		wantReads: []string{"a", "b"},
	},
	{
		name:         "nested parenthesised joins",
		sql:          "SELECT * FROM ((a JOIN b ON a.id = b.id) JOIN c ON b.id = c.id)",
		wantReads:    []string{"a", "b", "c"},
		wantStateful: true,
		wantJoins:    flinksql.JoinCounts{Regular: 2},
	},
	{
		name:         "parenthesised join starting with a derived table",
		sql:          "SELECT * FROM ((SELECT * FROM a) AS x JOIN b ON x.id = b.id)",
		wantReads:    []string{"a", "b"},
		wantStateful: true,
		wantJoins:    flinksql.JoinCounts{Regular: 1},
	},
	{
		name:         "expression starting with a scalar sub-query",
		sql:          "SELECT ((SELECT MAX(v) FROM a) + 1) AS n FROM b",
		wantReads:    []string{"a", "b"},
		wantStateful: true,
		wantReason:   "scalar sub-query",
	},
	{
		name:      "values as a derived table",
		sql:       "SELECT * FROM (VALUES (1, 'FROM'), (2, 'JOIN')) AS t (a, b)",
		wantReads: nil,
	},
	{
		name:       "insert an explicit table",
		sql:        "INSERT INTO sink TABLE src",
		wantWrites: []string{"sink"},
		wantReads:  []string{"src"},
	},
	{
		name:         "quantified sub-query",
		sql:          "SELECT * FROM a WHERE v > ALL (SELECT v FROM b) OR v = ANY (SELECT v FROM c)",
		wantReads:    []string{"a", "b", "c"},
		wantStateful: true,
		wantReason:   "ANY sub-query",
	},
	{
		name:         "lateral sub-query join",
		sql:          "SELECT * FROM orders o JOIN LATERAL (SELECT * FROM items i WHERE i.oid = o.id) ON TRUE",
		wantReads:    []string{"orders", "items"},
		wantStateful: true,
		wantReason:   "LATERAL sub-query",
		wantJoins:    flinksql.JoinCounts{Regular: 1},
	},
	{
		// A TABLE argument partitioned by a key has set semantics: the
		// function keeps state per key.
		name:         "table function over a partitioned table",
		sql:          "SELECT * FROM my_ptf(input => TABLE events PARTITION BY k, uid => 'x')",
		wantReads:    []string{"events"},
		wantStateful: true,
		wantReason:   "table function MY_PTF over TABLE events PARTITION BY",
	},
	{
		name:      "table function over a table row by row",
		sql:       "SELECT * FROM my_fn(input => TABLE events, uid => 'x') AS f",
		wantReads: []string{"events"},
	},
	{
		name:      "explicit TABLE in a FROM list",
		sql:       "SELECT * FROM TABLE orders o, (TABLE customers) c",
		wantReads: []string{"orders", "customers"},
		// a comma join of two tables
		wantStateful: true,
	},
}

var windowCases = []parseCase{
	{
		name: "tumble window aggregation",
		sql: `INSERT INTO sink SELECT window_start, window_end, SUM(price)
			FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES))
			GROUP BY window_start, window_end`,
		wantWrites:   []string{"sink"},
		wantReads:    []string{"bids"},
		wantStateful: true,
		wantReason:   "GROUP BY",
	},
	{
		name: "hop window",
		sql: `SELECT window_start, COUNT(*) FROM TABLE(
				HOP(TABLE ` + "`cat`.`db`.`bids`" + `, DESCRIPTOR(ts), INTERVAL '5' MINUTES, INTERVAL '10' MINUTES))
			GROUP BY window_start, window_end`,
		wantReads:    []string{"cat.db.bids"},
		wantStateful: true,
		wantReason:   "HOP",
	},
	{
		name: "cumulate window",
		sql: `SELECT window_start, SUM(v) FROM TABLE(
				CUMULATE(TABLE events, DESCRIPTOR(ts), INTERVAL '2' MINUTES, INTERVAL '10' MINUTES))
			GROUP BY window_start, window_end`,
		wantReads:    []string{"events"},
		wantStateful: true,
		wantReason:   "CUMULATE",
	},
	{
		name: "session window with partition by",
		sql: `SELECT window_start, item, SUM(v) FROM TABLE(
				SESSION(TABLE clicks PARTITION BY item, DESCRIPTOR(ts), INTERVAL '5' MINUTES))
			GROUP BY item, window_start, window_end`,
		wantReads:    []string{"clicks"},
		wantStateful: true,
		wantReason:   "SESSION",
	},
	{
		name: "window tvf with named arguments",
		sql: `SELECT * FROM TABLE(TUMBLE(
				DATA => TABLE bids,
				TIMECOL => DESCRIPTOR(bidtime),
				SIZE => INTERVAL '10' MINUTES))`,
		wantReads:    []string{"bids"},
		wantStateful: true,
		wantReason:   "TUMBLE",
	},
	{
		name: "window tvf over a cte",
		sql: `WITH b AS (SELECT * FROM raw_bids)
			SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE b, DESCRIPTOR(ts), INTERVAL '1' HOUR))
			GROUP BY window_start, window_end`,
		wantReads:    []string{"raw_bids"},
		wantStateful: true,
	},
	{
		name: "window join",
		sql: `SELECT * FROM TABLE(TUMBLE(TABLE l, DESCRIPTOR(ts), INTERVAL '5' MINUTES)) a
			JOIN TABLE(TUMBLE(TABLE r, DESCRIPTOR(ts), INTERVAL '5' MINUTES)) b
			ON a.id = b.id AND a.window_start = b.window_start AND a.window_end = b.window_end`,
		wantReads:    []string{"l", "r"},
		wantStateful: true,
		wantReason:   "JOIN with a table function",
		wantJoins:    flinksql.JoinCounts{Regular: 1},
	},
	{
		name: "match_recognize",
		sql: `INSERT INTO alerts SELECT * FROM ticker
			MATCH_RECOGNIZE (
				PARTITION BY symbol
				ORDER BY ts
				MEASURES A.price AS start_price, LAST(B.price) AS bottom
				ONE ROW PER MATCH
				AFTER MATCH SKIP TO LAST B
				PATTERN (A B+ C)
				DEFINE B AS B.price < PREV(B.price), C AS C.price > PREV(C.price)
			) AS m`,
		wantWrites:   []string{"alerts"},
		wantReads:    []string{"ticker"},
		wantStateful: true,
		wantReason:   "MATCH_RECOGNIZE",
	},
	{
		name: "window tvf called without TABLE()",
		sql: `SELECT window_start, COUNT(*) FROM TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '1' MINUTE)
			GROUP BY window_start, window_end`,
		wantReads:    []string{"bids"},
		wantStateful: true,
	},
}

var notTableCases = []parseCase{
	{
		name:      "trim from",
		sql:       "SELECT TRIM(name FROM padded) FROM src",
		wantReads: []string{"src"},
	},
	{
		name:      "trim both from",
		sql:       "SELECT TRIM(BOTH ' ' FROM name), TRIM(LEADING 'x' FROM y) AS z FROM src",
		wantReads: []string{"src"},
	},
	{
		name:      "extract from",
		sql:       "SELECT EXTRACT(DAY FROM ts), EXTRACT(YEAR FROM CAST(d AS DATE)) FROM src WHERE EXTRACT(HOUR FROM ts) > 3",
		wantReads: []string{"src"},
	},
	{
		name:      "substring from for",
		sql:       "SELECT SUBSTRING(s FROM 1 FOR 2) FROM src",
		wantReads: []string{"src"},
	},
	{
		name:      "overlay placing from",
		sql:       "SELECT OVERLAY(s PLACING 'x' FROM 2 FOR 1) FROM src",
		wantReads: []string{"src"},
	},
	{
		name:      "is distinct from in the select list",
		sql:       "SELECT a IS DISTINCT FROM b AS changed, c FROM src",
		wantReads: []string{"src"},
	},
	{
		name:      "is not distinct from in the select list and where",
		sql:       "SELECT a IS NOT DISTINCT FROM b FROM src WHERE a IS NOT DISTINCT FROM c",
		wantReads: []string{"src"},
	},
	{
		name:         "is distinct from in an on clause",
		sql:          "SELECT * FROM a JOIN b ON a.k IS NOT DISTINCT FROM b.k AND a.v IS DISTINCT FROM b.v",
		wantReads:    []string{"a", "b"},
		wantStateful: true,
		wantJoins:    flinksql.JoinCounts{Regular: 1},
	},
	{
		name:      "cross join unnest is stateless",
		sql:       "INSERT INTO sink SELECT o.id, t.tag FROM orders AS o CROSS JOIN UNNEST(o.tags) AS t (tag)",
		wantReads: []string{"orders"},
		wantWrites: []string{
			"sink",
		},
		wantJoins: flinksql.JoinCounts{Cross: 1},
	},
	{
		name:      "comma unnest",
		sql:       "SELECT o.id, x FROM orders o, UNNEST(o.items) AS i(x)",
		wantReads: []string{"orders"},
	},
	{
		name:      "lateral table function",
		sql:       "SELECT * FROM events, LATERAL TABLE(split_words(body)) AS w(word)",
		wantReads: []string{"events"},
	},
	{
		name:      "left join lateral table on true",
		sql:       "SELECT * FROM events LEFT JOIN LATERAL TABLE(parse(body, 'FROM x')) AS p(k, v) ON TRUE",
		wantReads: []string{"events"},
		wantJoins: flinksql.JoinCounts{Left: 1},
	},
	{
		name:      "cast and nested functions",
		sql:       "SELECT CAST(a AS STRING), COALESCE(NULLIF(b, ''), 'n/a'), DATE_FORMAT(ts, 'yyyy') FROM src",
		wantReads: []string{"src"},
	},
	{
		name:      "case expression with end",
		sql:       "INSERT INTO sink SELECT CASE WHEN a = 1 THEN 'one' ELSE 'other' END AS label FROM src",
		wantReads: []string{"src"},
		wantWrites: []string{
			"sink",
		},
	},
}

var statefulCases = []parseCase{
	{
		name:         "group by",
		sql:          "INSERT INTO sink SELECT k, COUNT(*) FROM src GROUP BY k",
		wantWrites:   []string{"sink"},
		wantReads:    []string{"src"},
		wantStateful: true,
		wantReason:   "GROUP BY",
	},
	{
		name:         "group by with having",
		sql:          "SELECT k FROM src GROUP BY k HAVING SUM(v) > 10",
		wantReads:    []string{"src"},
		wantStateful: true,
		wantReason:   "GROUP BY",
	},
	{
		name:         "select distinct",
		sql:          "INSERT INTO sink SELECT DISTINCT user_id FROM src",
		wantWrites:   []string{"sink"},
		wantReads:    []string{"src"},
		wantStateful: true,
		wantReason:   "DISTINCT",
	},
	{
		name: "row_number dedup",
		sql: `INSERT INTO sink SELECT id, v FROM (
				SELECT *, ROW_NUMBER() OVER (PARTITION BY id ORDER BY ts DESC) AS rn FROM src
			) WHERE rn = 1`,
		wantWrites:   []string{"sink"},
		wantReads:    []string{"src"},
		wantStateful: true,
		wantReason:   "OVER",
	},
	{
		name:         "over aggregation with a named window",
		sql:          "SELECT SUM(v) OVER w FROM src WINDOW w AS (PARTITION BY k ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)",
		wantReads:    []string{"src"},
		wantStateful: true,
		wantReason:   "OVER",
	},
	{
		name:         "global count without group by",
		sql:          "INSERT INTO sink SELECT COUNT(*) FROM src",
		wantWrites:   []string{"sink"},
		wantReads:    []string{"src"},
		wantStateful: true,
		wantReason:   "COUNT",
	},
	{
		name:         "global aggregate in lower case",
		sql:          "select max(v), avg(v) from src",
		wantReads:    []string{"src"},
		wantStateful: true,
		wantReason:   "MAX",
	},
	{
		name:         "stateful part in a cte",
		sql:          "INSERT INTO sink WITH agg AS (SELECT k, SUM(v) AS s FROM src GROUP BY k) SELECT * FROM agg",
		wantWrites:   []string{"sink"},
		wantReads:    []string{"src"},
		wantStateful: true,
		wantReason:   "GROUP BY",
	},
	{
		name:         "order by and limit",
		sql:          "SELECT * FROM src ORDER BY ts LIMIT 10",
		wantReads:    []string{"src"},
		wantStateful: true,
		wantReason:   "LIMIT",
	},
	{
		name:       "projection and filter are stateless",
		sql:        "INSERT INTO sink SELECT id, UPPER(name) AS name, amount * 2 FROM src WHERE amount > 0 AND name LIKE 'a%'",
		wantWrites: []string{"sink"},
		wantReads:  []string{"src"},
	},
	{
		name:       "functions over columns named like keywords are stateless",
		sql:        "INSERT INTO sink SELECT count_total, max_v, `count` FROM src",
		wantWrites: []string{"sink"},
		wantReads:  []string{"src"},
	},
	{
		name:         "a stateful statement in a statement set",
		sql:          "EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT * FROM s; INSERT INTO b SELECT k, COUNT(*) FROM s GROUP BY k; END",
		wantWrites:   []string{"a", "b"},
		wantReads:    []string{"s"},
		wantStateful: true,
		wantReason:   "GROUP BY",
	},
	{
		name:         "listagg within group",
		sql:          "INSERT INTO sink SELECT LISTAGG(name) WITHIN GROUP (ORDER BY name) FROM src",
		wantWrites:   []string{"sink"},
		wantReads:    []string{"src"},
		wantStateful: true,
		wantReason:   "LISTAGG",
	},
	{
		// LATERAL SNAPSHOT keeps the build side in state to join each row
		// of the probe side with its current version.
		name: "lateral snapshot join",
		sql: `INSERT INTO enriched SELECT o.id, r.rate FROM orders AS o
			JOIN LATERAL SNAPSHOT(input => TABLE rates, on_time => DESCRIPTOR(ts)) AS r ON o.currency = r.currency`,
		wantWrites:   []string{"enriched"},
		wantReads:    []string{"orders", "rates"},
		wantStateful: true,
		wantReason:   "JOIN LATERAL SNAPSHOT over TABLE rates",
		wantJoins:    flinksql.JoinCounts{Regular: 1},
	},
	{
		name:         "lateral snapshot spelt as LATERAL TABLE",
		sql:          "SELECT * FROM orders o LEFT JOIN LATERAL TABLE(SNAPSHOT(input => TABLE `db`.`rates`)) AS r ON o.k = r.k",
		wantReads:    []string{"orders", "db.rates"},
		wantStateful: true,
		wantReason:   "LEFT JOIN LATERAL SNAPSHOT over TABLE db.rates",
		wantJoins:    flinksql.JoinCounts{Left: 1},
	},
	{
		name:         "limit in a derived table",
		sql:          "SELECT * FROM (SELECT * FROM src FETCH FIRST 5 ROWS ONLY) AS d",
		wantReads:    []string{"src"},
		wantStateful: true,
		wantReason:   "FETCH",
	},
}

func TestParseExtraction(t *testing.T) {
	groups := [][]parseCase{ddlCases, dmlCases, lexCases, readCases, windowCases, notTableCases, statefulCases}
	n := 0
	for _, group := range groups {
		for _, tc := range group {
			n++
			t.Run(tc.name, func(t *testing.T) { checkParse(t, tc) })
		}
	}
	if n < 70 {
		t.Errorf("only %d extraction cases", n)
	}
}

func checkParse(t *testing.T, tc parseCase) {
	t.Helper()
	s, err := flinksql.Parse(tc.sql)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	created := ""
	if st, ok := s.Created(); ok {
		created = st.Table.String()
	}
	if created != tc.wantCreated {
		t.Errorf("Created() = %q, want %q", created, tc.wantCreated)
	}
	if diff := cmp.Diff(tc.wantWrites, nameStrings(s.Writes())); diff != "" {
		t.Errorf("Writes() (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(tc.wantReads, nameStrings(s.Reads())); diff != "" {
		t.Errorf("Reads() (-want +got):\n%s", diff)
	}
	reasons := s.Stateful()
	if got := len(reasons) > 0; got != tc.wantStateful {
		t.Errorf("stateful = %v, want %v (reasons %q)", got, tc.wantStateful, reasons)
	}
	if tc.wantReason != "" && !containsSubstring(reasons, tc.wantReason) {
		t.Errorf("reasons %q have none containing %q", reasons, tc.wantReason)
	}
	if s.Joins != tc.wantJoins {
		t.Errorf("Joins = %+v, want %+v", s.Joins, tc.wantJoins)
	}
}

func nameStrings(ns []flinksql.Name) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.String())
	}
	return out
}

func containsSubstring(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// TestStatefulReasons pins the reason texts, and that a word only counts in
// the place where it means state.
func TestStatefulReasons(t *testing.T) {
	tests := []struct {
		sql  string
		want []string
	}{
		{"SELECT SUM(v) OVER (PARTITION BY k ORDER BY ts) FROM t", []string{"OVER window"}},
		{"SELECT COUNT(*), k FROM t GROUP BY k", []string{"aggregate COUNT()", "GROUP BY"}},
		{"SELECT * FROM a LEFT JOIN b ON a.x = b.x, c", []string{"LEFT JOIN b", "comma join c"}},
		{"SELECT * FROM a JOIN r FOR SYSTEM_TIME AS OF a.ts ON a.k = r.k", []string{"JOIN r FOR SYSTEM_TIME AS OF (temporal join)"}},
		{"SELECT * FROM a UNION SELECT * FROM b UNION ALL SELECT * FROM c", []string{"UNION"}},
		{"SELECT * FROM a EXCEPT ALL SELECT * FROM b", []string{"EXCEPT"}},
		{"SELECT * FROM t ORDER BY ts LIMIT 3", []string{"ORDER BY", "LIMIT"}},
		{"SELECT * FROM t WHERE x IN (SELECT x FROM u)", []string{"IN sub-query"}},
		{"SELECT DISTINCT a FROM t", []string{"SELECT DISTINCT"}},
		{"SELECT * FROM t CROSS JOIN UNNEST(t.a) AS u (v)", nil},
		{"SELECT * FROM t, LATERAL TABLE(f(t.a)) AS u (v)", nil},
		{"SELECT * FROM t WHERE x IN (1, 2) AND y IS DISTINCT FROM z", nil},
		{"SELECT * FROM o, LATERAL SNAPSHOT(input => TABLE r) AS s", []string{"comma join LATERAL SNAPSHOT over TABLE r"}},
		{"SELECT * FROM TABLE(SESSION(TABLE c PARTITION BY k, DESCRIPTOR(ts), INTERVAL '1' MINUTE))", []string{"window SESSION"}},
	}
	for _, tc := range tests {
		s, err := flinksql.Parse(tc.sql)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, s.Stateful()); diff != "" {
			t.Errorf("%s: Stateful() (-want +got):\n%s", tc.sql, diff)
		}
	}
}

func TestQualifiedNames(t *testing.T) {
	tests := []struct {
		sql       string
		wantParts []string
	}{
		{"SELECT * FROM `env`.`cluster`.`orders`", []string{"env", "cluster", "orders"}},
		{"SELECT * FROM db.orders", []string{"db", "orders"}},
		{"SELECT * FROM `db`.orders", []string{"db", "orders"}},
		{"SELECT * FROM `clone.dev.orders-v2`", []string{"clone.dev.orders-v2"}},
		{"SELECT * FROM cat . db . orders", []string{"cat", "db", "orders"}},
		{"SELECT * FROM `we``ird`", []string{"we`ird"}},
	}
	for _, tc := range tests {
		t.Run(tc.sql, func(t *testing.T) {
			s, err := flinksql.Parse(tc.sql)
			if err != nil {
				t.Fatal(err)
			}
			reads := s.Reads()
			if len(reads) != 1 {
				t.Fatalf("Reads() = %v, want one name", reads)
			}
			if diff := cmp.Diff(tc.wantParts, []string(reads[0])); diff != "" {
				t.Errorf("parts (-want +got):\n%s", diff)
			}
			if got, want := reads[0].Table(), tc.wantParts[len(tc.wantParts)-1]; got != want {
				t.Errorf("Table() = %q, want %q", got, want)
			}
		})
	}
}

func TestNameString(t *testing.T) {
	tests := []struct {
		name flinksql.Name
		want string
	}{
		{nil, ""},
		{flinksql.Name{"orders"}, "orders"},
		{flinksql.Name{"db", "orders"}, "db.orders"},
		{flinksql.Name{"env", "cluster", "orders"}, "env.cluster.orders"},
		{flinksql.Name{"clone.dev.orders-v2"}, "`clone.dev.orders-v2`"},
		{flinksql.Name{"prod env", "o"}, "`prod env`.o"},
		{flinksql.Name{"we`ird"}, "`we``ird`"},
		{flinksql.Name{"1st"}, "`1st`"},
		{flinksql.Name{""}, "``"},
		{flinksql.Name{"_x$1"}, "_x$1"},
	}
	for _, tc := range tests {
		if got := tc.name.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := (flinksql.Name{}).Table(); got != "" {
		t.Errorf("empty Name.Table() = %q", got)
	}
}

func TestStatementFields(t *testing.T) {
	type fields struct {
		Kind        flinksql.Kind
		Table       string
		IfNotExists bool
		IfExists    bool
		OrReplace   bool
		Temporary   bool
		Options     map[string]string
	}
	tests := []struct {
		sql  string
		want []fields
	}{
		{
			"CREATE TABLE IF NOT EXISTS t (a INT) WITH ('Changelog.Mode' = 'Upsert', 'value.format' = 'avro-registry')",
			[]fields{{Kind: flinksql.KindCreateTable, Table: "t", IfNotExists: true,
				Options: map[string]string{"changelog.mode": "Upsert", "value.format": "avro-registry"}}},
		},
		{
			"CREATE OR REPLACE TABLE t AS SELECT 1",
			[]fields{{Kind: flinksql.KindCreateTable, Table: "t", OrReplace: true}},
		},
		{
			"CREATE TEMPORARY TABLE t (a INT) WITH ('k' = 'it''s')",
			[]fields{{Kind: flinksql.KindCreateTable, Table: "t", Temporary: true, Options: map[string]string{"k": "it's"}}},
		},
		{
			"CREATE MATERIALIZED TABLE m AS SELECT * FROM s",
			[]fields{{Kind: flinksql.KindCreateMaterializedTable, Table: "m"}},
		},
		{
			"CREATE OR ALTER MATERIALIZED TABLE m AS SELECT * FROM s",
			[]fields{{Kind: flinksql.KindCreateMaterializedTable, Table: "m", OrReplace: true}},
		},
		{
			"CREATE TEMPORARY VIEW v AS SELECT * FROM s",
			[]fields{{Kind: flinksql.KindCreateView, Table: "v", Temporary: true}},
		},
		{
			"DROP TABLE IF EXISTS `db`.`t`; DROP TEMPORARY TABLE x",
			[]fields{{Kind: flinksql.KindDropTable, Table: "db.t", IfExists: true},
				{Kind: flinksql.KindDropTable, Table: "x", Temporary: true}},
		},
		{
			"ALTER TABLE t SET ('changelog.mode' = 'append'); ALTER TABLE IF EXISTS db.u RENAME TO v",
			[]fields{{Kind: flinksql.KindAlterTable, Table: "t", Options: map[string]string{"changelog.mode": "append"}}, {Kind: flinksql.KindAlterTable, Table: "db.u", IfExists: true}},
		},
		{
			"CREATE TABLE (a INT); DROP TABLE; ALTER TABLE",
			[]fields{{Kind: flinksql.KindOther}, {Kind: flinksql.KindOther}, {Kind: flinksql.KindOther}},
		},
		{
			"SET 'a' = 'b'; USE CATALOG c; INSERT INTO t SELECT 1; EXECUTE STATEMENT SET BEGIN INSERT INTO t SELECT 2; END; VALUES (1)",
			[]fields{{Kind: flinksql.KindOther}, {Kind: flinksql.KindOther}, {Kind: flinksql.KindInsert},
				{Kind: flinksql.KindStatementSet}, {Kind: flinksql.KindQuery}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.sql, func(t *testing.T) {
			s, err := flinksql.Parse(tc.sql)
			if err != nil {
				t.Fatal(err)
			}
			var got []fields
			for _, st := range s.Statements {
				got = append(got, fields{Kind: st.Kind, Table: st.Table.String(), IfNotExists: st.IfNotExists,
					IfExists: st.IfExists, OrReplace: st.OrReplace, Temporary: st.Temporary, Options: st.Options})
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("statements (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKindString(t *testing.T) {
	if got := flinksql.KindCreateMaterializedTable.String(); got != "create-materialized-table" {
		t.Errorf("String() = %q", got)
	}
	if got := flinksql.Kind(200).String(); got != "unknown" {
		t.Errorf("String() = %q", got)
	}
}

func TestChangelogMode(t *testing.T) {
	tests := []struct{ sql, want string }{
		{"CREATE TABLE t (a INT) WITH ('changelog.mode' = 'UPSERT')", "upsert"},
		{"CREATE TABLE t (a INT) WITH ('connector' = 'kafka')", ""},
		{"INSERT INTO t SELECT * FROM s", ""},
		{"CREATE TABLE t (a INT) WITH ('changelog.mode' = 'append'); ALTER TABLE `db`.t SET ('changelog.mode' = 'retract')", "retract"},
		{"CREATE TABLE t (a INT); ALTER TABLE other SET ('changelog.mode' = 'upsert')", ""},
		{"CREATE TABLE t (a INT) WITH ('changelog.mode' = 'upsert'); ALTER TABLE t SET ('kafka.retention.time' = '1 d')", "upsert"},
	}
	for _, tc := range tests {
		s, err := flinksql.Parse(tc.sql)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.ChangelogMode(); got != tc.want {
			t.Errorf("%s: ChangelogMode() = %q, want %q", tc.sql, got, tc.want)
		}
	}
}

func TestPrimaryKey(t *testing.T) {
	tests := []struct {
		sql  string
		want bool
	}{
		{"CREATE TABLE t (id STRING NOT NULL, v INT, PRIMARY KEY (id) NOT ENFORCED)", true},
		{"CREATE TABLE t (id STRING PRIMARY KEY NOT ENFORCED, v INT) WITH ('changelog.mode' = 'upsert')", true},
		{"CREATE TABLE IF NOT EXISTS `c`.`d`.t (id STRING, WATERMARK FOR ts AS ts, CONSTRAINT pk PRIMARY KEY (id) NOT ENFORCED)", true},
		{"CREATE TABLE t (id STRING, `primary` STRING, key_col STRING)", false},
		{"CREATE TABLE t (id STRING) WITH ('primary key' = 'no')", false},
		{"CREATE TABLE t WITH ('connector' = 'x') AS SELECT id FROM s", false},
	}
	for _, tc := range tests {
		s, err := flinksql.Parse(tc.sql)
		if err != nil {
			t.Fatal(err)
		}
		created, _ := s.Created()
		if created.PrimaryKey != tc.want {
			t.Errorf("%s: PrimaryKey %v, want %v", tc.sql, created.PrimaryKey, tc.want)
		}
	}
}

func TestReadsSkipViewsTheScriptCreates(t *testing.T) {
	s, err := flinksql.Parse(`
		CREATE TEMPORARY VIEW recent AS SELECT * FROM orders WHERE ts > 0;
		CREATE VIEW named AS SELECT * FROM customers;
		INSERT INTO sink SELECT * FROM recent JOIN named ON recent.cid = named.id;`)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"orders", "customers"}, nameStrings(s.Reads())); diff != "" {
		t.Errorf("Reads() (-want +got):\n%s", diff)
	}
}

func TestComplexityType(t *testing.T) {
	tests := []struct {
		joins flinksql.JoinCounts
		want  string
	}{
		{flinksql.JoinCounts{}, "Simple"},
		{flinksql.JoinCounts{Regular: 1, Left: 1}, "Simple"},
		{flinksql.JoinCounts{Left: 2, Cross: 5}, "Simple"},
		{flinksql.JoinCounts{Regular: 1, Left: 1, Right: 1}, "Medium"},
		{flinksql.JoinCounts{Inner: 2, Outer: 2}, "Medium"},
		{flinksql.JoinCounts{Regular: 1, Left: 1, Right: 1, Inner: 1, Outer: 1}, "Complex"},
	}
	for _, tc := range tests {
		if got := tc.joins.ComplexityType(); got != tc.want {
			t.Errorf("%+v.ComplexityType() = %q, want %q", tc.joins, got, tc.want)
		}
	}
	s, err := flinksql.Parse(`SELECT * FROM a JOIN b ON a.x = b.x LEFT JOIN c ON a.x = c.x
		RIGHT OUTER JOIN d ON a.x = d.x INNER JOIN e ON a.x = e.x FULL OUTER JOIN f ON a.x = f.x
		CROSS JOIN UNNEST(a.arr) AS u(v) NATURAL LEFT JOIN g`)
	if err != nil {
		t.Fatal(err)
	}
	want := flinksql.JoinCounts{Regular: 1, Left: 2, Right: 1, Inner: 1, Outer: 1, Cross: 1}
	if s.Joins != want || s.Joins.Total() != 6 || s.Joins.ComplexityType() != "Complex" {
		t.Errorf("Joins = %+v (%s), want %+v", s.Joins, s.Joins.ComplexityType(), want)
	}
}

func TestFingerprint(t *testing.T) {
	const base = "INSERT INTO sink SELECT id, name FROM orders WHERE amount > 10 AND tag = 'x'"
	same := []struct{ name, sql string }{
		{"comments", "-- header\nINSERT INTO sink /* why */ SELECT id, name FROM orders -- tail\nWHERE amount > 10 AND tag = 'x'"},
		{"whitespace", "INSERT  INTO\n\tsink SELECT id,name\nFROM orders WHERE amount>10 AND tag='x'"},
		{"keyword case", "insert into sink select id, name from orders where amount > 10 and tag = 'x'"},
		{"trailing semicolon", base + ";\n"},
		{"backticks", "INSERT INTO `sink` SELECT `id`, name FROM `orders` WHERE amount > 10 AND tag = 'x'"},
	}
	different := []struct{ name, sql string }{
		{"table name", strings.Replace(base, "orders", "orders2", 1)},
		{"literal", strings.Replace(base, "'x'", "'y'", 1)},
		{"number", strings.Replace(base, "10", "11", 1)},
		{"identifier case", strings.Replace(base, "name", "Name", 1)},
		{"hint", strings.Replace(base, "FROM orders", "FROM orders /*+ OPTIONS('a'='b') */", 1)},
		{"qualified", strings.Replace(base, "FROM orders", "FROM db.orders", 1)},
		{"second statement", base + "; SELECT 1"},
	}
	fp := func(sql string) string {
		t.Helper()
		s, err := flinksql.Parse(sql)
		if err != nil {
			t.Fatalf("Parse(%q): %v", sql, err)
		}
		return s.Fingerprint
	}
	want := fp(base)
	if len(want) != 64 {
		t.Errorf("fingerprint %q is not a hex SHA-256", want)
	}
	for _, tc := range same {
		if got := fp(tc.sql); got != want {
			t.Errorf("%s changed the fingerprint", tc.name)
		}
	}
	for _, tc := range different {
		if got := fp(tc.sql); got == want {
			t.Errorf("%s did not change the fingerprint", tc.name)
		}
	}
	// Hints differing only in whitespace are the same hint.
	a := fp("SELECT * FROM t /*+ OPTIONS('a'='b') */")
	b := fp("SELECT * FROM t /*+  OPTIONS('a'='b')\n*/")
	if a != b {
		t.Error("hint whitespace changed the fingerprint")
	}
	// Non-reserved keywords of the statement syntax are keywords too.
	c := fp("CREATE TEMPORARY TABLE t (a INT, WATERMARK FOR a AS a, PRIMARY KEY (a) NOT ENFORCED)")
	d := fp("create temporary table t (a int, watermark for a as a, primary key (a) not enforced)")
	if c != d {
		t.Error("keyword case in a DDL changed the fingerprint")
	}
}

func TestSyntaxErrors(t *testing.T) {
	tests := []struct {
		name      string
		sql       string
		line, col int
		msg       string
	}{
		{"unterminated string", "SELECT\n  'abc FROM t", 2, 3, "unterminated string"},
		{"unterminated escaped string", "SELECT 'it''s", 1, 8, "unterminated string"},
		{"unterminated double-quoted string", `SELECT "abc`, 1, 8, "unterminated string"},
		{"unterminated comment", "SELECT 1 /* never\nclosed", 1, 10, "unterminated /*"},
		{"unterminated hint", "SELECT * FROM t /*+ OPTIONS('a'='b')", 1, 17, "unterminated /*"},
		{"unterminated backtick", "SELECT * FROM `orders", 1, 15, "unterminated backticked"},
		{"empty backticked identifier", "SELECT * FROM db.``", 1, 18, "empty backticked"},
		{"unclosed paren", "SELECT * FROM (SELECT (1) FROM t", 1, 15, "unclosed ("},
		{"extra closing paren", "SELECT a)\nFROM t", 1, 9, "unexpected )"},
		{"invalid utf-8", "SELECT\n  é\xff FROM t", 2, 4, "invalid UTF-8"},
		{"invalid utf-8 in a string", "SELECT 'ab\xc3' FROM t", 1, 11, "invalid UTF-8"},
		{"invalid utf-8 in a comment", "SELECT 1 -- \xe2\x82\nFROM t", 1, 13, "invalid UTF-8"},
		{"invalid utf-8 after a replacement char", "SELECT '\uFFFD x \xff'", 1, 13, "invalid UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := flinksql.Parse(tc.sql)
			var se *flinksql.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse error = %v, want a *SyntaxError", err)
			}
			if se.Pos.Line != tc.line || se.Pos.Col != tc.col {
				t.Errorf("error at %s, want line %d, column %d", se.Pos, tc.line, tc.col)
			}
			if !strings.Contains(se.Msg, tc.msg) {
				t.Errorf("message %q does not contain %q", se.Msg, tc.msg)
			}
			if !strings.Contains(err.Error(), "line ") {
				t.Errorf("Error() = %q lacks the position", err)
			}
		})
	}
}

func TestTokenize(t *testing.T) {
	type tok struct {
		Kind flinksql.TokenKind
		Text string
	}
	W, Q, S, N, P, H := flinksql.Word, flinksql.QuotedIdent, flinksql.String, flinksql.Number, flinksql.Punct, flinksql.Hint
	tests := []struct {
		name string
		src  string
		want []tok
	}{
		{"line comment", "a -- FROM b\nc", []tok{{W, "a"}, {W, "c"}}},
		{"line comment at the end", "a --", []tok{{W, "a"}}},
		{"block comment", "a /* FROM\n b */ c", []tok{{W, "a"}, {W, "c"}}},
		{"comment markers in a string", "'-- /* x */'", []tok{{S, "'-- /* x */'"}}},
		{"escaped quote", "'it''s' x", []tok{{S, "'it''s'"}, {W, "x"}}},
		{"double-quoted string", `"a ' b"`, []tok{{S, `"a ' b"`}}},
		{"backticked with dots and dashes", "`clone.dev.orders-v2`.x", []tok{{Q, "clone.dev.orders-v2"}, {P, "."}, {W, "x"}}},
		{"escaped backtick", "`a``b`", []tok{{Q, "a`b"}}},
		{"backticked keyword", "`FROM`", []tok{{Q, "FROM"}}},
		{"comment markers in backticks", "`a--b/*c*/`", []tok{{Q, "a--b/*c*/"}}},
		{"quotes in backticks and backticks in strings", "`it's` '`x`'", []tok{{Q, "it's"}, {S, "'`x`'"}}},
		{"hint", "t /*+ OPTIONS('a'='b') */ x", []tok{{W, "t"}, {H, "/*+ OPTIONS('a'='b') */"}, {W, "x"}}},
		{"numbers", "1 2.5 .5 1e10 3E-2 7.", []tok{{N, "1"}, {N, "2.5"}, {N, ".5"}, {N, "1e10"}, {N, "3E-2"}, {N, "7."}}},
		{"two-char operators", "a<>b<=c>=d!=e||f=>g::h->i", []tok{{W, "a"}, {P, "<>"}, {W, "b"}, {P, "<="}, {W, "c"},
			{P, ">="}, {W, "d"}, {P, "!="}, {W, "e"}, {P, "||"}, {W, "f"}, {P, "=>"}, {W, "g"}, {P, "::"}, {W, "h"}, {P, "->"}, {W, "i"}}},
		{"single-char punctuation", "(a, b);", []tok{{P, "("}, {W, "a"}, {P, ","}, {W, "b"}, {P, ")"}, {P, ";"}}},
		{"identifiers with digits, underscores and dollars", "_a1 b$2 user_join", []tok{{W, "_a1"}, {W, "b$2"}, {W, "user_join"}}},
		{"unicode identifier", "straße, 表 ½", []tok{{W, "straße"}, {P, ","}, {W, "表"}, {P, "½"}}},
		{"unicode space", "a\u00a0b", []tok{{W, "a"}, {W, "b"}}},
		{"byte order mark", "\uFEFFa", []tok{{W, "a"}}},
		{"line comment ended by a lone CR", "a -- x\rb", []tok{{W, "a"}, {W, "b"}}},
		{"block comment opener in a line comment", "a -- /* x\nb", []tok{{W, "a"}, {W, "b"}}},
		{"minus is not a comment", "a - -1", []tok{{W, "a"}, {P, "-"}, {P, "-"}, {N, "1"}}},
		{"empty", " \n\t ", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			toks, err := flinksql.Tokenize(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			var got []tok
			for _, x := range toks {
				got = append(got, tok{x.Kind, x.Text})
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("tokens (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTokenPositions(t *testing.T) {
	toks, err := flinksql.Tokenize("-- c\nSELECT é,\r\n  `x`")
	if err != nil {
		t.Fatal(err)
	}
	want := []flinksql.Pos{{Offset: 5, Line: 2, Col: 1}, {Offset: 12, Line: 2, Col: 8}, {Offset: 14, Line: 2, Col: 9},
		{Offset: 19, Line: 3, Col: 3}}
	var got []flinksql.Pos
	for _, tok := range toks {
		got = append(got, tok.Pos)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("positions (-want +got):\n%s", diff)
	}
}

func TestTokenIs(t *testing.T) {
	toks, err := flinksql.Tokenize("select `select` 'select' ;")
	if err != nil {
		t.Fatal(err)
	}
	got := []bool{toks[0].Is("SELECT"), toks[1].Is("SELECT"), toks[2].Is("SELECT"), toks[3].IsPunct(";"), toks[0].IsPunct("select")}
	if diff := cmp.Diff([]bool{true, false, false, true, false}, got); diff != "" {
		t.Errorf("Is (-want +got):\n%s", diff)
	}
}

// TestTokenPositionsAcrossLines checks positions after tokens and comments
// that span lines and after multi-byte runes: the lexer counts lines and
// columns only where tokens start, so these are where it could slip.
func TestTokenPositionsAcrossLines(t *testing.T) {
	toks, err := flinksql.Tokenize("SELECT 'a\nbé' AS x, /*+ h\n */ é.`b\nc` -- ü\n  ,\t½ 'x' FROM /* ä\n\n */ t\r\n  WHERE ü = 1")
	if err != nil {
		t.Fatal(err)
	}
	want := []flinksql.Pos{{0, 1, 1}, {7, 1, 8}, {15, 2, 5}, {18, 2, 8}, {19, 2, 9}, {21, 2, 11}, {31, 3, 5},
		{33, 3, 6}, {34, 3, 7}, {48, 5, 3}, {50, 5, 5}, {53, 5, 7}, {57, 5, 11}, {73, 7, 5}, {78, 8, 3},
		{84, 8, 9}, {87, 8, 11}, {89, 8, 13}}
	var got []flinksql.Pos
	for _, tok := range toks {
		got = append(got, tok.Pos)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("positions (-want +got):\n%s", diff)
	}
	errs := []struct {
		sql       string
		line, col int
	}{
		{"SELECT 'é\n\xff'", 2, 1},
		{"/* ü\n */ é -- \xff", 2, 10},
		{"a\n  `é\nü\xfe`", 3, 2},
		{"é \xff", 1, 3},
	}
	for _, tc := range errs {
		_, err := flinksql.Parse(tc.sql)
		var se *flinksql.SyntaxError
		if !errors.As(err, &se) || se.Pos.Line != tc.line || se.Pos.Col != tc.col {
			t.Errorf("Parse(%q) = %v, want an error at line %d, column %d", tc.sql, err, tc.line, tc.col)
		}
	}
}

// TestParseConcurrently parses scripts from many goroutines at once, as
// callers do; Parse reuses buffers between calls, which must not leak from
// one Parse into another.
func TestParseConcurrently(t *testing.T) {
	var scripts []string
	for _, tc := range ddlCases {
		scripts = append(scripts, tc.sql)
	}
	scripts = append(scripts, benchDML, "SELECT (", "SELECT 'x")
	want := make([]string, len(scripts))
	for i, sql := range scripts {
		want[i] = parseSummary(sql)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for round := range 20 {
				for k := range scripts {
					i := (k + round) % len(scripts) // each round in another order
					if got := parseSummary(scripts[i]); got != want[i] {
						t.Errorf("Parse(%q) concurrently = %s, want %s", scripts[i], got, want[i])
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

func parseSummary(sql string) string {
	s, err := flinksql.Parse(sql)
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%+v", *s)
}
