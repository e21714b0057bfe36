package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/shiftleft/shiftleft/config"
)

// TestServiceSettings: the config file's service section, and flags given
// on the command line over it (a boolean given as false too).
func TestServiceSettings(t *testing.T) {
	file := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(file, []byte("service:\n  workers: 4\n  ack_wait: 1m\n  prune: true\n  deploy_branch: release\n  job_retention: 168h\n  replicas: 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		args        []string
		workers     int
		prune       bool
		branch      string
		ackWait     time.Duration
		maxParallel int
		retention   time.Duration
		replicas    int
	}{
		{"the file", nil, 4, true, "release", time.Minute, 8, 7 * 24 * time.Hour, 3},
		{"flags over the file", []string{"--workers", "3", "--prune=false", "--deploy-branch", "main", "--max-parallel", "2", "--job-retention", "48h", "--replicas", "1"},
			3, false, "main", time.Minute, 2, 48 * time.Hour, 1},
		{"a flag left out keeps the file's value", []string{"--ack-wait", "30s"}, 4, true, "release", 30 * time.Second, 8, 7 * 24 * time.Hour, 3},
		{"the default given as a flag", []string{"--replicas", "0"}, 4, true, "release", time.Minute, 8, 7 * 24 * time.Hour, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := serveSettings(t, file, tt.args).Service
			if s.Workers != tt.workers || s.Prune != tt.prune || s.DeployBranch != tt.branch || s.AckWait != tt.ackWait || s.MaxParallel != tt.maxParallel ||
				s.JobRetention != tt.retention || s.Replicas != tt.replicas {
				t.Errorf("workers %d prune %t branch %q ack wait %v max parallel %d retention %v replicas %d, want %d %t %q %v %d %v %d",
					s.Workers, s.Prune, s.DeployBranch, s.AckWait, s.MaxParallel, s.JobRetention, s.Replicas,
					tt.workers, tt.prune, tt.branch, tt.ackWait, tt.maxParallel, tt.retention, tt.replicas)
			}
		})
	}
}

// TestServiceCommandsRefuseToStartHalfConfigured: what a process cannot do
// without is a usage error before anything starts.
func TestServiceCommandsRefuseToStartHalfConfigured(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--data-dir", t.TempDir()}, "SL_WEBHOOK_SECRET is not set"},
		{[]string{"webhook", "--data-dir", t.TempDir()}, "SL_WEBHOOK_SECRET is not set"},
		{[]string{"worker", "--data-dir", t.TempDir()}, "shiftleft worker needs --nats-url"},
	}
	for _, tt := range tests {
		t.Run(tt.args[0], func(t *testing.T) {
			r := shiftleft(t, nil, tt.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", r.code, r.stderr, exitUsage, tt.want)
			}
		})
	}
}

// TestServiceRefusesConfigMistakes: a typo under service: or a value that
// does not parse stops the command before anything starts, naming the key.
func TestServiceRefusesConfigMistakes(t *testing.T) {
	file := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(file, []byte("service:\n  workers: 2\n  deploy_brnach: release\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"a typo under service", map[string]string{"SL_WEBHOOK_SECRET": "s"}, []string{"serve", "--config", file},
			"line 3: service.deploy_brnach: unknown key; did you mean deploy_branch?"},
		{"an unparsable SL_FLINK_MAX_CFU", map[string]string{"SL_WEBHOOK_SECRET": "s", "SL_FLINK_MAX_CFU": "abc"},
			// An address that cannot be listened on: were the variable taken,
			// the command would fail there rather than serve on.
			[]string{"serve", "--data-dir", t.TempDir(), "--addr", "256.0.0.1:0", "--nats-listen", "none"}, `SL_FLINK_MAX_CFU: "abc" is not a whole number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := shiftleft(t, tt.env, tt.args...)
			if r.code != exitError || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", r.code, r.stderr, exitError, tt.want)
			}
		})
	}
}

// TestServiceRefusesFlagMistakes: a negative count or duration, or more
// requests in flight than connections, stops the command before anything
// starts.
func TestServiceRefusesFlagMistakes(t *testing.T) {
	env := map[string]string{"SL_WEBHOOK_SECRET": "s"}
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--workers", "-1"}, exitUsage, "--workers: -1 is negative"},
		{[]string{"--ack-wait", "-5s"}, exitUsage, "--ack-wait: -5s is negative"},
		{[]string{"--max-connections", "-3"}, exitUsage, "--max-connections: -3 is negative"},
		{[]string{"--max-connections", "100", "--max-in-flight", "100"}, exitError,
			"--max-in-flight 100: each HTTP server needs more connections than that, and has 100 (--max-connections)"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			dataDir := filepath.Join(t.TempDir(), "data")
			r := shiftleft(t, env, append([]string{"serve", "--data-dir", dataDir, "--addr", "127.0.0.1:0", "--emulator-addr", "127.0.0.1:0",
				"--nats-listen", "none", "--allow-repo", "acme/flink"}, tt.args...)...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", r.code, r.stderr, tt.code, tt.want)
			}
			if _, err := os.Stat(filepath.Join(dataDir, "nats", "jetstream")); !os.IsNotExist(err) {
				t.Errorf("the NATS store was opened: %v", err)
			}
		})
	}
}

// TestExternalTablesSettings: kafka.external_tables of the file, and
// --external-tables added to it.
func TestExternalTablesSettings(t *testing.T) {
	file := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(file, []byte("kafka:\n  external_tables: [raw_orders]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"the file", nil, "raw_orders"},
		{"the flag adds", []string{"--external-tables", " raw_clicks ,raw_fx"}, "raw_orders,raw_clicks,raw_fx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(serveSettings(t, file, tt.args).Kafka.ExternalTables, ","); got != tt.want {
				t.Errorf("external tables %q, want %q", got, tt.want)
			}
		})
	}
}

// serveSettings are the settings of `serve --config file args...`.
func serveSettings(t *testing.T, file string, args []string) *config.Config {
	t.Helper()
	var f serviceFlags
	cmd := &cobra.Command{Use: "serve"}
	f.register(cmd, true, true)
	if err := cmd.ParseFlags(append([]string{"--config", file}, args...)); err != nil {
		t.Fatal(err)
	}
	cfg, err := (&app{getenv: func(string) string { return "" }}).settings(f)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
