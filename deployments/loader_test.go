package deployments

import (
	"maps"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/shiftleft/shiftleft/inventory"
)

func TestTreeLoader(t *testing.T) {
	fsys := fstest.MapFS{
		"facts/p/t/sql-scripts/ddl.t.sql":        {Data: []byte("CREATE TABLE t (id STRING);")},
		"facts/p/t/sql-scripts/dml.t.sql":        {Data: []byte("INSERT INTO t SELECT 1;")},
		"facts/p/t/sql-scripts/dml.t.properties": {Data: []byte("sql.state-ttl=1 d\n")},
	}
	inv, _, err := inventory.Build(fsys, inventory.Options{Root: "pipelines"})
	if err != nil {
		t.Fatal(err)
	}
	load := TreeLoader(fsys, inv)
	sql, props, err := load("pipelines/facts/p/t/sql-scripts/dml.t.sql")
	if err != nil || sql != "INSERT INTO t SELECT 1;" || props["sql.state-ttl"] != "1 d" {
		t.Errorf("DML: %q %v %v", sql, props, err)
	}
	if sql, props, err = load("pipelines/facts/p/t/sql-scripts/ddl.t.sql"); err != nil || sql == "" || len(props) != 0 {
		t.Errorf("DDL: %q %v %v", sql, props, err)
	}
	if _, _, err := load("pipelines/facts/p/t/sql-scripts/missing.sql"); err == nil {
		t.Error("a missing file loaded")
	}
}

// TestTreeLoaderTurnsSETsIntoProperties: Confluent Cloud takes one
// statement per request; the SETs that open a file become its properties.
func TestTreeLoaderTurnsSETsIntoProperties(t *testing.T) {
	const dml = "SET 'sql.tables.scan.idle-timeout' = '1s';\nSET 'sql.state-ttl' = '1 d';\nINSERT INTO t SELECT 1;"
	tests := []struct {
		name, properties string
		wantProps        map[string]string
		wantErr          string
	}{
		{"settings only", "", map[string]string{"sql.tables.scan.idle-timeout": "1s", "sql.state-ttl": "1 d"}, ""},
		{"with the same value in .properties", "sql.state-ttl=1 d\nsql.local-time-zone=UTC\n",
			map[string]string{"sql.tables.scan.idle-timeout": "1s", "sql.state-ttl": "1 d", "sql.local-time-zone": "UTC"}, ""},
		{"another value in .properties", "sql.state-ttl=2 d\n", nil, "sql.state-ttl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{
				"facts/p/t/sql-scripts/ddl.t.sql": {Data: []byte("CREATE TABLE t (id STRING);")},
				"facts/p/t/sql-scripts/dml.t.sql": {Data: []byte(dml)},
			}
			if tt.properties != "" {
				fsys["facts/p/t/sql-scripts/dml.t.properties"] = &fstest.MapFile{Data: []byte(tt.properties)}
			}
			inv, _, err := inventory.Build(fsys, inventory.Options{Root: "pipelines"})
			if err != nil {
				t.Fatal(err)
			}
			sql, props, err := TreeLoader(fsys, inv)("pipelines/facts/p/t/sql-scripts/dml.t.sql")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil || sql != "INSERT INTO t SELECT 1;" || !maps.Equal(props, tt.wantProps) {
				t.Errorf("%q %v %v, want the INSERT alone and %v", sql, props, err, tt.wantProps)
			}
		})
	}
}

// TestTreeLoaderKeepsPlanSettingsOut: strategy and allow_drop are read by
// the planner; Confluent Cloud would refuse them as statement properties.
func TestTreeLoaderKeepsPlanSettingsOut(t *testing.T) {
	fsys := fstest.MapFS{
		"facts/p/t/sql-scripts/ddl.t.sql":        {Data: []byte("CREATE TABLE t (id STRING);")},
		"facts/p/t/sql-scripts/ddl.t.properties": {Data: []byte("allow_drop: true\n")},
		"facts/p/t/sql-scripts/dml.t.sql":        {Data: []byte("INSERT INTO t SELECT 1;")},
		"facts/p/t/sql-scripts/dml.t.properties": {Data: []byte("strategy: in-place\nsql.state-ttl=1 d\n")},
	}
	inv, _, err := inventory.Build(fsys, inventory.Options{Root: "pipelines"})
	if err != nil {
		t.Fatal(err)
	}
	load := TreeLoader(fsys, inv)
	if _, props, err := load("pipelines/facts/p/t/sql-scripts/dml.t.sql"); err != nil || !maps.Equal(props, map[string]string{"sql.state-ttl": "1 d"}) {
		t.Errorf("DML properties %v (%v), want sql.state-ttl only", props, err)
	}
	if _, props, err := load("pipelines/facts/p/t/sql-scripts/ddl.t.sql"); err != nil || props != nil {
		t.Errorf("DDL properties %v (%v), want none", props, err)
	}
}
