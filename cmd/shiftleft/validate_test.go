package main

import (
	"context"
	"encoding/json"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/config"
	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/confluent/emulator"
	"github.com/shiftleft/shiftleft/deployments"
)

// TestPipelineValidate: `pipeline validate` dry-runs the statements of a
// tree against an emulator over HTTP, exits 1 on an invalid one or an
// unknown table, and creates nothing, on an empty target as on one where
// the tables run.
func TestPipelineValidate(t *testing.T) {
	const sinkDML = "facts/p/sink/sql-scripts/dml.p_fct_sink.sql"
	tests := []struct {
		name     string
		change   map[string]string
		flags    []string
		deployed bool // the tree is deployed first
		wantCode int
		// wantOut are parts of stdout; wantChecks how many statements.
		wantOut    []string
		wantChecks int
	}{
		{name: "valid", wantCode: exitOK, wantChecks: 8, wantOut: []string{
			"Validated 8 statements against",
			"  valid    src ddl pipelines/sources/p/src/sql-scripts/ddl.src.sql:1",
			"  valid    p_mv_sink dml pipelines/views/p/sink_view/sql-scripts/dml.p_mv_sink.sql:1",
		}},
		{name: "valid where the tables run", deployed: true, wantCode: exitOK, wantChecks: 8},
		{name: "one table", flags: []string{"--table-name", "mid"}, deployed: true, wantCode: exitOK, wantChecks: 2,
			wantOut: []string{"  valid    mid ddl", "  valid    mid dml"}},
		{name: "a misspelt column", change: map[string]string{sinkDML: "INSERT INTO p_fct_sink\nSELECT id, COUNT(*)\nFROM mid\nGROUP BY idd;"},
			wantCode: exitError, wantChecks: 8, wantOut: []string{
				"  INVALID  p_fct_sink dml pipelines/" + sinkDML + ":4: SQL validation failed. From line 4, column 10 to line 4, column 12: Column 'idd' not found in any table",
				"  valid    p_mv_sink dml",
			}},
		{name: "an unknown function", flags: []string{"--table-name", "p_fct_sink"}, deployed: true,
			change:   map[string]string{sinkDML: "INSERT INTO p_fct_sink SELECT id, COUNTT(*) FROM mid GROUP BY id;"},
			wantCode: exitError, wantChecks: 2, wantOut: []string{"No match found for function signature COUNTT"}},
		{name: "FORM", change: map[string]string{sinkDML: "INSERT INTO p_fct_sink SELECT id, COUNT(*) FORM mid GROUP BY id;"},
			wantCode: exitError, wantOut: []string{"FORM"}},
		{name: "a misspelt table", change: map[string]string{sinkDML: "INSERT INTO p_fct_sink SELECT id, COUNT(*) FROM mdi GROUP BY id;"},
			wantCode: exitError, wantChecks: 8, wantOut: []string{
				"  UNKNOWN  table mdi, read by p_fct_sink: defined neither in the pipelines nor on the target",
				"  INVALID  p_fct_sink dml pipelines/" + sinkDML + ":1: Table (or view) 'mdi' does not exist",
			}},
		{name: "a declared topic", change: map[string]string{"sources/p/src/sql-scripts/dml.src.sql": "INSERT INTO src SELECT id FROM more_topic;"},
			flags: []string{"--table-name", "src", "--external-tables", "more_topic"}, wantCode: exitOK, wantChecks: 2},
		{name: "a topic of the manifest", change: map[string]string{
			"sources/p/src/sql-scripts/dml.src.sql": "INSERT INTO src SELECT id FROM seed_topic;",
			"seeds/external_tables.json":            `{"tables": [{"table_name": "seed_topic", "kafka_topic": "seed_topic"}]}`,
		}, flags: []string{"--table-name", "src"}, wantCode: exitOK, wantChecks: 2},
		{name: "json", flags: []string{"--json", "--table-name", "src"}, wantCode: exitOK, wantChecks: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := newTarget(t, emulator.Seed(1))
			dir := filepath.Join(t.TempDir(), "pipelines")
			writeTree(t, dir, goodTree)
			if tt.deployed {
				tg.mustDeploy(t, dir, "--table-name", "p_mv_sink")
			}
			writeTree(t, dir, tt.change)
			creates := maps.Clone(tg.creates())
			before, err := tg.client.ListStatements(context.Background(), confluent.ListOptions{})
			must(t, err)
			r := shiftleft(t, nil, append([]string{"pipeline", "validate", dir, "--emulator", tg.url}, tt.flags...)...)
			if r.code != tt.wantCode {
				t.Errorf("exit %d, want %d\n%s%s", r.code, tt.wantCode, r.stdout, r.stderr)
			}
			out := r.stdout + r.stderr
			for _, want := range tt.wantOut {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			if slices.Contains(tt.flags, "--json") {
				var v deployments.Validation
				if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
					t.Fatalf("--json output: %v\n%s", err, r.stdout)
				}
				if len(v.Checks) != tt.wantChecks {
					t.Errorf("%d checks in the JSON, want %d", len(v.Checks), tt.wantChecks)
				}
			} else if tt.wantChecks > 0 {
				if got := strings.Count(r.stdout, "\n  valid ") + strings.Count(r.stdout, "\n  INVALID "); got != tt.wantChecks {
					t.Errorf("%d statements reported, want %d:\n%s", got, tt.wantChecks, r.stdout)
				}
			}
			// Dry runs create nothing.
			if after := tg.creates(); !maps.Equal(after, creates) {
				t.Errorf("validate created statements: %v, before %v", after, creates)
			}
			after, err := tg.client.ListStatements(context.Background(), confluent.ListOptions{})
			must(t, err)
			if len(after) != len(before) {
				t.Errorf("%d statements after validate, %d before", len(after), len(before))
			}
			for _, table := range []string{"mdi", "src", "p_fct_sink"} {
				if !tt.deployed && tg.emu.Topic(config.EmulatorEnvironment, table).Exists {
					t.Errorf("validate made table %s", table)
				}
			}
		})
	}
}

// TestPipelineValidateFlags: the flags as parsed, without a target.
func TestPipelineValidateFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want validateOptions
	}{
		{"defaults", []string{"p"}, validateOptions{args: []string{"p"}}},
		{"all", []string{"p", "--table-name", "t", "--emulator", "http://e", "--config", "c.yaml", "--json", "--external-tables", "a,b"},
			validateOptions{args: []string{"p"}, tableName: "t", emulator: "http://e", config: "c.yaml", json: true, externalTables: []string{"a", "b"}}},
		{"no folder", nil, validateOptions{args: []string{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got validateOptions
			cmd := newCmdValidate(&app{}, func(_ context.Context, o validateOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			must(t, cmd.Execute())
			if got.tableName != tt.want.tableName || got.emulator != tt.want.emulator || got.config != tt.want.config ||
				got.json != tt.want.json || strings.Join(got.externalTables, ",") != strings.Join(tt.want.externalTables, ",") ||
				strings.Join(got.args, ",") != strings.Join(tt.want.args, ",") {
				t.Errorf("options %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestValidateExamples: every statement of examples/pipelines validates
// against the emulator the README starts (catalog_products declared on its
// command line, the raw topics in the tree's seeds/external_tables.json).
func TestValidateExamples(t *testing.T) {
	tg := newTarget(t, emulator.ExternalTables([]string{"catalog_products"}))
	src := filepath.Join("..", "..", "examples", "pipelines")
	r := shiftleft(t, nil, "pipeline", "validate", src, "--emulator", tg.url)
	if r.code != exitOK || strings.Contains(r.stdout, "INVALID") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n := strings.Count(r.stdout, "\n  valid "); n < 13 {
		t.Errorf("%d statements validated, want the DDL and DML of 13 tables:\n%s", n, r.stdout)
	}
}
