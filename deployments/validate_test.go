package deployments_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/confluent/emulator"
	"github.com/shiftleft/shiftleft/deployments"
	"github.com/shiftleft/shiftleft/internal/openapitest"
	"github.com/shiftleft/shiftleft/inventory"
	"github.com/shiftleft/shiftleft/pipeline"
	"github.com/shiftleft/shiftleft/planner"
)

// validTree is a source table and a fact that reads it, both new.
var validTree = map[string]string{
	"sources/p/src_orders/sql-scripts/ddl.src_orders.sql": "CREATE TABLE src_orders (id STRING, amount INT)",
	"sources/p/src_orders/sql-scripts/dml.src_orders.sql": "INSERT INTO src_orders SELECT id, amount FROM raw",
	"facts/p/fct_orders/sql-scripts/ddl.fct_orders.sql":   "CREATE TABLE fct_orders (id STRING, total INT)",
	"facts/p/fct_orders/sql-scripts/dml.fct_orders.sql": "SET 'sql.state-ttl' = '1 d';\n\n" +
		"INSERT INTO fct_orders\nSELECT id, SUM(amount) AS total\nFROM src_orders\nGROUP BY id;",
}

const factDML = "pipelines/facts/p/fct_orders/sql-scripts/dml.fct_orders.sql"

func treeOf(t *testing.T, files map[string]string, edits map[string]string) (fstest.MapFS, *pipeline.Graph) {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, sql := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(sql)}
	}
	for name, sql := range edits {
		fsys[name] = &fstest.MapFile{Data: []byte(sql)}
	}
	inv, _, err := inventory.Build(fsys, inventory.Options{Root: "pipelines"})
	if err != nil {
		t.Fatal(err)
	}
	g, err := pipeline.New(inv)
	if err != nil {
		t.Fatal(err)
	}
	return fsys, g
}

// TestValidate: the new and changed statements of a tree are dry-run in
// dependency order against the emulator; Flink's errors come with the file
// and line; nothing is created; an unknown table is reported as such.
func TestValidate(t *testing.T) {
	newTables := []planner.Change{{Table: "src_orders", New: true}, {Table: "fct_orders", New: true}}
	tests := []struct {
		name    string
		edits   map[string]string
		changes []planner.Change
		// want are "table kind file:line" of the checks, with the error
		// part wanted after " => " for the invalid ones.
		want    []string
		unknown []string
		// existing are tables the target has already.
		existing []string
	}{
		{name: "valid", changes: newTables, want: []string{
			"src_orders ddl pipelines/sources/p/src_orders/sql-scripts/ddl.src_orders.sql:1",
			"src_orders dml pipelines/sources/p/src_orders/sql-scripts/dml.src_orders.sql:1",
			"fct_orders ddl pipelines/facts/p/fct_orders/sql-scripts/ddl.fct_orders.sql:1",
			"fct_orders dml " + factDML + ":3",
		}},
		{name: "misspelt column", changes: newTables,
			edits: map[string]string{strings.TrimPrefix(factDML, "pipelines/"): "SET 'sql.state-ttl' = '1 d';\n\n" +
				"INSERT INTO fct_orders\nSELECT id, SUM(amont) AS total\nFROM src_orders\nGROUP BY id;"},
			want: []string{
				"src_orders ddl pipelines/sources/p/src_orders/sql-scripts/ddl.src_orders.sql:1",
				"src_orders dml pipelines/sources/p/src_orders/sql-scripts/dml.src_orders.sql:1",
				"fct_orders ddl pipelines/facts/p/fct_orders/sql-scripts/ddl.fct_orders.sql:1",
				"fct_orders dml " + factDML + ":4 => Column 'amont' not found in any table",
			}},
		{name: "misspelt table", changes: newTables[1:], existing: []string{"src_orders"},
			edits: map[string]string{strings.TrimPrefix(factDML, "pipelines/"): "INSERT INTO fct_orders SELECT id, SUM(amount) FROM src_ordres GROUP BY id"},
			want: []string{
				"fct_orders ddl pipelines/facts/p/fct_orders/sql-scripts/ddl.fct_orders.sql:1",
				"fct_orders dml " + factDML + ":1 => Table (or view) 'src_ordres' does not exist",
			}, unknown: []string{"src_ordres read by [fct_orders]"}},
		{name: "changed dml of a table that exists", changes: []planner.Change{{Table: "src_orders", DML: true}}, existing: []string{"src_orders"},
			edits: map[string]string{"sources/p/src_orders/sql-scripts/dml.src_orders.sql": "INSERT INTO src_orders SELECT id, NO_SUCH(amount) FROM raw"},
			want: []string{"src_orders dml pipelines/sources/p/src_orders/sql-scripts/dml.src_orders.sql:1 => " +
				"No match found for function signature NO_SUCH"}},
		{name: "changed ddl replaces its table", changes: []planner.Change{{Table: "src_orders", DDL: true}}, existing: []string{"src_orders"},
			edits: map[string]string{
				"sources/p/src_orders/sql-scripts/ddl.src_orders.sql": "CREATE TABLE src_orders (id STRING, amount INT, note STRING)",
				"sources/p/src_orders/sql-scripts/dml.src_orders.sql": "INSERT INTO src_orders SELECT id, amount, 'x' AS note FROM raw"},
			want: []string{
				"src_orders ddl pipelines/sources/p/src_orders/sql-scripts/ddl.src_orders.sql:1",
				"src_orders dml pipelines/sources/p/src_orders/sql-scripts/dml.src_orders.sql:1",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, openapitest.New(t, openapitest.ConfluentSpecs(t)...))
			if err := r.Emulator.AddTables(env, tt.existing...); err != nil {
				t.Fatal(err)
			}
			fsys, g := treeOf(t, validTree, tt.edits)
			v, err := deployments.Validate(ctxFor(t), r.Client, deployments.ValidateRequest{Tree: fsys, Graph: g, Changes: tt.changes, Naming: naming})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range v.Checks {
				line := c.Table + " " + c.Kind + " " + c.Location()
				if !c.Valid() {
					line += " => " + c.Error
				}
				got = append(got, line)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("checks:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			for i := range got {
				want, wantErr, invalid := strings.Cut(tt.want[i], " => ")
				gotAt, gotErr, gotInvalid := strings.Cut(got[i], " => ")
				if gotAt != want || gotInvalid != invalid || !strings.Contains(gotErr, wantErr) {
					t.Errorf("check %d: %s\nwant %s", i, got[i], tt.want[i])
				}
			}
			var unknown []string
			for _, u := range v.Unknown {
				unknown = append(unknown, fmt.Sprintf("%s read by %v", u.Table, u.ReadBy))
			}
			if !slices.Equal(unknown, tt.unknown) {
				t.Errorf("unknown tables %v, want %v", unknown, tt.unknown)
			}
			if want := len(tt.unknown); v.Invalid() < want {
				t.Errorf("Invalid() = %d, want at least %d", v.Invalid(), want)
			}
			// Dry runs create nothing.
			list, err := r.Client.ListStatements(ctxFor(t), confluent.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 0 {
				t.Errorf("the validation left %d statements", len(list))
			}
			if creates := r.Emulator.Counters().Creates; len(creates) != 0 {
				t.Errorf("the validation created %v", creates)
			}
		})
	}
}

// TestValidateRetries: dry runs meet 429s and 503s like any request, and
// the validation still answers what Flink says.
func TestValidateRetries(t *testing.T) {
	r := newRig(t, nil)
	if err := r.Emulator.SetFaults(emulator.Faults{ErrorRate: 0.4}); err != nil {
		t.Fatal(err)
	}
	fsys, g := treeOf(t, validTree, nil)
	v, err := deployments.Validate(ctxFor(t), r.Client, deployments.ValidateRequest{Tree: fsys, Graph: g,
		Changes: []planner.Change{{Table: "src_orders", New: true}, {Table: "fct_orders", New: true}}, Naming: naming})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Checks) != 4 || v.Invalid() != 0 {
		t.Errorf("checks %+v, want 4 valid", v.Checks)
	}
	if n := r.Emulator.Counters().Requests["POST /sql/v1/organizations/{org}/environments/{env}/statements"]; n < 4 {
		t.Errorf("%d statement requests counted, want at least 4", n)
	}
}

// noSessions is a target that checks each dry run against its catalog as
// it is, as Confluent Cloud does: the session label is dropped on the way.
type noSessions struct{ *confluent.Client }

func (c noSessions) ValidateStatement(ctx context.Context, r confluent.StatementRequest) error {
	r.Labels = nil
	return c.Client.ValidateStatement(ctx, r)
}

// TestValidateWithoutSessions: on a target that does not honour dry-run
// sessions, a statement rejected because it uses a table the change creates
// is reported as not checked, with Flink's answer; one rejected for any
// other reason is invalid.
func TestValidateWithoutSessions(t *testing.T) {
	r := newRig(t, nil)
	if err := r.Emulator.AddTables(env, "src_orders"); err != nil {
		t.Fatal(err)
	}
	fsys, g := treeOf(t, validTree, map[string]string{
		"sources/p/src_orders/sql-scripts/dml.src_orders.sql": "INSERT INTO src_orders SELECT id, NO_SUCH(amount) FROM raw",
	})
	v, err := deployments.Validate(ctxFor(t), noSessions{r.Client}, deployments.ValidateRequest{Tree: fsys, Graph: g, Naming: naming,
		Changes: []planner.Change{{Table: "src_orders", DML: true}, {Table: "fct_orders", New: true}}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range v.Checks {
		switch {
		case c.Unchecked != "":
			got = append(got, c.Table+" "+c.Kind+" unchecked: "+c.Unchecked)
		case c.Error != "":
			got = append(got, c.Table+" "+c.Kind+" invalid: "+c.Error)
		default:
			got = append(got, c.Table+" "+c.Kind+" valid")
		}
	}
	want := []string{
		"src_orders dml invalid: ",
		"fct_orders ddl valid",
		"fct_orders dml unchecked: uses fct_orders, which this change creates or replaces, and the target checks a dry run against its tables as they are; Flink said: Table (or view) 'fct_orders' does not exist",
	}
	if len(got) != len(want) {
		t.Fatalf("checks:\n%s", strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("check %d: %s\nwant %s...", i, got[i], want[i])
		}
	}
	if v.Invalid() != 1 {
		t.Errorf("Invalid() = %d, want 1", v.Invalid())
	}
}
