package inventory_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/inventory"
)

// TestDLQFileIsNotTheTablesDDL: as in shift_left, a ddl.* file whose name
// contains "dlq" (the DDL of the table's dead-letter queue) is not the
// table's DDL, wherever "dlq" appears in the name.
func TestDLQFileIsNotTheTablesDDL(t *testing.T) {
	const dir = "facts/p1/fct_orders/sql-scripts/"
	tests := []struct {
		name    string
		files   map[string]string
		wantDDL string // the DDL the table is read from
		wantErr error
	}{
		{
			name: "a dlq DDL beside the table's",
			files: map[string]string{
				dir + "ddl.fct_orders.sql":     ddl("fct_orders"),
				dir + "ddl.fct_orders_dlq.sql": ddl("fct_orders_dlq"),
			},
			wantDDL: "pipelines/" + dir + "ddl.fct_orders.sql",
		},
		{
			name: "dlq first in the name",
			files: map[string]string{
				dir + "ddl.dlq.fct_orders.sql": ddl("dlq_fct_orders"),
				dir + "ddl.fct_orders.sql":     ddl("fct_orders"),
				dir + "dml.fct_orders.sql":     "INSERT INTO fct_orders SELECT id FROM src_orders;",
			},
			wantDDL: "pipelines/" + dir + "ddl.fct_orders.sql",
		},
		{
			name:    "only a dlq DDL: the folder has no DDL",
			files:   map[string]string{dir + "ddl.fct_orders_dlq.sql": ddl("fct_orders_dlq")},
			wantErr: inventory.ErrNoDDL,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, _, err := inventory.Build(tree(tt.files), inventory.Options{})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Build: %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			for name := range inv.Tables {
				if strings.Contains(name, "dlq") {
					t.Errorf("a table %s was read from the dlq DDL", name)
				}
			}
			if inv.Tables["fct_orders"] == nil {
				t.Fatalf("no table fct_orders in %v", inv.Tables)
			}
			if got := inv.Tables["fct_orders"].DDLRef; got != tt.wantDDL {
				t.Errorf("DDL %s, want %s", got, tt.wantDDL)
			}
		})
	}
}
