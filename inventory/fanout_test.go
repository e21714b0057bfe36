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
			inv, _, err := inventory.Build(tree(files), inventory.Options{})
			if !errors.Is(err, tt.wantErr) || inv != nil {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestBrokenSQLNamesFileAndTable: a file that does not parse, is too big or
// too deep, is an error naming the file, its table and where it breaks.
func TestBrokenSQLNamesFileAndTable(t *testing.T) {
	deep := strings.Repeat("(", 1_000_000) + "1" + strings.Repeat(")", 1_000_000)
	tests := []struct {
		name    string
		files   map[string]string
		wantErr error
		want    []string
	}{
		{
			name: "a misspelt FROM",
			files: map[string]string{"facts/p/t/sql-scripts/ddl.t.sql": ddl("t"),
				"facts/p/t/sql-scripts/dml.t.sql": "INSERT INTO t\nSELECT id, name FORM src_sales_customers"},
			wantErr: inventory.ErrBadSQL,
			want:    []string{"pipelines/facts/p/t/sql-scripts/dml.t.sql (table t)", "line 2, column 17", "is FORM a misspelt keyword"},
		},
		{
			name: "a stray semicolon",
			files: map[string]string{"facts/p/t/sql-scripts/ddl.t.sql": ddl("t"),
				"facts/p/t/sql-scripts/dml.t.sql": "INSERT INTO t SELECT * FROM a;\nJOIN b ON a.k = b.k;"},
			wantErr: inventory.ErrBadSQL,
			want:    []string{"dml.t.sql (table t)", "line 2, column 1: JOIN does not start a statement"},
		},
		{
			name: "the table from the DML when the DDL is broken",
			files: map[string]string{"facts/p/t/sql-scripts/ddl.t.sql": "CREATE TABLE (id STRING",
				"facts/p/t/sql-scripts/dml.t.sql": "INSERT INTO t SELECT * FROM a"},
			wantErr: inventory.ErrBadSQL,
			want:    []string{"ddl.t.sql (table t)", "unclosed ("},
		},
		{
			name: "both files broken",
			files: map[string]string{"facts/p/t/sql-scripts/ddl.t.sql": "CREATE TABLE t (id STRING",
				"facts/p/t/sql-scripts/dml.t.sql": "INSERT INTO t SELECT * FROM WHERE"},
			wantErr: inventory.ErrBadSQL,
			want:    []string{"ddl.t.sql (table t): invalid SQL: line 1, column 16: unclosed (", "dml.t.sql (table t): invalid SQL: line 1, column 29: a table must follow FROM"},
		},
		{
			name: "a million nested parentheses",
			files: map[string]string{"facts/p/t/sql-scripts/ddl.t.sql": ddl("t"),
				"facts/p/t/sql-scripts/dml.t.sql": "INSERT INTO t SELECT " + deep + " FROM s"},
			wantErr: inventory.ErrBadSQL,
			want:    []string{"dml.t.sql (table t)", "nested deeper than 1000 levels"},
		},
		{
			name: "a file over 4 MB",
			files: map[string]string{"facts/p/t/sql-scripts/ddl.t.sql": ddl("t"),
				"facts/p/t/sql-scripts/dml.t.sql": "INSERT INTO t SELECT 1 FROM s; -- " + strings.Repeat("x", 4<<20)},
			wantErr: inventory.ErrTooLarge,
			want:    []string{"dml.t.sql (table t)", "4194338 bytes", "at most 4194304"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, _, err := inventory.Build(tree(tt.files), inventory.Options{})
			if !errors.Is(err, tt.wantErr) || inv != nil {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
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
