package confluent_test

import (
	"fmt"
	"testing"

	"github.com/shiftleft/shiftleft/confluent"
)

// BenchmarkClientAgainstEmulator measures statement gets and creates per
// second, client and emulator talking HTTP over loopback.
func BenchmarkClientAgainstEmulator(b *testing.B) {
	b.Run("get", func(b *testing.B) {
		r := newRig(b, nil)
		ctx := ctxFor(b)
		_, err := r.Client.CreateStatement(ctx, confluent.StatementRequest{Name: "dml-bench", SQL: "SET 'a' = 'b'"})
		must(b, err)
		b.ResetTimer()
		for b.Loop() {
			if _, err := r.Client.GetStatement(ctx, "dml-bench"); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "gets/s")
	})
	b.Run("create", func(b *testing.B) {
		r := newRig(b, nil)
		ctx := ctxFor(b)
		i := 0
		b.ResetTimer()
		for b.Loop() {
			i++
			if _, err := r.Client.CreateStatement(ctx, confluent.StatementRequest{Name: fmt.Sprintf("ddl-t%d", i),
				SQL: fmt.Sprintf("CREATE TABLE t%d (id STRING)", i)}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
	})
}
