package deployments

import (
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
