package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestSecretNotLogged sends deliveries of every kind, signed right and
// wrong, and looks for the secret and every signature sent in the logs.
func TestSecretNotLogged(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	cfg := testConfig()
	cfg.Logger = zap.New(core)
	pub := &recorder{}
	h := newHandler(t, cfg, pub)
	body := pushBody(testRepo, "refs/heads/main", shaHead)

	var sent []string
	for i, sig := range []string{
		sign(testSecret, body),      // queued
		sign(testSecret, body),      // duplicate
		sign("guess", body),         // 401
		"sha256=" + testSecret,      // 401, the secret itself as signature
		"sha256=zz" + testSecret,    // 401, not hex, quoted by go-github's error
		sign(testSecret, body)[:20], // 401
		sign(testSecret, body),      // 503
	} {
		if i == 6 {
			pub.err = errors.New("nats: connection closed")
		}
		r := delivery("push", "d-1", body)
		r.Header.Set("X-Hub-Signature-256", sig)
		sent = append(sent, sig)
		serve(t, h, r)
	}
	r := delivery("push", "d-2", []byte(`{`))
	sent = append(sent, r.Header.Get("X-Hub-Signature-256"))
	serve(t, h, r) // 400

	if got := logs.Len(); got != 8 {
		t.Errorf("%d log lines, want one per delivery (8)", got)
	}
	for _, e := range logs.All() {
		line := e.Message + " " + fmt.Sprint(e.ContextMap())
		if strings.Contains(line, testSecret) {
			t.Errorf("secret logged: %s", line)
		}
		for _, sig := range sent {
			if strings.Contains(line, strings.TrimPrefix(sig, "sha256=")) {
				t.Errorf("signature %s logged: %s", sig, line)
			}
		}
	}
	queued := logs.FilterMessage("webhook queued").All()
	if len(queued) != 1 || queued[0].ContextMap()["job_id"] != "job-1" || queued[0].ContextMap()["delivery"] != "d-1" {
		t.Errorf("queued line: %+v", queued)
	}
	if failed := logs.FilterMessage("webhook unavailable").All(); len(failed) != 1 || failed[0].ContextMap()["error"] != "nats: connection closed" {
		t.Errorf("publish failure line: %+v", failed)
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	cfg := testConfig()
	cfg.Registry = reg
	h := newHandler(t, cfg, &recorder{})
	push := pushBody(testRepo, "refs/heads/main", shaHead)
	serve(t, h, delivery("push", "d-1", push))
	serve(t, h, delivery("push", "d-1", push))
	serve(t, h, delivery("issues", "d-2", []byte(`{}`)))
	serve(t, h, delivery("star", "d-3", []byte(`{}`)))
	bad := delivery("push", "d-4", push)
	bad.Header.Del("X-Hub-Signature-256")
	serve(t, h, bad)

	m := NewMetrics(reg)
	m.Jobs.WithLabelValues("deploy", "succeeded").Inc()
	m.JobDuration.WithLabelValues("deploy").Observe(42)
	if again := NewMetrics(reg); again.Jobs != m.Jobs || again.Confluent != m.Confluent {
		t.Error("NewMetrics on the same registry made new collectors")
	}
	RegisterQueueDepth(reg, func(context.Context) (int, error) { return 5, nil })

	// Confluent calls through the counting transport: statements created
	// are 2xx answers to a POST on a statements collection.
	flink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Throttle") != "" {
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	defer flink.Close()
	hc := &http.Client{Transport: m.Transport(http.DefaultTransport)}
	stmts := flink.URL + "/sql/v1/organizations/o/environments/e/statements"
	for _, call := range []struct{ method, url, throttle string }{
		{http.MethodPost, stmts, ""}, {http.MethodPost, stmts, ""}, {http.MethodPost, stmts, ""},
		{http.MethodPost, stmts, "yes"}, {http.MethodGet, stmts + "/s1", ""}, {http.MethodPost, "http://127.0.0.1:1/statements", ""},
	} {
		req, _ := http.NewRequest(call.method, call.url, nil)
		req.Header.Set("X-Throttle", call.throttle)
		if res, err := hc.Do(req); err == nil {
			res.Body.Close()
		}
	}

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body, _ := io.ReadAll(w.Body)
	if w.Code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", w.Code, body)
	}
	for _, want := range []string{
		`shiftleft_webhooks_total{event="push",outcome="queued"} 1`,
		`shiftleft_webhooks_total{event="push",outcome="duplicate"} 1`,
		`shiftleft_webhooks_total{event="other",outcome="ignored"} 2`,
		`shiftleft_webhooks_total{event="push",outcome="unauthorized"} 1`,
		`shiftleft_jobs_total{kind="deploy",result="succeeded"} 1`,
		`shiftleft_job_duration_seconds_count{kind="deploy"} 1`,
		`shiftleft_statements_deployed_total 3`,
		`shiftleft_queue_depth 5`,
	} {
		if !strings.Contains(string(body), want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
