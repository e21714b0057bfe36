package pipeline_test

import (
	"errors"
	"reflect"
	"testing"
	"testing/fstest"

	"github.com/shiftleft/shiftleft/inventory"
	"github.com/shiftleft/shiftleft/pipeline"
)

// fanOutGraph: x's statement set reads a and b and writes x, y and z; the
// folders of y and z hold only their DDL; r reads y.
func fanOutGraph(t *testing.T, extra map[string]string) (*pipeline.Graph, error) {
	t.Helper()
	ddl := func(n string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte("CREATE TABLE " + n + " (id STRING);")}
	}
	fsys := fstest.MapFS{
		"sources/p/a/sql-scripts/ddl.a.sql": ddl("a"),
		"sources/p/b/sql-scripts/ddl.b.sql": ddl("b"),
		"facts/p/x/sql-scripts/ddl.x.sql":   ddl("x"),
		"facts/p/x/sql-scripts/dml.x.sql": {Data: []byte(`EXECUTE STATEMENT SET BEGIN
			INSERT INTO x SELECT * FROM a;
			INSERT INTO y SELECT * FROM a JOIN b ON a.id = b.id;
			INSERT INTO z SELECT * FROM b;
		END;`)},
		"facts/p/y/sql-scripts/ddl.y.sql": ddl("y"),
		"facts/p/z/sql-scripts/ddl.z.sql": ddl("z"),
		"facts/p/r/sql-scripts/ddl.r.sql": ddl("r"),
		"facts/p/r/sql-scripts/dml.r.sql": {Data: []byte("INSERT INTO r SELECT * FROM y")},
	}
	for k, v := range extra {
		fsys[k] = &fstest.MapFile{Data: []byte(v)}
	}
	inv, _, err := inventory.Build(fsys, inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return pipeline.New(inv)
}

// TestFanOutGraph: every table a statement set writes is a node produced by
// it, the statement's inputs its parents, and the statement's own table
// comes after the DDL of the others; the definition files list what
// shift_left lists.
func TestFanOutGraph(t *testing.T) {
	g, err := fanOutGraph(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]string{"x": {"a", "b", "y", "z"}, "y": {"a", "b"}, "z": {"a", "b"}, "r": {"y"}} {
		if got := g.Parents(name); !reflect.DeepEqual(got, want) {
			t.Errorf("Parents(%s) = %v, want %v", name, got, want)
		}
	}
	wantWaves := [][]string{{"a", "b"}, {"y", "z"}, {"r", "x"}}
	if got := g.Waves(); !reflect.DeepEqual(got, wantWaves) {
		t.Errorf("Waves() = %v, want %v", got, wantWaves)
	}
	// A change to an input reaches what the statement writes and what reads it.
	if got := g.Descendants("b"); !reflect.DeepEqual(got, []string{"y", "r", "z", "x"}) {
		t.Errorf("Descendants(b) = %v", got)
	}
	if got := g.Ancestors("r"); !reflect.DeepEqual(got, []string{"a", "b", "y"}) {
		t.Errorf("Ancestors(r) = %v", got)
	}

	names := func(ds []inventory.Definition) []string {
		var out []string
		for _, d := range ds {
			out = append(out, d.TableName)
		}
		return out
	}
	for name, want := range map[string][2][]string{
		"x": {{"a", "b", "y", "z"}, nil},
		"y": {nil, {"r", "x"}},
		"a": {nil, {"x"}},
		"b": {nil, {"x"}},
	} {
		d := g.Definition(name)
		if got := [2][]string{names(d.Parents), names(d.Children)}; !reflect.DeepEqual(got, want) {
			t.Errorf("Definition(%s) parents, children = %v, want %v", name, got, want)
		}
	}
}

func TestFanOutCycle(t *testing.T) {
	// a reads r, which reads y, which x's statement writes from a.
	_, err := fanOutGraph(t, map[string]string{"sources/p/a/sql-scripts/dml.a.sql": "INSERT INTO a SELECT * FROM r"})
	var ce *pipeline.CycleError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a cycle", err)
	}
	want := []string{"a", "y", "r", "a"}
	if !reflect.DeepEqual(ce.Cycle, want) || ce.Files[0] != "pipelines/facts/p/x/sql-scripts/dml.x.sql" {
		t.Errorf("cycle %v through %v, want %v through x's DML first", ce.Cycle, ce.Files, want)
	}
}
