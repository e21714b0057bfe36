package main

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/internal/corpus"
)

// deliberateFixes lists where shiftleft is more correct than shift_left on the
// sample project, by table and field; docs/compatibility.md explains each.
var deliberateFixes = map[string]map[string]string{
	// DDL-only tables: shift_left writes "unknown-type" in the definition while
	// its own inventory says seed/view; shiftleft keeps the inventory's type.
	"sl_raw_transactions": {"type": "seed"},
	"No-Table":            {"type": "view"},
}

// TestConformanceShiftLeftCorpus rebuilds the metadata of shift_left's own
// sample project and compares it with what shift_left produced.
func TestConformanceShiftLeftCorpus(t *testing.T) {
	src := corpus.Dir(t, "corpus", "shift_left", "pipelines")
	expected := corpus.Dir(t, "corpus", "shift_left", "expected")
	dir := filepath.Join(t.TempDir(), "pipelines")
	corpus.CopyTree(t, src, dir)
	for rel := range snapshot(t, dir) {
		if strings.HasSuffix(rel, ".json") && (rel == "inventory.json" || strings.HasSuffix(rel, "/pipeline_definition.json")) {
			if err := os.Remove(filepath.Join(dir, rel)); err != nil {
				t.Fatal(err)
			}
		}
	}

	mustRun(t, "table", "build-inventory", dir)
	got, err := os.ReadFile(filepath.Join(dir, "inventory.json"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(src, "inventory.json"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("inventory.json differs from shift_left's:\n%s", firstDiff(string(got), string(want)))
	}

	r := mustRun(t, "pipeline", "build-all-metadata", dir)
	if !strings.Contains(r.stdout, "Total number of pipeline definitions created: 39") {
		t.Errorf("stdout: %s", r.stdout)
	}
	wantFiles, err := filepath.Glob(filepath.Join(expected, "pipelines", "*", "*", "*", "pipeline_definition.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(wantFiles) != 39 {
		t.Fatalf("expected 39 reference definitions, found %d", len(wantFiles))
	}
	fixed := map[string]bool{}
	for _, wf := range wantFiles {
		rel, _ := filepath.Rel(filepath.Join(expected, "pipelines"), wf)
		t.Run(filepath.ToSlash(filepath.Dir(rel)), func(t *testing.T) {
			want := readJSON(t, wf)
			got := readJSON(t, filepath.Join(dir, rel))
			table, _ := want["table_name"].(string)
			for field, ours := range deliberateFixes[table] {
				if got[field] != ours {
					t.Errorf("%s: %s = %v, want shiftleft's deliberate %q", table, field, got[field], ours)
				}
				if want[field] == ours {
					t.Errorf("%s: %s is listed as a deliberate fix but shift_left agrees", table, field)
				}
				want[field] = ours
				fixed[table] = true
			}
			compareDefinition(t, got, want)
		})
	}
	for table := range deliberateFixes {
		if !fixed[table] {
			t.Errorf("deliberate fix for %s was not exercised", table)
		}
	}
}

// compareDefinition compares two pipeline_definition.json documents: every
// field equal, parents and children as sets of entries (shift_left's order
// comes from Python set iteration), each entry compared without its own
// nested lists (shift_left fills those according to processing order).
func compareDefinition(t *testing.T, got, want map[string]any) {
	t.Helper()
	for k, w := range want {
		if k == "parents" || k == "children" {
			continue
		}
		if !reflect.DeepEqual(got[k], w) {
			t.Errorf("%s = %v, want %v", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("keys %v, want %v", keys(got), keys(want))
	}
	for _, list := range []string{"parents", "children"} {
		g, w := entries(got[list]), entries(want[list])
		if !reflect.DeepEqual(keys(g), keys(w)) {
			t.Errorf("%s = %v, want %v", list, keys(g), keys(w))
			continue
		}
		for name, we := range w {
			if !reflect.DeepEqual(g[name], we) {
				t.Errorf("%s entry %s = %v, want %v", list, name, g[name], we)
			}
		}
	}
}

func entries(v any) map[string]map[string]any {
	out := map[string]map[string]any{}
	list, _ := v.([]any)
	for _, e := range list {
		m := e.(map[string]any)
		flat := map[string]any{}
		for k, v := range m {
			if k != "parents" && k != "children" {
				flat[k] = v
			}
		}
		out[m["table_name"].(string)] = flat
	}
	return out
}

func keys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func readJSON(t *testing.T, file string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return m
}

// firstDiff shows the first differing line of two texts.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + strconv.Itoa(i+1) + ":\n got: " + gl + "\nwant: " + wl
		}
	}
	return "(no line differs)"
}
