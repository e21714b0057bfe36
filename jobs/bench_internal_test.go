package jobs

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

// payloadSize is a job with its plan and results, as a worker stores it.
const payloadSize = 7 << 10

// benchPlan is a plan that makes a job of payloadSize bytes of JSON.
func benchPlan(b *testing.B) []PlannedAction {
	job := testJob("d-0")
	for i := 0; ; i++ {
		data, err := json.Marshal(job)
		if err != nil {
			b.Fatal(err)
		}
		if len(data) >= payloadSize {
			return job.Plan
		}
		job.Plan = append(job.Plan, PlannedAction{
			Table:  fmt.Sprintf("int_sales_orders_%03d", i),
			Action: "restart-dml",
			Reason: "DML changed; stateless, so only the DML restarts",
		})
	}
}

// BenchmarkPublish: durable enqueues per second through Publish (delivery
// index, message stored by JetStream, job record), jobs of 7 KB.
func BenchmarkPublish(b *testing.B) {
	q, _ := newTestQueue(b)
	ctx := testCtx(b)
	plan := benchPlan(b)
	i := 0
	for b.Loop() {
		i++
		job := testJob(fmt.Sprintf("d-%d", i))
		job.Plan = plan
		if err := q.Publish(ctx, job); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkRawPublish: the floor Publish is compared to, one JetStream
// publish of 7 KB with a message id per operation.
func BenchmarkRawPublish(b *testing.B) {
	q, _ := newTestQueue(b)
	ctx := testCtx(b)
	data := []byte(strings.Repeat("x", payloadSize))
	i := 0
	for b.Loop() {
		i++
		if _, err := q.js.Publish(ctx, q.subject(KindDeploy), data, jetstream.WithMsgID(fmt.Sprintf("d-%d", i))); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
