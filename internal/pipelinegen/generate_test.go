package pipelinegen_test

import (
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/shiftleft/shiftleft/internal/pipelinegen"
)

// readTree returns every file under root by slash-separated relative path.
func readTree(t *testing.T, root string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		files[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func generate(t *testing.T, opts pipelinegen.Options) (*pipelinegen.Tree, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "pipelines")
	tree, err := pipelinegen.Generate(dir, opts)
	if err != nil {
		t.Fatalf("Generate(%+v): %v", opts, err)
	}
	return tree, dir
}

func TestGenerateDeterministic(t *testing.T) {
	tests := []struct {
		name string
		a, b pipelinegen.Options
		same bool
	}{
		{"same seed", pipelinegen.Options{Tables: 200, Seed: 1}, pipelinegen.Options{Tables: 200, Seed: 1}, true},
		{"same seed and products", pipelinegen.Options{Tables: 100, Seed: 9, Products: 4}, pipelinegen.Options{Tables: 100, Seed: 9, Products: 4}, true},
		{"different seed", pipelinegen.Options{Tables: 200, Seed: 1}, pipelinegen.Options{Tables: 200, Seed: 2}, false},
		{"different products", pipelinegen.Options{Tables: 100, Seed: 9, Products: 4}, pipelinegen.Options{Tables: 100, Seed: 9, Products: 5}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			treeA, dirA := generate(t, tt.a)
			treeB, dirB := generate(t, tt.b)
			filesA, filesB := readTree(t, dirA), readTree(t, dirB)
			if got := maps.Equal(filesA, filesB); got != tt.same {
				t.Errorf("files equal = %v, want %v", got, tt.same)
			}
			if got := reflect.DeepEqual(treeA, treeB); got != tt.same {
				t.Errorf("truths equal = %v, want %v", got, tt.same)
			}
		})
	}
}

func TestGenerateMatchesPlan(t *testing.T) {
	tests := []pipelinegen.Options{
		{Tables: 1, Seed: 5},
		{Tables: 37, Seed: 6, Products: 3},
		{Tables: 400, Seed: 7},
	}
	for _, opts := range tests {
		t.Run(fmt.Sprintf("%+v", opts), func(t *testing.T) {
			generated, dir := generate(t, opts)
			planned, err := pipelinegen.Plan(opts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(generated, planned) {
				t.Errorf("%+v: Generate and Plan disagree on the truth", opts)
			}
			// The tree holds exactly the two scripts of every table.
			var want []string
			for _, tb := range generated.Tables {
				want = append(want, tb.Folder+"/sql-scripts/ddl."+tb.Name+".sql", tb.Folder+"/sql-scripts/dml."+tb.Name+".sql")
			}
			slices.Sort(want)
			if got := slices.Sorted(maps.Keys(readTree(t, dir))); !slices.Equal(got, want) {
				t.Errorf("%+v: files on disk do not match the truth:\n got %d files\nwant %d files", opts, len(got), len(want))
			}
		})
	}
}

func TestGenerateRoot(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string) // prepares dir before Generate
		wantErr bool
	}{
		{"absent", func(*testing.T, string) {}, false},
		{"empty", func(t *testing.T, dir string) { mustDo(t, os.Mkdir(dir, 0o755)) }, false},
		{"holds a file", func(t *testing.T, dir string) {
			mustDo(t, os.Mkdir(dir, 0o755))
			mustDo(t, os.WriteFile(filepath.Join(dir, "README.md"), nil, 0o644))
		}, true},
		{"holds a folder", func(t *testing.T, dir string) { mustDo(t, os.MkdirAll(filepath.Join(dir, "sources"), 0o755)) }, true},
		{"is a file", func(t *testing.T, dir string) { mustDo(t, os.WriteFile(dir, nil, 0o644)) }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "pipelines")
			tt.setup(t, dir)
			_, err := pipelinegen.Generate(dir, pipelinegen.Options{Tables: 5})
			if (err != nil) != tt.wantErr {
				t.Fatalf("Generate = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
