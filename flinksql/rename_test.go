package flinksql_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/flinksql"
)

func TestRenameTables(t *testing.T) {
	to := map[string]string{"orders": "orders_v2", "totals": "totals_v3"}
	tests := []struct {
		name, src, want string
	}{
		{"create", "CREATE TABLE IF NOT EXISTS totals (id INT, n BIGINT) WITH ('k' = 'totals');",
			"CREATE TABLE IF NOT EXISTS totals_v3 (id INT, n BIGINT) WITH ('k' = 'totals');"},
		{"insert and read", "INSERT INTO totals SELECT id, COUNT(*) AS orders FROM orders GROUP BY id",
			"INSERT INTO totals_v3 SELECT id, COUNT(*) AS orders FROM orders_v2 GROUP BY id"},
		{"qualified and backticked", "INSERT INTO `env`.`db`.`totals` SELECT o.id FROM db.orders o JOIN `other` x ON o.id = x.id",
			"INSERT INTO `env`.`db`.`totals_v3` SELECT o.id FROM db.orders_v2 o JOIN `other` x ON o.id = x.id"},
		{"cte named like a table", "WITH orders AS (SELECT * FROM orders) INSERT INTO totals SELECT * FROM orders",
			"WITH orders AS (SELECT * FROM orders_v2) INSERT INTO totals_v3 SELECT * FROM orders"},
		{"comment and string", "-- orders\nINSERT INTO totals SELECT 'orders' FROM orders /* totals */",
			"-- orders\nINSERT INTO totals_v3 SELECT 'orders' FROM orders_v2 /* totals */"},
		{"table function argument", "INSERT INTO totals SELECT * FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' MINUTE))",
			"INSERT INTO totals_v3 SELECT * FROM TABLE(TUMBLE(TABLE orders_v2, DESCRIPTOR(ts), INTERVAL '1' MINUTE))"},
		{"nothing to rename", "INSERT INTO sink SELECT * FROM src", "INSERT INTO sink SELECT * FROM src"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := flinksql.RenameTables(tc.src, to)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("RenameTables:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
	if _, err := flinksql.RenameTables("INSERT INTO", to); err == nil {
		t.Error("RenameTables of a broken statement: no error")
	}
}

// FuzzRenameTables renames every table a script refers to: it fails only
// where Parse fails, and the result reads and writes the renamed tables,
// in the same order.
func FuzzRenameTables(f *testing.F) {
	for _, s := range []string{
		"INSERT INTO totals SELECT id, COUNT(*) AS orders FROM orders GROUP BY id",
		"INSERT INTO `env`.`db`.`totals` SELECT o.id FROM db.orders o JOIN `other` x ON o.id = x.id",
		"WITH orders AS (SELECT * FROM orders) INSERT INTO totals SELECT * FROM orders",
		"CREATE TABLE IF NOT EXISTS t (id INT) WITH ('connector' = 't'); INSERT INTO t SELECT * FROM TABLE(TUMBLE(TABLE s, DESCRIPTOR(ts), INTERVAL '1' MINUTE))",
		"EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT * FROM s; INSERT INTO b SELECT * FROM s; END",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		s, perr := flinksql.Parse(src)
		to := map[string]string{}
		if perr == nil {
			for _, n := range append(s.Reads(), s.Writes()...) {
				to[n.Table()] = n.Table() + "_v2"
			}
		}
		out, err := flinksql.RenameTables(src, to)
		switch {
		case len(to) == 0:
			if err != nil || out != src {
				t.Fatalf("nothing to rename: %q, %v", out, err)
			}
			return
		case err != nil:
			t.Fatalf("RenameTables failed where Parse did not: %v", err)
		}
		r, err := flinksql.Parse(out)
		if err != nil {
			t.Fatalf("the renamed script %q does not parse: %v", out, err)
		}
		renamed := func(ns []flinksql.Name) string {
			var parts []string
			for _, n := range ns {
				m := slices.Clone(n)
				if v, ok := to[m[len(m)-1]]; ok {
					m[len(m)-1] = v
				}
				parts = append(parts, m.String())
			}
			return strings.Join(parts, " ")
		}
		names := func(ns []flinksql.Name) string {
			var parts []string
			for _, n := range ns {
				parts = append(parts, n.String())
			}
			return strings.Join(parts, " ")
		}
		if names(r.Writes()) != renamed(s.Writes()) {
			t.Errorf("writes %s, want %s", names(r.Writes()), renamed(s.Writes()))
		}
		// A name the script already has (a CTE's, say) may take the
		// renamed reads: RenameTables' callers pick names it has not.
		clash := false
		for _, v := range to {
			clash = clash || strings.Contains(src, v)
		}
		if names(r.Reads()) != renamed(s.Reads()) && !clash {
			t.Errorf("reads %s, want %s", names(r.Reads()), renamed(s.Reads()))
		}
	})
}
