package main

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// goodTree is a small valid pipeline: src -> mid -> sink.
var goodTree = map[string]string{
	"sources/p/src/sql-scripts/ddl.src.sql":           "CREATE TABLE IF NOT EXISTS src (id STRING);",
	"sources/p/src/sql-scripts/dml.src.sql":           "INSERT INTO src SELECT id FROM raw_topic;",
	"intermediates/p/mid/sql-scripts/ddl.mid.sql":     "CREATE TABLE IF NOT EXISTS mid (id STRING);",
	"intermediates/p/mid/sql-scripts/dml.mid.sql":     "INSERT INTO mid SELECT id FROM src;",
	"facts/p/sink/sql-scripts/ddl.p_fct_sink.sql":     "CREATE TABLE IF NOT EXISTS p_fct_sink (id STRING, n BIGINT);",
	"facts/p/sink/sql-scripts/dml.p_fct_sink.sql":     "INSERT INTO p_fct_sink SELECT id, COUNT(*) FROM mid GROUP BY id;",
	"views/p/sink_view/sql-scripts/ddl.p_mv_sink.sql": "CREATE TABLE IF NOT EXISTS p_mv_sink (id STRING);",
	"views/p/sink_view/sql-scripts/dml.p_mv_sink.sql": "INSERT INTO p_mv_sink SELECT id FROM p_fct_sink;",
}

func TestBadInputGetsAClearErrorAndNothingIsWritten(t *testing.T) {
	tests := []struct {
		name      string
		change    map[string]string // files to add or overwrite; "" removes
		symlink   [2]string         // optional dangling symlink: name, target
		graphOnly bool              // build-inventory still succeeds
		want      []string          // every string must be in stderr
	}{
		{
			name:   "empty DML",
			change: map[string]string{"intermediates/p/mid/sql-scripts/dml.mid.sql": "  -- nothing yet\n"},
			want:   []string{"pipelines/intermediates/p/mid/sql-scripts/dml.mid.sql", "no SQL statement"},
		},
		{
			name:   "DML with no INSERT",
			change: map[string]string{"intermediates/p/mid/sql-scripts/dml.mid.sql": "SELECT id FROM src;"},
			want:   []string{"pipelines/intermediates/p/mid/sql-scripts/dml.mid.sql", "no INSERT INTO statement"},
		},
		{
			name: "two folders create the same table",
			change: map[string]string{
				"intermediates/q/mid_copy/sql-scripts/ddl.mid.sql": "CREATE TABLE mid (id STRING);",
				"intermediates/q/mid_copy/sql-scripts/dml.mid.sql": "INSERT INTO mid SELECT id FROM src;",
			},
			want: []string{"table mid", "pipelines/intermediates/p/mid", "pipelines/intermediates/q/mid_copy", "defined twice"},
		},
		{
			name: "dependency cycle",
			change: map[string]string{
				"sources/p/src/sql-scripts/dml.src.sql": "INSERT INTO src SELECT id FROM raw_topic UNION ALL SELECT id FROM p_fct_sink;",
			},
			graphOnly: true,
			want:      []string{"dependency cycle", "mid -> p_fct_sink -> src -> mid", "pipelines/sources/p/src/sql-scripts/dml.src.sql"},
		},
		{
			name:   "non-UTF-8 file",
			change: map[string]string{"facts/p/sink/sql-scripts/dml.p_fct_sink.sql": "INSERT INTO p_fct_sink\nSELECT 'caf\xe9' FROM mid;"},
			want:   []string{"pipelines/facts/p/sink/sql-scripts/dml.p_fct_sink.sql", "not valid UTF-8 (line 2)"},
		},
		{
			name:    "unreadable file",
			change:  map[string]string{"facts/p/sink/sql-scripts/dml.p_fct_sink.sql": ""},
			symlink: [2]string{"facts/p/sink/sql-scripts/dml.p_fct_sink.sql", "/nonexistent/dml.sql"},
			want:    []string{"pipelines/facts/p/sink/sql-scripts/dml.p_fct_sink.sql", "no such file or directory"},
		},
		{
			name:   "unterminated string",
			change: map[string]string{"intermediates/p/mid/sql-scripts/dml.mid.sql": "INSERT INTO mid\nSELECT 'oops FROM src;"},
			want:   []string{"pipelines/intermediates/p/mid/sql-scripts/dml.mid.sql", "line 2, column 8", "unterminated string"},
		},
		{
			name:   "DDL and DML name different tables",
			change: map[string]string{"intermediates/p/mid/sql-scripts/ddl.mid.sql": "CREATE TABLE middle (id STRING);"},
			want:   []string{"pipelines/intermediates/p/mid/sql-scripts/ddl.mid.sql", "(table mid)", "creates middle but dml.mid.sql writes mid"},
		},
		{
			name:   "no DDL",
			change: map[string]string{"intermediates/p/mid/sql-scripts/ddl.mid.sql": ""},
			want:   []string{"pipelines/intermediates/p/mid/sql-scripts", "no ddl.*.sql file"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "pipelines")
			writeTree(t, dir, goodTree)
			mustRun(t, "table", "build-inventory", dir)
			mustRun(t, "pipeline", "build-all-metadata", dir)
			before := snapshot(t, dir)

			for name, content := range tt.change {
				p := filepath.Join(dir, filepath.FromSlash(name))
				if content == "" {
					if err := os.Remove(p); err != nil {
						t.Fatal(err)
					}
					continue
				}
				writeTree(t, dir, map[string]string{name: content})
			}
			if tt.symlink[0] != "" {
				if err := os.Symlink(tt.symlink[1], filepath.Join(dir, filepath.FromSlash(tt.symlink[0]))); err != nil {
					t.Fatal(err)
				}
			}
			changed := snapshot(t, dir)

			for _, cmd := range [][]string{
				{"table", "build-inventory", dir},
				{"pipeline", "build-all-metadata", dir},
				{"pipeline", "report", "p_mv_sink", dir},
			} {
				r := shiftleft(t, nil, cmd...)
				if tt.graphOnly && cmd[1] == "build-inventory" {
					// A cycle is a problem of the graph: the inventory itself is fine.
					if r.code != exitOK {
						t.Errorf("%v: exit %d, want 0: %s", cmd, r.code, r.stderr)
					}
					continue
				}
				if r.code != exitError {
					t.Fatalf("%v: exit %d, want %d\nstderr: %s", cmd, r.code, exitError, r.stderr)
				}
				for _, w := range tt.want {
					if !strings.Contains(r.stderr, w) {
						t.Errorf("%v: stderr does not name %q:\n%s", cmd, w, r.stderr)
					}
				}
			}
			after := snapshot(t, dir)
			for name := range before {
				if strings.HasSuffix(name, ".json") && after[name] != before[name] {
					t.Errorf("%s was changed by a failed build", name)
				}
			}
			for name := range after {
				if _, ok := changed[name]; !ok {
					t.Errorf("failed build left %s behind", name)
				}
			}
		})
	}
}

func TestBuildMetadataWritesTheTableAndItsAncestors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pipelines")
	writeTree(t, dir, goodTree)
	r := mustRun(t, "pipeline", "build-metadata", filepath.Join(dir, "facts/p/sink/sql-scripts/dml.p_fct_sink.sql"), dir)
	if !strings.Contains(r.stdout, "p_fct_sink: 3 pipeline definitions written") {
		t.Errorf("stdout: %s", r.stdout)
	}
	var written []string
	for name := range snapshot(t, dir) {
		if strings.HasSuffix(name, "pipeline_definition.json") {
			written = append(written, name)
		}
	}
	want := []string{
		"facts/p/sink/pipeline_definition.json",
		"intermediates/p/mid/pipeline_definition.json",
		"sources/p/src/pipeline_definition.json",
	}
	if !reflect.DeepEqual(slices.Sorted(slices.Values(written)), want) {
		t.Errorf("wrote %v, want %v", slices.Sorted(slices.Values(written)), want)
	}
	if _, err := os.Stat(filepath.Join(dir, "inventory.json")); err != nil {
		t.Errorf("inventory.json not written: %v", err)
	}
	mid := readJSON(t, filepath.Join(dir, "intermediates/p/mid/pipeline_definition.json"))
	if got := keys(entries(mid["children"])); !reflect.DeepEqual(got, []string{"p_fct_sink"}) {
		t.Errorf("mid children = %v", got)
	}

	r = shiftleft(t, nil, "pipeline", "build-metadata", filepath.Join(dir, "facts/p/sink/sql-scripts/missing.sql"), dir)
	if r.code != exitError || !strings.Contains(r.stderr, "missing.sql") {
		t.Errorf("missing file: exit %d, stderr %s", r.code, r.stderr)
	}
}

func TestDeleteAllMetadata(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pipelines")
	writeTree(t, dir, goodTree)
	mustRun(t, "pipeline", "build-all-metadata", dir)
	r := mustRun(t, "pipeline", "delete-all-metadata", dir)
	if !strings.Contains(r.stdout, "Total number of files deleted: 4") {
		t.Errorf("stdout: %s", r.stdout)
	}
	for name := range snapshot(t, dir) {
		if strings.HasSuffix(name, "pipeline_definition.json") {
			t.Errorf("%s not deleted", name)
		}
	}
}

func TestPipelinesFromEnvironment(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pipelines")
	writeTree(t, dir, goodTree)
	r := shiftleft(t, map[string]string{"PIPELINES": dir}, "pipeline", "report", "P_FCT_SINK")
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.HasPrefix(r.stdout, "p_fct_sink (fact, p, Stateful)") {
		t.Errorf("report:\n%s", r.stdout)
	}
}
