package confluent

import (
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TestMetricsAndTrace: every attempt of a call is counted by status, and the
// context's trace hears of each 429 with its Retry-After and of each other
// answer, retries included.
func TestMetricsAndTrace(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"name":"s1","spec":{"statement":"SELECT 1"},"status":{"phase":"RUNNING"}}`))
	}))
	defer srv.Close()
	m := NewMetrics()
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	c, err := New(WithFlinkURL(srv.URL), WithOrganization("00000000-0000-4000-8000-000000000000"), WithEnvironment("env-1"),
		WithRetry(RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}), WithMetrics(m))
	if err != nil {
		t.Fatal(err)
	}
	var throttled []time.Duration
	var answered []int
	ctx := WithTrace(context.Background(), &Trace{
		Throttled: func(d time.Duration) { throttled = append(throttled, d) },
		Answered:  func(status int) { answered = append(answered, status) },
	})
	if _, err := c.GetStatement(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	if len(throttled) != 1 || throttled[0] != 2*time.Second || len(answered) != 1 || answered[0] != http.StatusOK {
		t.Errorf("trace heard 429s %v and answers %v, want one 429 of 2s and one 200", throttled, answered)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			got[f.GetName()+" "+m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
		}
	}
	if want := map[string]float64{"shiftleft_confluent_api_calls_total 200": 1, "shiftleft_confluent_api_calls_total 429": 1}; !maps.Equal(got, want) {
		t.Errorf("metrics %v, want %v", got, want)
	}
	if _, err := New(WithMetrics(nil)); err == nil {
		t.Error("WithMetrics(nil) accepted")
	}
}
