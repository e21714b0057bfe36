package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/internal/corpus"
)

// The metadata committed under examples/ is what the build produces, so the
// README's first command changes nothing in a clean checkout.
func TestExamplesMetadataIsUpToDate(t *testing.T) {
	src := filepath.Join("..", "..", "examples", "pipelines")
	committed := snapshot(t, src)
	dir := filepath.Join(t.TempDir(), "pipelines")
	corpus.CopyTree(t, src, dir)
	for name := range committed {
		if strings.HasSuffix(name, ".json") && name != "seeds/external_tables.json" {
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	mustRun(t, "table", "build-inventory", dir)
	mustRun(t, "pipeline", "build-all-metadata", dir)
	rebuilt := snapshot(t, dir)
	for name, want := range committed {
		if rebuilt[name] != want {
			t.Errorf("examples/pipelines/%s is stale: run make run and commit it", name)
		}
	}
	for name := range rebuilt {
		if _, ok := committed[name]; !ok {
			t.Errorf("examples/pipelines/%s is not committed: run make run and commit it", name)
		}
	}
}
