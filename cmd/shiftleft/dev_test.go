package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/internal/pipelinegen"
	"github.com/shiftleft/shiftleft/inventory"
)

// A generated tree's metadata, built by the CLI, has exactly the generator's
// graph: the end-to-end check of SQL analysis on SQL nobody hand-picked.
func TestGeneratedTreeMetadataMatchesTruth(t *testing.T) {
	for _, seed := range []string{"1", "42"} {
		t.Run("seed="+seed, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "pipelines")
			r := mustRun(t, "dev", "gen-pipelines", "--tables", "400", "--seed", seed, dir)
			if !strings.Contains(r.stdout, "400 tables") {
				t.Errorf("stdout: %s", r.stdout)
			}
			mustRun(t, "pipeline", "build-all-metadata", dir)
			s, err := strconv.ParseUint(seed, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			truth, err := pipelinegen.Plan(pipelinegen.Options{Tables: 400, Seed: s})
			if err != nil {
				t.Fatal(err)
			}
			for _, tb := range truth.Tables {
				def, err := inventory.ReadDefinition(filepath.Join(dir, filepath.FromSlash(tb.Folder), inventory.DefinitionFile))
				if err != nil {
					t.Fatal(err)
				}
				var parents []string
				for _, p := range def.Parents {
					parents = append(parents, p.TableName)
				}
				if !reflect.DeepEqual(parents, nilIfEmpty(tb.Parents)) {
					t.Errorf("%s: parents %v, want %v", tb.Name, parents, tb.Parents)
				}
				wantState := inventory.Stateless
				if tb.Stateful {
					wantState = inventory.Stateful
				}
				if def.TableName != tb.Name || def.Type != tb.Type || def.ProductName != tb.Product || def.Complexity.StateForm != wantState {
					t.Errorf("%s: got %s %s %s %s, want %s %s %s", tb.Folder, def.TableName, def.Type, def.ProductName,
						def.Complexity.StateForm, tb.Name, tb.Type, tb.Product)
				}
			}
		})
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func TestGenPipelinesUsage(t *testing.T) {
	dir := t.TempDir()
	if r := shiftleft(t, nil, "dev", "gen-pipelines", dir); r.code != exitUsage || !strings.Contains(r.stderr, "--tables") {
		t.Errorf("no --tables: exit %d, %s", r.code, r.stderr)
	}
	if err := os.WriteFile(filepath.Join(dir, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := shiftleft(t, nil, "dev", "gen-pipelines", "--tables", "3", dir); r.code != exitError {
		t.Errorf("non-empty folder: exit %d, %s", r.code, r.stderr)
	}
}

func TestReportToFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pipelines")
	writeTree(t, dir, goodTree)
	out := filepath.Join(t.TempDir(), "sink.mmd")
	r := mustRun(t, "pipeline", "report", "p_mv_sink", dir, "--mermaid", "--output-file-name", out)
	if !strings.Contains(r.stdout, "written to "+out) {
		t.Errorf("stdout: %s", r.stdout)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "flowchart LR\n") || !strings.Contains(string(data), "mid") {
		t.Errorf("report file:\n%s", data)
	}
}
