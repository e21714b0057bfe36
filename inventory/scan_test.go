package inventory_test

import (
	"errors"
	"io/fs"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/shiftleft/shiftleft/inventory"
)

// tree makes an in-memory pipelines folder from path -> content.
func tree(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for p, c := range files {
		fsys[p] = &fstest.MapFile{Data: []byte(c)}
	}
	return fsys
}

func ddl(table string) string { return "CREATE TABLE IF NOT EXISTS " + table + " (id STRING);" }

func build(t *testing.T, files map[string]string, opts inventory.Options) (*inventory.Inventory, []inventory.Warning) {
	t.Helper()
	inv, warnings, err := inventory.Build(tree(files), opts)
	if err != nil {
		t.Fatal(err)
	}
	return inv, warnings
}

func TestProductAndTypeRules(t *testing.T) {
	tests := []struct {
		folder, product, typ string
	}{
		{"facts/p1/fct_order", "p1", inventory.TypeFact},
		{"facts/fct_order", "None", inventory.TypeFact},
		{"fct_order", "None", inventory.TypeUnknown},
		{"sources/c360/src_groups", "c360", inventory.TypeSource},
		{"intermediates/p2/x", "p2", inventory.TypeIntermediate},
		{"intermediates/dedups/x", "dedups", inventory.TypeIntermediate},
		{"stage/p1/stg_x", "p1", inventory.TypeIntermediate},
		{"dimensions/c360/dim_users", "c360", inventory.TypeDimension},
		{"views/c360/user_view", "c360", inventory.TypeView},
		{"seeds/common/orphan", "common", inventory.TypeSeed},
		{"seeds/raw", "seeds", inventory.TypeSeed},
		{"dead_letter/p1/dlq_orders", "p1", inventory.TypeDeadLetter},
		// Whole folder names, not substrings: a fact about sources is a fact.
		{"facts/p1/fct_source_orders", "p1", inventory.TypeFact},
		{"facts/resources/fct_x", "resources", inventory.TypeFact},
		// shift_left's precedence: a sources folder wins over facts.
		{"facts/sources/fct_y", "None", inventory.TypeSource},
	}
	for _, tt := range tests {
		t.Run(tt.folder, func(t *testing.T) {
			inv, _ := build(t, map[string]string{tt.folder + "/sql-scripts/ddl.t.sql": ddl("t")}, inventory.Options{})
			got := inv.Tables["t"]
			if got.Product != tt.product || got.Type != tt.typ {
				t.Errorf("product %q type %q, want %q %q", got.Product, got.Type, tt.product, tt.typ)
			}
			if got.Folder != "pipelines/"+tt.folder || got.DDLRef != "pipelines/"+tt.folder+"/sql-scripts/ddl.t.sql" {
				t.Errorf("folder %q ddl_ref %q", got.Folder, got.DDLRef)
			}
		})
	}
}

func TestTableNameAndParents(t *testing.T) {
	tests := []struct {
		name        string
		files       map[string]string
		opts        inventory.Options
		table       string
		wantParents []string
		wantState   string
		wantWarning string
	}{
		{
			name: "name from the INSERT, not the folder or file name",
			files: map[string]string{
				"facts/p/folder/sql-scripts/ddl.whatever.sql": ddl("p_fct_orders"),
				"facts/p/folder/sql-scripts/dml.whatever.sql": "INSERT INTO p_fct_orders SELECT * FROM src_orders",
			},
			table: "p_fct_orders", wantParents: []string{"src_orders"}, wantState: inventory.Stateless,
		},
		{
			name: "qualified names resolve to the inventory table",
			files: map[string]string{
				"sources/p/a/sql-scripts/ddl.a.sql": ddl("a"),
				"facts/p/b/sql-scripts/ddl.b.sql":   ddl("b"),
				"facts/p/b/sql-scripts/dml.b.sql":   "INSERT INTO `env-1`.`cluster-1`.`b` SELECT * FROM `env-1`.`cluster-1`.`a` JOIN db.c ON true",
			},
			table: "b", wantParents: []string{"a", "c"}, wantState: inventory.Stateful,
		},
		{
			name: "a backticked topic name with dots is one table",
			files: map[string]string{
				"sources/p/a/sql-scripts/ddl.a.sql": ddl("a"),
				"sources/p/a/sql-scripts/dml.a.sql": "INSERT INTO a SELECT * FROM `clone.dev.orders-v2`",
			},
			table: "a", wantParents: []string{"clone.dev.orders-v2"}, wantState: inventory.Stateless,
		},
		{
			name: "self reference and CTE names are not parents",
			files: map[string]string{
				"facts/p/t/sql-scripts/ddl.t.sql": ddl("t"),
				"facts/p/t/sql-scripts/dml.t.sql": "INSERT INTO t WITH s AS (SELECT * FROM src) SELECT * FROM s UNION ALL SELECT * FROM t",
			},
			table: "t", wantParents: []string{"src"}, wantState: inventory.Stateless,
		},
		{
			name: "CTAS and LIKE parents come from the DDL",
			files: map[string]string{
				"facts/p/t/sql-scripts/ddl.t.sql": "CREATE TABLE t AS SELECT k, COUNT(*) AS n FROM src GROUP BY k;",
				"facts/p/u/sql-scripts/ddl.u.sql": "CREATE TABLE u (x INT) LIKE t;",
			},
			table: "t", wantParents: []string{"src"}, wantState: inventory.Stateful,
		},
		{
			name: "upsert or retract changelog makes a table stateful",
			files: map[string]string{
				"facts/p/t/sql-scripts/ddl.t.sql": "CREATE TABLE t (id STRING) WITH ('changelog.mode' = 'RETRACT');",
				"facts/p/t/sql-scripts/dml.t.sql": "INSERT INTO t SELECT id FROM src",
			},
			table: "t", wantParents: []string{"src"}, wantState: inventory.Stateful,
		},
		{
			name: "unknown references dropped on request",
			files: map[string]string{
				"facts/p/t/sql-scripts/ddl.t.sql": ddl("t"),
				"facts/p/t/sql-scripts/dml.t.sql": "INSERT INTO t SELECT id FROM src",
			},
			opts:  inventory.Options{DropUnknownRefs: true},
			table: "t", wantParents: nil, wantState: inventory.Stateless,
			wantWarning: "reference to src dropped",
		},
		{
			name: "materialized table keeps shift_left's No-Table name",
			files: map[string]string{
				"views/p/v/sql-scripts/ddl.v.sql": "CREATE MATERIALIZED TABLE mv_v (id STRING) WITH ('changelog.mode' = 'upsert');",
			},
			table: inventory.NoTable, wantState: inventory.Stateful,
			wantWarning: "CREATE MATERIALIZED TABLE is not supported",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, warnings := build(t, tt.files, tt.opts)
			got, ok := inv.Tables[tt.table]
			if !ok {
				t.Fatalf("no table %s in %v", tt.table, inv.Names())
			}
			if !reflect.DeepEqual(got.Parents, tt.wantParents) {
				t.Errorf("parents %v, want %v", got.Parents, tt.wantParents)
			}
			if got.StateForm() != tt.wantState {
				t.Errorf("state %s (%v), want %s", got.StateForm(), got.StatefulReasons, tt.wantState)
			}
			var ws []string
			for _, w := range warnings {
				ws = append(ws, w.String())
			}
			if joined := strings.Join(ws, "\n"); !strings.Contains(joined, tt.wantWarning) || (tt.wantWarning == "" && joined != "") {
				t.Errorf("warnings %q, want %q", joined, tt.wantWarning)
			}
		})
	}
}

func TestExternalTables(t *testing.T) {
	files := map[string]string{
		"seeds/external_tables.json": `{"tables": [
			{"table_name": "raw_orders", "kafka_topic": "shop.orders", "product_name": "sales"},
			{"table_name": "raw_users"},
			{"table_name": "src", "kafka_topic": "clash"}]}`,
		"sources/p/src/sql-scripts/ddl.src.sql": ddl("src"),
		"sources/p/src/sql-scripts/dml.src.sql": "INSERT INTO src SELECT * FROM raw_orders JOIN raw_users ON true JOIN mystery ON true",
	}
	inv, warnings := build(t, files, inventory.Options{})
	want := map[string]inventory.Table{
		"raw_orders": {Name: "raw_orders", Product: "sales", Type: inventory.TypeExternalKafka, Folder: "pipelines/seeds/raw_orders", KafkaTopic: "shop.orders"},
		"raw_users":  {Name: "raw_users", Product: "common", Type: inventory.TypeExternalKafka, Folder: "pipelines/seeds/raw_users"},
		"mystery":    {Name: "mystery", Product: "seeds", Type: inventory.TypeExternalKafka, Folder: "pipelines/seeds/mystery", KafkaTopic: "mystery", Synthesized: true},
	}
	for name, w := range want {
		if got := inv.Tables[name]; got == nil || !reflect.DeepEqual(*got, w) {
			t.Errorf("%s = %+v, want %+v", name, got, w)
		}
	}
	if got := inv.Tables["src"].Parents; !reflect.DeepEqual(got, []string{"mystery", "raw_orders", "raw_users"}) {
		t.Errorf("src parents %v", got)
	}
	if inv.Tables["src"].Type != inventory.TypeSource {
		t.Errorf("the folder's src must win over the manifest's")
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0].String(), "external table skipped") {
		t.Errorf("warnings %v", warnings)
	}
	data, err := inventory.EncodeInventory(inv)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"kafka_topic": "shop.orders"`) || strings.Contains(string(data), "mystery") {
		t.Errorf("inventory.json lists declared externals only:\n%s", data)
	}
}

// failingFS fails to open one file, like a file without read permission.
type failingFS struct {
	fs.FS
	bad string
}

func (f failingFS) Open(name string) (fs.File, error) {
	if name == f.bad {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return f.FS.Open(name)
}

// TestBuildErrorsNameFileAndTable: every broken file is an error naming
// the file and its table, and where the SQL breaks: one that does not parse
// is too big or too deep too.
func TestBuildErrorsNameFileAndTable(t *testing.T) {
	deep := strings.Repeat("(", 1_000_000) + "1" + strings.Repeat(")", 1_000_000)
	good := map[string]string{
		"sources/p/a/sql-scripts/ddl.a.sql": ddl("a"),
		"sources/p/a/sql-scripts/dml.a.sql": "INSERT INTO a SELECT 1",
	}
	tests := []struct {
		name    string
		files   map[string]string
		fsys    func(fs.FS) fs.FS
		wantErr error
		want    []string
	}{
		{
			name:    "two DML files",
			files:   map[string]string{"sources/p/a/sql-scripts/dml.a_old.sql": "INSERT INTO a SELECT 2"},
			wantErr: inventory.ErrTwoFiles,
			want:    []string{"pipelines/sources/p/a/sql-scripts", "dml.a.sql and dml.a_old.sql"},
		},
		{
			name:    "bad external tables file",
			files:   map[string]string{"seeds/external_tables.json": `{"tables": [{"kafka_topic": "x"}]}`},
			wantErr: inventory.ErrBadManifest,
			want:    []string{"pipelines/seeds/external_tables.json", "tables[0] has no table_name"},
		},
		{
			name:    "DDL without CREATE TABLE",
			files:   map[string]string{"sources/p/b/sql-scripts/ddl.b.sql": "ALTER TABLE b SET ('x' = 'y');"},
			wantErr: inventory.ErrNoCreate,
			want:    []string{"pipelines/sources/p/b/sql-scripts/ddl.b.sql"},
		},
		{
			name:    "unreadable file",
			fsys:    func(f fs.FS) fs.FS { return failingFS{f, "sources/p/a/sql-scripts/dml.a.sql"} },
			wantErr: fs.ErrPermission,
			want:    []string{"pipelines/sources/p/a/sql-scripts/dml.a.sql", "permission denied"},
		},
		{
			name:    "unbalanced parenthesis",
			files:   map[string]string{"sources/p/a/sql-scripts/dml.a.sql": "INSERT INTO a\nSELECT (1"},
			wantErr: inventory.ErrBadSQL,
			want:    []string{"pipelines/sources/p/a/sql-scripts/dml.a.sql (table a)", "line 2, column 8", "unclosed ("},
		},
		{
			name: "every broken file is reported",
			files: map[string]string{
				"facts/p/x/sql-scripts/ddl.x.sql": ddl("x"),
				"facts/p/x/sql-scripts/dml.x.sql": "",
				"facts/p/y/sql-scripts/ddl.y.sql": ddl("y"),
				"facts/p/y/sql-scripts/dml.y.sql": "SELECT 1",
			},
			wantErr: inventory.ErrEmptySQL,
			want:    []string{"pipelines/facts/p/x/sql-scripts/dml.x.sql", "pipelines/facts/p/y/sql-scripts/dml.y.sql (table y): no INSERT INTO"},
		},
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
			files := map[string]string{}
			for k, v := range good {
				files[k] = v
			}
			for k, v := range tt.files {
				files[k] = v
			}
			var fsys fs.FS = tree(files)
			if tt.fsys != nil {
				fsys = tt.fsys(fsys)
			}
			wantBuildError(t, fsys, tt.wantErr, tt.want...)
		})
	}
}

// wantBuildError checks that Build of fsys fails with wantErr, returning no
// inventory, and that its error says each of want.
func wantBuildError(t *testing.T, fsys fs.FS, wantErr error, want ...string) {
	t.Helper()
	inv, _, err := inventory.Build(fsys, inventory.Options{})
	if !errors.Is(err, wantErr) {
		t.Fatalf("err = %v, want %v", err, wantErr)
	}
	if inv != nil {
		t.Error("a failed build returned an inventory")
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}

func TestFingerprint(t *testing.T) {
	base := map[string]string{
		"facts/p/t/sql-scripts/ddl.t.sql": ddl("t"),
		"facts/p/t/sql-scripts/dml.t.sql": "INSERT INTO t SELECT id FROM src WHERE id > 1",
	}
	// with returns base with change applied; an empty content removes a file.
	with := func(change map[string]string) map[string]string {
		files := map[string]string{}
		for k, v := range base {
			files[k] = v
		}
		for k, v := range change {
			if v == "" {
				delete(files, k)
			} else {
				files[k] = v
			}
		}
		return files
	}
	refInv, _ := build(t, base, inventory.Options{})
	ref := refInv.Tables["t"]
	tests := []struct {
		name       string
		change     map[string]string
		same       bool
		dmlChanged bool
	}{
		{"comments and whitespace", map[string]string{"facts/p/t/sql-scripts/dml.t.sql": "-- load t\ninsert   into t\n  select id from src /* keep */ where id > 1;"}, true, false},
		{"moved folder", map[string]string{"facts/p/t/sql-scripts/ddl.t.sql": "", "facts/p/t/sql-scripts/dml.t.sql": "",
			"facts/q/t2/sql-scripts/ddl.t.sql": ddl("t"), "facts/q/t2/sql-scripts/dml.t.sql": base["facts/p/t/sql-scripts/dml.t.sql"]}, true, false},
		{"changed filter", map[string]string{"facts/p/t/sql-scripts/dml.t.sql": "INSERT INTO t SELECT id FROM src WHERE id > 2"}, false, true},
		{"changed DDL", map[string]string{"facts/p/t/sql-scripts/ddl.t.sql": "CREATE TABLE IF NOT EXISTS t (id BIGINT);"}, false, false},
		{"added statement property", map[string]string{"facts/p/t/sql-scripts/dml.t.properties": "sql.state-ttl=1 d\n"}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, _ := build(t, with(tt.change), inventory.Options{})
			got := inv.Tables["t"]
			if (got.Fingerprint == ref.Fingerprint) != tt.same {
				t.Errorf("fingerprint same = %v, want %v", got.Fingerprint == ref.Fingerprint, tt.same)
			}
			if (got.DMLFingerprint != ref.DMLFingerprint) != tt.dmlChanged {
				t.Errorf("DML fingerprint changed = %v, want %v", got.DMLFingerprint != ref.DMLFingerprint, tt.dmlChanged)
			}
		})
	}
}

func TestDefinitionExists(t *testing.T) {
	files := map[string]string{
		"facts/p1/fct_a/sql-scripts/ddl.fct_a.sql":         ddl("fct_a"),
		"facts/p1/fct_a/" + inventory.DefinitionFile:       "{}",
		"facts/p1/fct_b/sql-scripts/ddl.fct_b.sql":         ddl("fct_b"),
		"facts/p1/fct_b/tests/" + inventory.DefinitionFile: "{}", // not beside sql-scripts
		"facts/p1/fct_c/a_readme.md":                       "a file before the definition",
		"facts/p1/fct_c/" + inventory.DefinitionFile:       "{}",
		"facts/p1/fct_c/sql-scripts/ddl.fct_c.sql":         ddl("fct_c"),
		"facts/p1/fct_c/tests/notes.txt":                   "a folder after sql-scripts",
	}
	inv, _ := build(t, files, inventory.Options{})
	for table, want := range map[string]bool{"fct_a": true, "fct_b": false, "fct_c": true} {
		if got := inv.Tables[table].DefinitionExists; got != want {
			t.Errorf("%s: DefinitionExists %t, want %t", table, got, want)
		}
	}
}
