package main

import (
	"fmt"
	"io"
	"path/filepath"
	"testing"

	"github.com/shiftleft/shiftleft/internal/pipelinegen"
)

// BenchmarkBuildAll is build-inventory followed by build-all-metadata on a
// generated tree, in-process (make bench also times whole processes).
func BenchmarkBuildAll(b *testing.B) {
	for _, n := range []int{1_000, 10_000} {
		b.Run(fmt.Sprintf("tables=%d", n), func(b *testing.B) {
			dir := filepath.Join(b.TempDir(), "pipelines")
			if _, err := pipelinegen.Generate(dir, pipelinegen.Options{Tables: n, Seed: 1}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				for _, args := range [][]string{{"table", "build-inventory", dir}, {"pipeline", "build-all-metadata", dir}} {
					if code := run(args, nil, io.Discard, io.Discard, func(string) string { return "" }); code != exitOK {
						b.Fatalf("%v: exit %d", args, code)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(n), "µs/table")
		})
	}
}
