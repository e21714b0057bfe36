package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shiftleft/shiftleft/config"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadAndTarget(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "config.yaml")
	yamlText := `
kafka:
  cluster_type: stage
confluent_cloud:
  environment_id: env-file
  organization_id: 11111111-2222-4333-8444-555555555555
  region: us-east-2
  cloud_region: us-east-2
  cloud_provider: AWS
flink:
  compute_pool_id: lfcp-file
  catalog_name: my-env
  database_name: my-cluster
  api_key: FILEKEY
  api_secret: file-secret-value
app:
  accepted_common_products: [common]
`
	if err := os.WriteFile(file, []byte(yamlText), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		path     string
		explicit bool
		env      map[string]string
		emulator string
		want     config.Target
		wantErr  error
		errHas   []string
	}{
		{name: "file", path: file, want: config.Target{FlinkURL: "https://flink.us-east-2.aws.confluent.cloud", CloudURL: "https://api.confluent.cloud",
			OrganizationID: "11111111-2222-4333-8444-555555555555", EnvironmentID: "env-file", FlinkKey: "FILEKEY", FlinkSecret: "file-secret-value",
			CloudKey: "FILEKEY", CloudSecret: "file-secret-value"}},
		{name: "environment wins over the file", path: file, env: map[string]string{"SL_FLINK_ENV_ID": "env-env", "SL_FLINK_API_KEY": "ENVKEY",
			"SL_FLINK_API_SECRET": "env-secret", "SL_CONFLUENT_CLOUD_API_KEY": "CLOUD", "SL_CONFLUENT_CLOUD_API_SECRET": "cloud-secret"},
			want: config.Target{FlinkURL: "https://flink.us-east-2.aws.confluent.cloud", CloudURL: "https://api.confluent.cloud",
				OrganizationID: "11111111-2222-4333-8444-555555555555", EnvironmentID: "env-env", FlinkKey: "ENVKEY", FlinkSecret: "env-secret",
				CloudKey: "CLOUD", CloudSecret: "cloud-secret"}},
		{name: "emulator needs nothing else", emulator: "http://127.0.0.1:8081/", want: config.Target{FlinkURL: "http://127.0.0.1:8081",
			CloudURL: "http://127.0.0.1:8081", OrganizationID: config.EmulatorOrganization, EnvironmentID: config.EmulatorEnvironment,
			FlinkKey: "emulator", FlinkSecret: "emulator", CloudKey: "emulator", CloudSecret: "emulator", Emulator: true}},
		{name: "nothing configured", path: filepath.Join(dir, "absent.yaml"), wantErr: config.ErrNoTarget,
			errHas: []string{"SL_CLOUD_ORGANIZATION_ID", "SL_FLINK_API_KEY", "--emulator", "shiftleft emulator"}},
		{name: "a key without its secret", path: filepath.Join(dir, "absent.yaml"), env: map[string]string{"SL_CLOUD_ORGANIZATION_ID": "o",
			"SL_FLINK_ENV_ID": "e", "SL_FLINK_URL": "https://flink.example", "SL_FLINK_API_KEY": "KEY"},
			wantErr: config.ErrIncompleteTarget, errHas: []string{"SL_FLINK_API_SECRET"}},
		{name: "explicit file that does not exist", path: filepath.Join(dir, "absent.yaml"), explicit: true, wantErr: os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load(tt.path, tt.explicit, env(tt.env))
			if err == nil {
				c.Emulator = tt.emulator
				var target config.Target
				target, err = c.Target()
				if err == nil && target != tt.want {
					t.Errorf("target %+v\nwant   %+v", target, tt.want)
				}
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			for _, s := range tt.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

func TestDefaultsAndSecretsStayOutOfTheDescription(t *testing.T) {
	c, err := config.Load("", false, env(map[string]string{"SL_FLINK_URL": "https://flink.example", "SL_CLOUD_ORGANIZATION_ID": "o",
		"SL_FLINK_ENV_ID": "e", "SL_FLINK_API_KEY": "KEY123", "SL_FLINK_API_SECRET": "topsecret"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Kafka.ClusterType != "dev" || c.ConfluentCloud.Region != "us-west-2" || c.Flink.MaxCFUPercentBeforeAllocation != 0.8 ||
		strings.Join(c.App.AcceptedCommonProducts, ",") != "common,seeds" {
		t.Errorf("defaults: %+v", c)
	}
	target, err := c.Target()
	if err != nil {
		t.Fatal(err)
	}
	if s := target.String(); strings.Contains(s, "topsecret") || strings.Contains(s, "KEY123") || !strings.Contains(s, "https://flink.example") {
		t.Errorf("description %q", s)
	}
}

func TestPoolStrategy(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       string // the strategy, or a part of the error
		wantErr    bool
	}{
		{"default", "", "per-product", false},
		{"per-table", "flink:\n  pool_strategy: per-table\n", "per-table", false},
		{"fixed with a pool", "flink:\n  pool_strategy: fixed\n  compute_pool_id: lfcp-1\n", "fixed", false},
		{"fixed without one", "flink:\n  pool_strategy: fixed\n", "fixed needs flink.compute_pool_id", true},
		{"a typo", "flink:\n  pool_strategy: per_product\n", `flink.pool_strategy: "per_product"`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadYAML(t, tt.yaml)
			switch {
			case tt.wantErr && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("err %v, want one saying %q", err, tt.want)
			case !tt.wantErr && (err != nil || c.Flink.PoolStrategy != tt.want || c.Flink.MaxComputePools != 50 || c.Flink.MaxStatements != 10_000):
				t.Errorf("%v %+v, want strategy %s and 50 pools", err, c, tt.want)
			}
		})
	}
}

func TestExternalTables(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       string // the tables, or a part of the error
		wantErr    bool
	}{
		{"none", "", "", false},
		{"a list", "kafka:\n  external_tables: [raw_orders, raw_clicks]\n", "raw_orders,raw_clicks", false},
		{"an empty name", "kafka:\n  external_tables: [raw_orders, \" \"]\n", "kafka.external_tables: a table name is empty", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadYAML(t, tt.yaml)
			switch {
			case tt.wantErr && (err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, config.ErrInvalid)):
				t.Errorf("err %v, want one saying %q", err, tt.want)
			case !tt.wantErr && (err != nil || strings.Join(c.Kafka.ExternalTables, ",") != tt.want):
				t.Errorf("%v %v, want %s", err, c, tt.want)
			}
		})
	}
}

// TestDeployWaits: the pending timeout and the settle window, from the
// file, the environment or the defaults; 0 disables the settle window.
func TestDeployWaits(t *testing.T) {
	tests := []struct {
		name, yaml           string
		env                  map[string]string
		wantPending, wantSet time.Duration
		wantErr              string
	}{
		{"defaults", "", nil, 10 * time.Minute, 30 * time.Second, ""},
		{"from the file", "service:\n  pending_timeout: 2m\n  settle: 0s\n", nil, 2 * time.Minute, 0, ""},
		{"the environment wins", "service:\n  settle: 1m\n", map[string]string{"SL_SETTLE": "5s", "SL_PENDING_TIMEOUT": "90s"}, 90 * time.Second, 5 * time.Second, ""},
		{"negative settle", "service:\n  settle: -1s\n", nil, 0, 0, "service.settle"},
		{"not a duration", "service:\n  pending_timeout: soon\n", nil, 0, 0, "pending_timeout"},
		{"bad variable", "", map[string]string{"SL_SETTLE": "soon"}, 0, 0, "SL_SETTLE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "config.yaml")
			if err := os.WriteFile(file, []byte(tt.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			c, err := config.Load(file, true, func(k string) string { return tt.env[k] })
			switch {
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err %v, want one naming %s", err, tt.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case c.Service.PendingTimeout != tt.wantPending || c.Service.Settle == nil || *c.Service.Settle != tt.wantSet:
				t.Errorf("pending timeout %s, settle %v; want %s, %s", c.Service.PendingTimeout, c.Service.Settle, tt.wantPending, tt.wantSet)
			}
		})
	}
}

// loadYAML loads a config file holding yaml, without environment.
func loadYAML(t *testing.T, yaml string) (*config.Config, error) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return config.Load(file, true, func(string) string { return "" })
}
