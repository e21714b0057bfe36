package pipelinegen_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/shiftleft/shiftleft/internal/pipelinegen"
)

func BenchmarkGenerate10k(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "pipelines")
	opts := pipelinegen.Options{Tables: 10000, Seed: 1}
	for b.Loop() {
		if _, err := pipelinegen.Generate(dir, opts); err != nil {
			b.Fatal(err)
		}
		// Generate wants an empty folder, and 10k-table trees add up on disk.
		b.StopTimer()
		if err := os.RemoveAll(dir); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
