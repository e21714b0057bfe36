package dirfs_test

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/shiftleft/shiftleft/internal/dirfs"
	"github.com/shiftleft/shiftleft/internal/files"
)

func TestFS(t *testing.T) {
	dir := t.TempDir()
	tree := map[string]string{
		"facts/p1/fct_orders/sql-scripts/dml.fct_orders.sql": "INSERT INTO fct_orders SELECT * FROM src_orders;",
		"facts/p1/fct_orders/sql-scripts/ddl.fct_orders.sql": "CREATE TABLE fct_orders (id STRING);",
		"empty.sql": "",
		"big.sql":   strings.Repeat("-- a long comment line\n", 10_000),
	}
	if err := files.WriteTree(dir, tree); err != nil {
		t.Fatal(err)
	}
	fsys := dirfs.New(dir)
	if err := fstest.TestFS(fsys, "empty.sql", "big.sql", "facts/p1/fct_orders/sql-scripts/dml.fct_orders.sql"); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		file    string
		want    string
		wantErr error
	}{
		{name: "a SQL file", file: "facts/p1/fct_orders/sql-scripts/ddl.fct_orders.sql", want: tree["facts/p1/fct_orders/sql-scripts/ddl.fct_orders.sql"]},
		{name: "an empty file", file: "empty.sql", want: ""},
		{name: "a file of several reads", file: "big.sql", want: tree["big.sql"]},
		{name: "a missing file", file: "facts/missing.sql", wantErr: fs.ErrNotExist},
		{name: "a path that climbs out", file: "../outside.sql", wantErr: fs.ErrInvalid},
		{name: "a folder", file: "facts", wantErr: errors.New("any")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := fsys.ReadFile(tt.file)
			if tt.wantErr == nil {
				if err != nil || string(got) != tt.want {
					t.Fatalf("ReadFile = %d bytes, %v; want %d bytes", len(got), err, len(tt.want))
				}
				return
			}
			var pe *fs.PathError
			switch {
			case !errors.As(err, &pe):
				t.Fatalf("ReadFile error %v, want an *fs.PathError", err)
			case pe.Path != tt.file:
				t.Errorf("error names %q, want the tree's name %q", pe.Path, tt.file)
			case tt.wantErr.Error() != "any" && !errors.Is(err, tt.wantErr):
				t.Errorf("ReadFile error %v, want %v", err, tt.wantErr)
			}
		})
	}
}
