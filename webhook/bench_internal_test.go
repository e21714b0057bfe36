package webhook

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/shiftleft/shiftleft/jobs"
)

// noop is a Publisher that queues nothing, so the benchmark measures the
// handler alone.
type noop struct{}

func (noop) Publish(context.Context, *jobs.Job) (string, bool, error) { return "job", false, nil }

// pushOf7KB is a push to main whose commits bring it to about 7 KB, the
// size of GitHub's example push payloads.
func pushOf7KB() []byte {
	var commits []map[string]any
	for i := 0; ; i++ {
		body := mustJSON(map[string]any{
			"ref": "refs/heads/main", "before": shaBase, "after": shaHead,
			"repository": repository(testRepo), "commits": commits,
		})
		if len(body) >= 7<<10 {
			return body
		}
		commits = append(commits, map[string]any{
			"id":        fmt.Sprintf("%040x", i),
			"message":   "facts: add the customer orders fact and its DML",
			"timestamp": "2026-11-02T10:15:00+01:00",
			"author":    map[string]any{"name": "Data Engineer", "email": "de@example.com", "username": "de"},
			"added":     []string{"pipelines/facts/sales/fct_orders/sql-scripts/dml.fct_orders.sql"},
			"modified":  []string{"pipelines/facts/sales/fct_orders/sql-scripts/ddl.fct_orders.sql"},
			"removed":   []string{},
		})
	}
}

// BenchmarkPush sends signed 7 KB pushes to the deploy branch through the
// handler, from every core.
func BenchmarkPush(b *testing.B) {
	body := pushOf7KB()
	sig := sign(testSecret, body)
	h := newHandler(b, testConfig(), noop{})
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, request("push", "d-1", body, sig))
			if w.Code != http.StatusAccepted {
				b.Errorf("answer %d: %s", w.Code, w.Body)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
