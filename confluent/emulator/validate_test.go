package emulator

import (
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/flinksql"
	"github.com/shiftleft/shiftleft/internal/corpus"
	"github.com/shiftleft/shiftleft/internal/pipelinegen"
)

// TestDryRunValidates: a dry run is rejected as Flink rejects the statement
// (unknown table, column or function, a misspelt keyword), and valid SQL of
// every shape the column and function rules read passes.
func TestDryRunValidates(t *testing.T) {
	const ddl = "CREATE TABLE orders (id BIGINT, customer_id BIGINT, amount DECIMAL(10, 2), tags ARRAY<STRING>, " +
		"addr ROW<city STRING, zip STRING>, ts TIMESTAMP_LTZ(3), PRIMARY KEY (id) NOT ENFORCED, " +
		"WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) DISTRIBUTED BY HASH(id) INTO 4 BUCKETS WITH ('changelog.mode' = 'append')"
	const customers = "CREATE TABLE customers (id BIGINT, name STRING, PRIMARY KEY (id) NOT ENFORCED)"
	tests := []struct {
		name, sql string
		detail    string // "" valid
	}{
		{"FORM", "INSERT INTO sink SELECT id FORM orders", "SQL parse failed"},
		{"unknown table", "INSERT INTO sink SELECT id FROM ordrs", "Table (or view) 'ordrs' does not exist"},
		{"misspelt column", "INSERT INTO sink SELECT id, amout FROM orders",
			"SQL validation failed. From line 1, column 29 to line 1, column 33: Column 'amout' not found in any table"},
		{"misspelt column in WHERE", "INSERT INTO sink SELECT id FROM orders WHERE amount > 0 AND custmer_id = 1",
			"Column 'custmer_id' not found in any table"},
		{"misspelt qualified column", "INSERT INTO sink SELECT o.id, c.nme FROM orders o JOIN customers c ON o.customer_id = c.id",
			"Column 'nme' not found in table 'c'"},
		{"misspelt column of a table named", "INSERT INTO sink SELECT orders.idd FROM orders", "Column 'idd' not found in table 'orders'"},
		{"unknown function", "INSERT INTO sink SELECT id, AMOUNT_TO_EUR(amount) FROM orders",
			"SQL validation failed. From line 1, column 29 to line 1, column 41: No match found for function signature AMOUNT_TO_EUR"},
		{"unknown function in a DDL", "CREATE TABLE fresh (id BIGINT, x AS NO_SUCH_FN(id))", "No match found for function signature NO_SUCH_FN"},

		{"a ddl", ddl[:len("CREATE TABLE ")] + "fresh" + ddl[len("CREATE TABLE orders"):], ""},
		{"plain", "INSERT INTO sink SELECT id, amount, ts FROM orders WHERE amount > 0", ""},
		{"aliases and functions", "INSERT INTO sink SELECT id AS k, COUNT(*) n, SUM(amount) AS total, DATE_FORMAT(ts, 'yyyy') y, " +
			"CAST(amount AS STRING), COALESCE(customer_id, 0) FROM orders GROUP BY id, ts HAVING COUNT(*) > 1", ""},
		{"system column and nested field", "INSERT INTO sink SELECT $rowtime, `$rowtime`, addr.city, tags[1] FROM orders", ""},
		{"case and in", "INSERT INTO sink SELECT CASE WHEN amount > 1 THEN 'big' ELSE 'small' END AS size FROM orders " +
			"WHERE id IN (1, 2) AND amount BETWEEN 1 AND 2 AND customer_id IS NOT NULL", ""},
		{"join", "INSERT INTO sink SELECT o.id, c.name, o.`amount` FROM orders AS o LEFT JOIN customers c ON o.customer_id = c.id", ""},
		{"temporal join", "INSERT INTO sink SELECT o.id, c.name FROM orders o JOIN customers FOR SYSTEM_TIME AS OF o.ts AS c ON o.customer_id = c.id", ""},
		{"subquery", "INSERT INTO sink SELECT s.id, s.n FROM (SELECT id, COUNT(*) AS n FROM orders GROUP BY id) s", ""},
		{"cte with columns", "INSERT INTO sink WITH big (k, v) AS (SELECT id, amount FROM orders) SELECT k, v FROM big", ""},
		{"window tvf", "INSERT INTO sink SELECT window_start, window_end, SUM(amount) FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), " +
			"INTERVAL '1' MINUTES)) GROUP BY window_start, window_end", ""},
		{"over", "INSERT INTO sink SELECT id, ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY ts DESC) AS rn FROM orders", ""},
		{"insert with columns", "INSERT INTO sink (a, b) SELECT id, amount FROM orders", ""},
		{"hint", "INSERT INTO sink SELECT id FROM orders /*+ OPTIONS('scan.startup.mode'='latest-offset') */", ""},
		{"unknown columns of a declared topic", "INSERT INTO sink SELECT whatever FROM src", ""},
		{"unnest with an alias and columns", "INSERT INTO sink SELECT o.id, tag FROM orders AS o CROSS JOIN UNNEST(o.tags) AS t (tag)", ""},
		{"implicit alias with columns", "INSERT INTO sink SELECT o.id, tag FROM orders o CROSS JOIN UNNEST(o.tags) t (tag)", ""},
		{"alter a physical column", "ALTER TABLE orders MODIFY (amount DOUBLE)", "is not supported by Confluent Cloud"},
		{"alter a watermark", "ALTER TABLE orders MODIFY WATERMARK FOR ts AS ts - INTERVAL '5' SECOND", ""},
		{"a catalog function of the option", "INSERT INTO sink SELECT id, to_eur(amount) FROM orders", ""},
		{"a function CREATE FUNCTION made", "INSERT INTO sink SELECT id, Mask_Name(id) FROM orders", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, ExternalTables([]string{"src", "sink"}), Functions([]string{"TO_EUR"}))
			for name, sql := range map[string]string{"orders": ddl, "customers": customers,
				"udf": "CREATE FUNCTION mask_name AS 'com.acme.Mask' USING JAR 'confluent-artifact://cfa-1'"} {
				h.create(name, sql)
			}
			h.settle()
			st := h.createWith("dry", tt.sql, map[string]string{propDryRun: "true"})
			switch {
			case tt.detail == "" && st.Status.Phase != confluent.PhaseCompleted:
				t.Errorf("valid SQL rejected: %s %q", st.Status.Phase, st.Status.Detail)
			case tt.detail != "" && (st.Status.Phase != confluent.PhaseFailed || !strings.Contains(st.Status.Detail, tt.detail)):
				t.Errorf("dry run: %s %q, want FAILED with %q", st.Status.Phase, st.Status.Detail, tt.detail)
			}
			h.do("GET", stmts+"/dry", nil).failure(t, http.StatusNotFound)
		})
	}
}

// TestDryRunSession: in a session (the label LabelDryRunSession), a DDL dry
// run that passes counts for the dry runs after it and for no one else, and
// nothing is created.
func TestDryRunSession(t *testing.T) {
	h := start(t, ExternalTables([]string{"src"}))
	h.create("old", "CREATE TABLE old_t (id INT, v INT)")
	h.settle()
	dry := func(name, session, sql string) confluent.Statement {
		t.Helper()
		in := createBody(name, sql)
		in.Spec.Properties = map[string]string{confluent.PropertyDryRun: "true"}
		if session != "" {
			in.Metadata = &confluent.StatementMetadata{Labels: map[string]string{confluent.LabelDryRunSession: session}}
		}
		var st confluent.Statement
		h.do("POST", stmts, in).want(t, http.StatusCreated, &st)
		return st
	}
	steps := []struct {
		name, session, sql string
		phase              confluent.Phase
		detail             string
	}{
		{"dml before its ddl", "s1", "INSERT INTO fresh SELECT id FROM src", confluent.PhaseFailed, "'fresh' does not exist"},
		{"ddl", "s1", "CREATE TABLE fresh (id INT, name STRING)", confluent.PhaseCompleted, ""},
		{"dml after it", "s1", "INSERT INTO fresh SELECT id, name FROM src", confluent.PhaseCompleted, ""},
		{"its columns count", "s1", "SELECT nam FROM fresh", confluent.PhaseFailed, "Column 'nam' not found"},
		{"ddl again", "s1", "CREATE TABLE fresh (id INT)", confluent.PhaseFailed, "already exists"},
		{"another session", "s2", "INSERT INTO fresh SELECT id FROM src", confluent.PhaseFailed, "'fresh' does not exist"},
		{"no session", "", "INSERT INTO fresh SELECT id FROM src", confluent.PhaseFailed, "'fresh' does not exist"},
		{"drop in a session", "s3", "DROP TABLE old_t", confluent.PhaseCompleted, ""},
		{"create after the drop", "s3", "CREATE TABLE old_t (id INT, w INT)", confluent.PhaseCompleted, ""},
		{"new columns", "s3", "SELECT w FROM old_t", confluent.PhaseCompleted, ""},
		{"old columns elsewhere", "s1", "SELECT v FROM old_t", confluent.PhaseCompleted, ""},
		{"a function not made yet", "s1", "SELECT my_fn(v) FROM old_t", confluent.PhaseFailed, "No match found for function signature my_fn"},
		{"create function", "s1", "CREATE FUNCTION my_fn AS 'com.acme.F'", confluent.PhaseCompleted, ""},
		{"the function after it", "s1", "SELECT MY_FN(v) FROM old_t", confluent.PhaseCompleted, ""},
		{"not in another session", "s3", "SELECT my_fn(w) FROM old_t", confluent.PhaseFailed, "No match found for function signature my_fn"},
	}
	for _, s := range steps {
		st := dry("dry", s.session, s.sql)
		if st.Status.Phase != s.phase || !strings.Contains(st.Status.Detail, s.detail) {
			t.Errorf("%s: %s %q, want %s %q", s.name, st.Status.Phase, st.Status.Detail, s.phase, s.detail)
		}
	}
	h.settle()
	var list confluent.StatementList
	h.do("GET", stmts, nil).want(t, http.StatusOK, &list)
	if len(list.Data) != 1 || list.Data[0].Name != "old" {
		t.Errorf("statements after the dry runs: %v, want only old", names(list.Data))
	}
	if h.topic("fresh").Exists {
		t.Error("a dry run created a table")
	}
	if !h.topic("old_t").Exists {
		t.Error("a dry run dropped a table")
	}
}

func names(l []confluent.Statement) []string {
	var out []string
	for _, st := range l {
		out = append(out, st.Name)
	}
	return out
}

// TestValidateRealTrees: the rules reject no statement of a real or
// generated pipelines tree, checked against the columns its own DDLs
// declare: shift_left's corpus, the examples, generated trees of every
// shape pipelinegen writes.
func TestValidateRealTrees(t *testing.T) {
	t.Run("examples", func(t *testing.T) { validateTree(t, filepath.Join("..", "..", "examples", "pipelines")) })
	t.Run("corpus", func(t *testing.T) { validateTree(t, corpus.Dir(t, "corpus", "shift_left", "pipelines")) })
	for seed := range uint64(4) {
		t.Run(fmt.Sprintf("generated seed %d", seed), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "pipelines")
			if _, err := pipelinegen.Generate(dir, pipelinegen.Options{Tables: 300, Seed: seed}); err != nil {
				t.Fatal(err)
			}
			validateTree(t, dir)
		})
	}
}

// validateTree checks every DML of the tree under dir.
func validateTree(t *testing.T, dir string) {
	t.Helper()
	env := &environment{ID: "env", Tables: map[string]bool{}, Topics: map[string]*topic{}}
	var dmls []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".sql") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		_, sql, err := flinksql.Settings(string(data))
		if err != nil {
			return nil // not the rules' business
		}
		p := classify(sql)
		if p.Failure != "" {
			return nil
		}
		for _, n := range append(p.Reads, p.Writes...) {
			env.Tables[n.Table()] = true
		}
		if p.Creates != nil && !p.Job {
			env.Tables[p.Creates.Table()] = true
			schema, _ := flinksql.ParseTableSchema(sql) // nil when it is no plain CREATE TABLE
			env.Topics[p.Creates.Table()] = &topic{Schema: schema}
			if detail := validateSQL(sql, p, catalog{env: env}); detail != "" {
				t.Errorf("%s: %s", path, detail)
			}
		} else {
			dmls = append(dmls, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range dmls {
		data, _ := os.ReadFile(path)
		_, sql, _ := flinksql.Settings(string(data))
		if detail := validateSQL(sql, classify(sql), catalog{env: env}); detail != "" {
			t.Errorf("%s: %s", path, detail)
		}
	}
	if len(dmls) == 0 {
		t.Fatal("no statement checked")
	}
}

// FuzzValidateSQL: no SQL makes the validation rules fail other than by a
// message, against a catalog where the tables have columns.
func FuzzValidateSQL(f *testing.F) {
	for _, seed := range []string{
		"INSERT INTO sink SELECT o.id, c.nme FROM orders o JOIN customers c ON o.customer_id = c.id",
		"INSERT INTO sink SELECT id, amout FROM orders WHERE x > 1",
		"CREATE TABLE t (id INT, r ROW<a INT, b ARRAY<INT>>, x AS f(id), PRIMARY KEY (id) NOT ENFORCED) DISTRIBUTED BY HASH(id) INTO 2 BUCKETS",
		"INSERT INTO sink SELECT o.id FROM orders o JOIN customers FOR SYSTEM_TIME AS OF o.ts AS c ON o.id = c.id",
		"INSERT INTO sink WITH a (x) AS (SELECT id FROM orders) SELECT x FROM a",
		"SELECT t. FROM t", "CREATE TABLE t (", ") AS", "FROM", "x.y.", "SELECT $", "CREATE TABLE t (a > b, c)",
	} {
		f.Add(seed)
	}
	env := &environment{ID: "env", Tables: map[string]bool{"orders": true, "customers": true, "sink": true, "t": true},
		Topics: map[string]*topic{"orders": {Schema: columns("id", "customer_id", "ts")}, "customers": {Schema: columns("id")}}}
	f.Fuzz(func(t *testing.T, sql string) {
		p := classify(sql)
		_ = validateSQL(sql, p, catalog{env: env})
		if toks, err := flinksql.Tokenize(sql); err == nil {
			_ = createColumns(toks)
		}
	})
}

// columns is a schema of the named columns.
func columns(names ...string) *flinksql.TableSchema {
	s := &flinksql.TableSchema{}
	for _, n := range names {
		s.Columns = append(s.Columns, flinksql.Column{Name: n})
	}
	return s
}
