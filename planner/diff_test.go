package planner_test

import (
	"reflect"
	"testing"
	"testing/fstest"

	"github.com/shiftleft/shiftleft/inventory"
	"github.com/shiftleft/shiftleft/planner"
)

func inv(t *testing.T, files map[string]string) *inventory.Inventory {
	t.Helper()
	fsys := fstest.MapFS{}
	for p, c := range files {
		fsys[p] = &fstest.MapFile{Data: []byte(c)}
	}
	i, _, err := inventory.Build(fsys, inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func TestCompare(t *testing.T) {
	base := map[string]string{
		"sources/p/a/sql-scripts/ddl.a.sql": "CREATE TABLE a (id STRING);",
		"sources/p/a/sql-scripts/dml.a.sql": "INSERT INTO a SELECT id FROM ext;",
		"facts/p/b/sql-scripts/ddl.b.sql":   "CREATE TABLE b (id STRING);",
		"facts/p/b/sql-scripts/dml.b.sql":   "INSERT INTO b SELECT id FROM a;",
		"facts/p/c/sql-scripts/ddl.c.sql":   "CREATE TABLE c (id STRING);",
		"facts/p/c/sql-scripts/dml.c.sql":   "INSERT INTO c SELECT id FROM a;",
	}
	with := func(change map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range change {
			if v == "" {
				delete(out, k)
			} else {
				out[k] = v
			}
		}
		return out
	}
	tests := []struct {
		name    string
		head    map[string]string
		changes []planner.Change
		deleted []string
	}{
		{"nothing", base, nil, nil},
		{"comments and layout only", with(map[string]string{"facts/p/b/sql-scripts/dml.b.sql": "-- b\ninsert into b\n  select id from a"}), nil, nil},
		{"a moved folder with the same SQL", with(map[string]string{"facts/p/b/sql-scripts/ddl.b.sql": "", "facts/p/b/sql-scripts/dml.b.sql": "",
			"facts/q/b_moved/sql-scripts/ddl.b.sql": base["facts/p/b/sql-scripts/ddl.b.sql"], "facts/q/b_moved/sql-scripts/dml.b.sql": base["facts/p/b/sql-scripts/dml.b.sql"]}), nil, nil},
		{"DML changed", with(map[string]string{"facts/p/b/sql-scripts/dml.b.sql": "INSERT INTO b SELECT id FROM a WHERE id > '1';"}),
			[]planner.Change{{Table: "b", DML: true}}, nil},
		{"DDL changed", with(map[string]string{"facts/p/c/sql-scripts/ddl.c.sql": "CREATE TABLE c (id STRING, n INT);"}),
			[]planner.Change{{Table: "c", DDL: true}}, nil},
		{"properties changed", with(map[string]string{"facts/p/c/sql-scripts/dml.c.properties": "sql.state-ttl=1 d"}),
			[]planner.Change{{Table: "c", DML: true}}, nil},
		{"new and deleted", with(map[string]string{"facts/p/c/sql-scripts/ddl.c.sql": "", "facts/p/c/sql-scripts/dml.c.sql": "",
			"facts/p/d/sql-scripts/ddl.d.sql": "CREATE TABLE d (id STRING);", "facts/p/d/sql-scripts/dml.d.sql": "INSERT INTO d SELECT id FROM b;"}),
			[]planner.Change{{Table: "d", New: true}}, []string{"c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := planner.Compare(inv(t, base), inv(t, tt.head))
			if !reflect.DeepEqual(d.Changes, tt.changes) || !reflect.DeepEqual(d.Deleted, tt.deleted) {
				t.Errorf("changes %+v deleted %v, want %+v %v", d.Changes, d.Deleted, tt.changes, tt.deleted)
			}
			if d.Empty() != (tt.changes == nil && tt.deleted == nil) {
				t.Errorf("Empty() = %v", d.Empty())
			}
		})
	}
	first := planner.Compare(nil, inv(t, base))
	want := []planner.Change{{Table: "a", New: true}, {Table: "b", New: true}, {Table: "c", New: true}}
	if !reflect.DeepEqual(first.Changes, want) {
		t.Errorf("first deployment: %+v (external ext must not count)", first.Changes)
	}
}
