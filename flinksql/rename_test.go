package flinksql_test

import (
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
