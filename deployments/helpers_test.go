package deployments_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/confluent/emulator"
	"github.com/shiftleft/shiftleft/internal/openapitest"
)

// Organization ids are UUIDs, as the specs require.
const (
	org = "3f1c2a9e-7b4d-4e8a-9c61-2d5e8f0a4b17"
	env = "env-deploy1"
	// source is the Kafka topic every test pipeline starts from.
	source = "raw"
)

// rig is a client wired to a fresh emulator over HTTP, as
// confluent/emulator_test.go's newRig.
type rig struct {
	client *confluent.Client
	emu    *emulator.Emulator
}

// newRig starts an emulator; with a validator, every exchange goes through
// it and is checked against Confluent's specs when the test ends.
func newRig(t testing.TB, v *openapitest.Validator, opts ...emulator.Option) *rig {
	t.Helper()
	emu, err := emulator.New(append([]emulator.Option{emulator.Seed(1), emulator.ExternalTables([]string{source})}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(func() {
		srv.Close()
		_ = emu.Close()
	})
	hc := &http.Client{}
	if v != nil {
		hc.Transport = v.RoundTripper(nil)
		t.Cleanup(func() { v.Check(t) })
	}
	client, err := confluent.New(
		confluent.WithHTTPClient(hc),
		confluent.WithFlinkURL(srv.URL),
		confluent.WithCloudURL(srv.URL),
		confluent.WithOrganization(org),
		confluent.WithEnvironment(env),
		confluent.WithFlinkAPIKey("FLINKKEY12345678", "flink-secret-0123456789abcdef"),
		confluent.WithCloudAPIKey("CLOUDKEY12345678", "cloud-secret-0123456789abcdef"),
		confluent.WithRetry(confluent.RetryPolicy{MaxAttempts: 12, BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond}),
		confluent.WithPollInterval(time.Millisecond, 20*time.Millisecond),
	)
	if err != nil {
		t.Fatal(err)
	}
	return &rig{client: client, emu: emu}
}

func ctxFor(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// fingerprint is a hex SHA-256, as the inventory's.
func fingerprint(sql string) string {
	sum := sha256.Sum256([]byte(sql))
	return hex.EncodeToString(sum[:])
}
