package inventory_test

import (
	"errors"
	"io/fs"
	"reflect"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/inventory"
)

// fanOut is a tree where one statement set writes three tables: its own
// folder's x, and y and z, whose folders hold only their DDL; r reads y.
func fanOut() map[string]string {
	return map[string]string{
		"sources/p/a/sql-scripts/ddl.a.sql": ddl("a"),
		"sources/p/b/sql-scripts/ddl.b.sql": ddl("b"),
		"facts/p/x/sql-scripts/ddl.x.sql":   ddl("x"),
		"facts/p/x/sql-scripts/dml.x.sql": `EXECUTE STATEMENT SET
BEGIN
  INSERT INTO y SELECT * FROM b JOIN a ON a.id = b.id;
  INSERT INTO x SELECT * FROM a;
  INSERT INTO ` + "`db`.`z`" + ` SELECT * FROM a;
END;`,
		"facts/p/y/sql-scripts/ddl.y.sql": ddl("y"),
		"facts/p/z/sql-scripts/ddl.z.sql": ddl("z"),
		"facts/p/r/sql-scripts/ddl.r.sql": ddl("r"),
		"facts/p/r/sql-scripts/dml.r.sql": "INSERT INTO r SELECT * FROM y",
	}
}

func TestFanOut(t *testing.T) {
	inv, _ := build(t, fanOut(), inventory.Options{})
	x, y, z := inv.Tables["x"], inv.Tables["y"], inv.Tables["z"]
	if x == nil || y == nil || z == nil {
		t.Fatalf("tables %v", inv.Names())
	}
	// The folder of the DDL owns the statement, whichever INSERT comes first.
	if x.DMLRef != "pipelines/facts/p/x/sql-scripts/dml.x.sql" || y.DMLRef != "" || z.DMLRef != "" {
		t.Errorf("dml refs %q %q %q", x.DMLRef, y.DMLRef, z.DMLRef)
	}
	if !reflect.DeepEqual(x.AlsoWrites, []string{"y", "z"}) || y.WrittenBy != "x" || z.WrittenBy != "x" || x.WrittenBy != "" {
		t.Errorf("x.AlsoWrites %v, y.WrittenBy %q, z.WrittenBy %q", x.AlsoWrites, y.WrittenBy, z.WrittenBy)
	}
	// As shift_left lists them: the other sinks are the DML's parents, and
	// the DDL-only tables read nothing.
	if !reflect.DeepEqual(x.Parents, []string{"a", "b", "y", "z"}) || y.Parents != nil {
		t.Errorf("x.Parents %v, y.Parents %v", x.Parents, y.Parents)
	}
	if x.StateForm() != inventory.Stateful || y.StateForm() != inventory.Stateless {
		t.Errorf("state forms %s %s", x.StateForm(), y.StateForm())
	}
}

func TestFanOutErrors(t *testing.T) {
	tests := []struct {
		name    string
		change  map[string]string
		wantErr error
		want    []string
	}{
		{
			name:    "a sink no folder defines",
			change:  map[string]string{"facts/p/z/sql-scripts/ddl.z.sql": ""},
			wantErr: inventory.ErrUnknownSink,
			want:    []string{"pipelines/facts/p/x/sql-scripts/dml.x.sql (table x)", "INSERT INTO db.z"},
		},
		{
			name: "a sink that is an external topic",
			change: map[string]string{"facts/p/z/sql-scripts/ddl.z.sql": "",
				"seeds/external_tables.json": `{"tables": [{"table_name": "z"}]}`},
			wantErr: inventory.ErrUnknownSink,
			want:    []string{"dml.x.sql (table x)", "INSERT INTO db.z"},
		},
		{
			name:    "a sink with a DML of its own",
			change:  map[string]string{"facts/p/y/sql-scripts/dml.y.sql": "INSERT INTO y SELECT * FROM a"},
			wantErr: inventory.ErrTwoWriters,
			want:    []string{"dml.x.sql (table x)", "y is written here and by pipelines/facts/p/y/sql-scripts/dml.y.sql"},
		},
		{
			name: "a sink two statement sets write",
			change: map[string]string{"facts/p/w/sql-scripts/ddl.w.sql": ddl("w"),
				"facts/p/w/sql-scripts/dml.w.sql": "EXECUTE STATEMENT SET BEGIN INSERT INTO w SELECT * FROM a; INSERT INTO z SELECT * FROM b; END"},
			wantErr: inventory.ErrTwoWriters,
			want:    []string{"z is written here and by"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := fanOut()
			for k, v := range tt.change {
				if v == "" {
					delete(files, k)
				} else {
					files[k] = v
				}
			}
			wantBuildError(t, tree(files), tt.wantErr, tt.want...)
		})
	}
}

// panickyFS panics reading one file, as a bug in a reader would.
type panickyFS struct {
	fs.FS
	bad string
}

func (f panickyFS) Open(name string) (fs.File, error) {
	if name == f.bad {
		panic("reader bug")
	}
	return f.FS.Open(name)
}

func TestPanicNamesTheFile(t *testing.T) {
	files := fanOut()
	files["facts/p/q/sql-scripts/ddl.q.sql"] = "CREATE TABLE q ("
	fsys := panickyFS{tree(files), "facts/p/r/sql-scripts/dml.r.sql"}
	inv, _, err := inventory.Build(fsys, inventory.Options{})
	if !errors.Is(err, inventory.ErrPanic) || inv != nil {
		t.Fatalf("err = %v, want ErrPanic", err)
	}
	// The other broken file is reported too: the build went on.
	for _, w := range []string{"pipelines/facts/p/r/sql-scripts/dml.r.sql: internal error", "reader bug", "ddl.q.sql (table q)"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}

func TestBeforeRead(t *testing.T) {
	var read []string
	_, _, err := inventory.Build(tree(fanOut()), inventory.Options{Workers: 1, BeforeRead: func(f string) { read = append(read, f) }})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"pipelines/facts/p/r/sql-scripts/ddl.r.sql", "pipelines/facts/p/r/sql-scripts/dml.r.sql",
		"pipelines/facts/p/x/sql-scripts/ddl.x.sql", "pipelines/facts/p/x/sql-scripts/dml.x.sql",
		"pipelines/facts/p/y/sql-scripts/ddl.y.sql", "pipelines/facts/p/z/sql-scripts/ddl.z.sql",
		"pipelines/sources/p/a/sql-scripts/ddl.a.sql", "pipelines/sources/p/b/sql-scripts/ddl.b.sql",
	}
	if !reflect.DeepEqual(read, want) {
		t.Errorf("files read %v, want in path order %v", read, want)
	}
}
