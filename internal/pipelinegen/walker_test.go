package pipelinegen

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/flinksql"
)

// TestWalkerAgrees parses every generated script with the project's SQL
// walker and compares what it finds with the truth, and the DML's own
// statefulness with its planned shape (the truth alone cannot tell a stateful
// DML from an upsert DDL). A failure is a generator bug or a walker bug; the
// message quotes the SQL so the two can be told apart.
func TestWalkerAgrees(t *testing.T) {
	tests := []Options{
		{Tables: 300, Seed: 1},
		{Tables: 300, Seed: 2, Products: 7},
		{Tables: 300, Seed: 3, Products: 1},
	}
	var seen [numShapes]bool
	for _, opts := range tests {
		t.Run(fmt.Sprintf("%+v", opts), func(t *testing.T) {
			dir := t.TempDir()
			tree, err := Generate(dir, opts)
			if err != nil {
				t.Fatal(err)
			}
			p, err := newPlan(opts)
			if err != nil {
				t.Fatal(err)
			}
			shapes := make(map[string]shape, len(p.nodes))
			for _, n := range p.nodes {
				shapes[n.name] = n.shape
				seen[n.shape] = true
			}
			for _, tb := range tree.Tables {
				scripts := filepath.Join(dir, filepath.FromSlash(tb.Folder), "sql-scripts")
				ddl := parseScript(t, filepath.Join(scripts, "ddl."+tb.Name+".sql"))
				dml := parseScript(t, filepath.Join(scripts, "dml."+tb.Name+".sql"))
				if ddl == nil || dml == nil {
					continue
				}
				var problems []string
				if created, ok := ddl.script.Created(); !ok || created.Table.Table() != tb.Name {
					problems = append(problems, "DDL: created table is not "+tb.Name)
				}
				if got := tableNames(dml.script.Writes()); !slices.Equal(got, []string{tb.Name}) {
					problems = append(problems, "DML: writes "+strings.Join(got, ", ")+", want "+tb.Name)
				}
				if got := tableNames(dml.script.Reads()); !slices.Equal(got, tb.Parents) {
					problems = append(problems, "DML: reads ["+strings.Join(got, ", ")+"], want ["+strings.Join(tb.Parents, ", ")+"]")
				}
				mode := ddl.script.ChangelogMode()
				if mode != "upsert" && mode != "append" {
					problems = append(problems, "DDL: changelog.mode "+mode+", want upsert or append")
				}
				if got := len(dml.script.Stateful()) > 0 || mode == "upsert"; got != tb.Stateful {
					problems = append(problems, fmt.Sprintf("stateful = %v from DML and changelog.mode %s, truth says %v",
						got, mode, tb.Stateful))
				}
				if got, want := len(dml.script.Stateful()) > 0, !statelessShape[shapes[tb.Name]]; got != want {
					problems = append(problems, fmt.Sprintf("DML: walker stateful = %v (%s), want %v",
						got, strings.Join(dml.script.Stateful(), "; "), want))
				}
				if len(problems) > 0 {
					t.Errorf("%+v: table %s (%s):\n  %s\n--- %s\n%s--- %s\n%s",
						opts, tb.Name, tb.Type, strings.Join(problems, "\n  "), ddl.path, ddl.sql, dml.path, dml.sql)
				}
			}
		})
	}
	for sh, ok := range seen {
		if !ok {
			t.Errorf("shape %d never generated: the cross-check does not cover it", sh)
		}
	}
}

type parsed struct {
	path, sql string
	script    *flinksql.Script
}

func parseScript(t *testing.T, path string) *parsed {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := flinksql.Parse(string(data))
	if err != nil {
		t.Errorf("flinksql.Parse(%s): %v\n%s", path, err, data)
		return nil
	}
	return &parsed{path: path, sql: string(data), script: s}
}

// tableNames returns the sorted table parts of names.
func tableNames(names []flinksql.Name) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, n.Table())
	}
	slices.Sort(out)
	return out
}
