// Package emulatortest starts the Confluent Cloud emulator on a loopback
// HTTP server for tests and wires a real client to it, so that every package
// tests against the same rig.
package emulatortest

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/shiftleft/shiftleft/config"
	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/confluent/emulator"
	"github.com/shiftleft/shiftleft/internal/openapitest"
)

// The rig's target: the same organization and environment as the CLI's
// --emulator flag, so a test can mix the client and the command line.
// Organization ids are UUIDs, as Confluent's specs require.
const (
	Organization = config.EmulatorOrganization
	Environment  = config.EmulatorEnvironment
	FlinkKey     = "FLINKKEY12345678"
	FlinkSecret  = "flink-secret-0123456789abcdef"
	CloudKey     = "CLOUDKEY12345678"
	CloudSecret  = "cloud-secret-0123456789abcdef"
)

// Rig is a client wired to a fresh emulator.
type Rig struct {
	Client   *confluent.Client
	Emulator *emulator.Emulator
	URL      string
	// HTTP is the client's transport, for raw requests that the same
	// validator checks.
	HTTP *http.Client
}

// Start runs an emulator with opts until the test ends. With a validator,
// every exchange goes through it and is checked against the specs when the
// test ends. The client retries and polls in milliseconds, so that injected
// faults cost the test little time.
func Start(t testing.TB, v *openapitest.Validator, opts ...emulator.Option) *Rig {
	t.Helper()
	emu, err := emulator.New(opts...)
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
		confluent.WithOrganization(Organization),
		confluent.WithEnvironment(Environment),
		confluent.WithFlinkAPIKey(FlinkKey, FlinkSecret),
		confluent.WithCloudAPIKey(CloudKey, CloudSecret),
		confluent.WithRetry(confluent.RetryPolicy{MaxAttempts: 12, BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond}),
		confluent.WithPollInterval(time.Millisecond, 20*time.Millisecond),
	)
	if err != nil {
		t.Fatal(err)
	}
	return &Rig{Client: client, Emulator: emu, URL: srv.URL, HTTP: hc}
}
