package planner_test

import (
	"testing"

	"github.com/shiftleft/shiftleft/planner"
)

// TestStatusReportsUnmanagedStatements: a statement without shiftleft's
// labels that writes a table of the tree is unmanaged; one that only reads
// it, writes another table, or does not parse is none of shiftleft's
// business.
func TestStatusReportsUnmanagedStatements(t *testing.T) {
	g := chain(t, "src:", "sink: src")
	desired := planner.DesiredState(g.Inventory(), naming)
	tests := []struct {
		name, sql, phase string
		want             string // "" for not reported
	}{
		{"an insert into a table of the tree", "INSERT INTO sink SELECT * FROM src", "RUNNING", "sink"},
		{"a stopped one", "INSERT INTO `sink` SELECT * FROM src", "STOPPED", "sink"},
		{"a CTAS of a table of the tree", "CREATE TABLE src AS SELECT 1 AS a", "COMPLETED", "src"},
		{"a qualified name", "INSERT INTO `env`.`cluster`.sink SELECT * FROM src", "RUNNING", "sink"},
		{"a query reading it", "SELECT * FROM sink", "RUNNING", ""},
		{"an insert into another table", "INSERT INTO scratch SELECT * FROM sink", "RUNNING", ""},
		{"SQL that does not parse", "INSERT INTO (", "FAILED", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := deployed(g, true, "src", "sink")
			live.Statements["console-1"] = planner.Statement{Name: "console-1", Phase: tt.phase, SQL: tt.sql}
			var unmanaged []planner.TableStatus
			for _, s := range planner.Status(desired, live) {
				switch {
				case s.State == planner.Unmanaged:
					unmanaged = append(unmanaged, s)
				case s.State != planner.InSync:
					t.Errorf("%s, want in-sync", s)
				}
			}
			switch {
			case tt.want == "" && len(unmanaged) > 0:
				t.Errorf("reported %v, want nothing", unmanaged)
			case tt.want != "" && (len(unmanaged) != 1 || unmanaged[0].Table != tt.want || unmanaged[0].Statement != "console-1"):
				t.Errorf("reported %v, want console-1 unmanaged on %s", unmanaged, tt.want)
			}
		})
	}
}
