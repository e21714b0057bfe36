// Package config reads shiftleft's configuration: a YAML file with
// shift_left's config.yaml sections (kafka, confluent_cloud, flink, app) and
// the SL_* environment variables shift_left reads, which win over the file.
// Secrets come from the environment or the file; Target's String, the only
// description meant for logs, leaves them out.
package config

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// ErrNoTarget: neither Confluent Cloud nor an emulator is configured.
var ErrNoTarget = errors.New("no deployment target configured")

// ErrIncompleteTarget: Confluent Cloud is configured in part (an
// organization, environment, endpoint or key is set, not all that is
// needed). The service then refuses to start rather than deploy to its
// in-process emulator and report success.
var ErrIncompleteTarget = errors.New("incomplete Confluent Cloud target")

// Defaults of a deploy's waits: how long a statement may stay PENDING,
// and how long the statements deployed are watched afterwards.
const (
	DefaultPendingTimeout = 10 * time.Minute
	DefaultSettle         = 30 * time.Second
)

// EmulatorOrganization and EmulatorEnvironment are the ids used against an
// emulator when nothing else is configured.
const (
	EmulatorOrganization = "00000000-0000-4000-8000-000000000000"
	EmulatorEnvironment  = "env-local"
)

// Config mirrors shift_left's config.yaml sections that shiftleft reads.
type Config struct {
	Kafka struct {
		ClusterType string `yaml:"cluster_type"`
		// ExternalTables are Kafka topics outside the pipelines that
		// their SQL reads as tables, beside those of the trees'
		// seeds/external_tables.json: an emulator target is told they
		// exist; a table the SQL reads that nothing declares is reported.
		ExternalTables []string `yaml:"external_tables"`
	} `yaml:"kafka"`
	ConfluentCloud struct {
		EnvironmentID    string `yaml:"environment_id"`
		OrganizationID   string `yaml:"organization_id"`
		Region           string `yaml:"region"`
		CloudRegion      string `yaml:"cloud_region"`
		CloudProvider    string `yaml:"cloud_provider"`
		ServiceAccountID string `yaml:"service_account_id"`
		BaseAPI          string `yaml:"base_api"`
		APIKey           string `yaml:"api_key"`
		APISecret        string `yaml:"api_secret"`
	} `yaml:"confluent_cloud"`
	Flink struct {
		URL                           string  `yaml:"flink_url"`
		ComputePoolID                 string  `yaml:"compute_pool_id"`
		CatalogName                   string  `yaml:"catalog_name"`
		DatabaseName                  string  `yaml:"database_name"`
		MaxCFU                        int     `yaml:"max_cfu"`
		MaxCFUPercentBeforeAllocation float64 `yaml:"max_cfu_percent_before_allocation"`
		// PoolStrategy is how statements find compute pools: per-product
		// (the default: a product's tables share its pools, made as they
		// fill), per-table (shift_left's: a pool each) or fixed
		// (compute_pool_id, always).
		PoolStrategy string `yaml:"pool_strategy"`
		// MaxComputePools is the environment's quota of pools (default 50,
		// Confluent's).
		MaxComputePools int `yaml:"max_compute_pools"`
		// MaxStatements is the environment's quota of live statements
		// (default 10,000, a Confluent Cloud region's usual one).
		MaxStatements int    `yaml:"max_statements"`
		APIKey        string `yaml:"api_key"`
		APISecret     string `yaml:"api_secret"`
	} `yaml:"flink"`
	App struct {
		AcceptedCommonProducts []string `yaml:"accepted_common_products"`
	} `yaml:"app"`
	Service Service `yaml:"service"`
	Deploy  Deploy  `yaml:"deploy"`
	// Emulator, when set, is the URL of a shiftleft emulator to deploy to
	// instead of Confluent Cloud (--emulator).
	Emulator string `yaml:"-"`
}

// Deploy is the `deploy` section: how a deploy changes the tables that run
// other SQL, for the CLI and the service alike. Command-line flags override
// it; a table's .properties (strategy:, allow_drop:) win over it.
type Deploy struct {
	// Strategy is version (the default), in-place or recreate.
	Strategy string `yaml:"strategy"`
	// AllowDrop lets a deploy drop any table's topic (a recreate).
	AllowDrop bool `yaml:"allow_drop"`
	// KeepStopped is how many stopped DML statements a table keeps as
	// rollback points after a carry-over (default 1; a negative number
	// keeps none).
	KeepStopped int `yaml:"keep_stopped"`
}

// Service is the `service` section: how `shiftleft serve`, `webhook` and
// `worker` run. Command-line flags override it. Its secrets come from the
// environment only (SL_WEBHOOK_SECRET, SL_GITHUB_TOKEN, SL_OPS_TOKEN).
type Service struct {
	Addr          string            `yaml:"addr"`
	DataDir       string            `yaml:"data_dir"`
	NATSURL       string            `yaml:"nats_url"`
	NATSListen    string            `yaml:"nats_listen"`
	Workers       int               `yaml:"workers"`
	MaxParallel   int               `yaml:"max_parallel"`
	DeployBranch  string            `yaml:"deploy_branch"`
	AllowRepos    []string          `yaml:"allow_repos"`
	CloneURLs     map[string]string `yaml:"clone_urls"`
	PipelinesPath string            `yaml:"pipelines_path"`
	GitHubAPIURL  string            `yaml:"github_api_url"`
	EmulatorAddr  string            `yaml:"emulator_addr"`
	// MetricsAddr is where a worker process alone (shiftleft worker)
	// serves /healthz, /readyz and /metrics; "none" for no HTTP.
	MetricsAddr string `yaml:"metrics_addr"`
	// AckWait is how long a job's worker may be silent before the job is
	// redelivered to another (workers heartbeat while they deploy).
	AckWait time.Duration `yaml:"ack_wait"`
	// Prune drops the tables a push deletes from the repository; off (the
	// default), they are reported and keep running.
	Prune bool `yaml:"prune"`
	// JobRetention is how long a job record is kept after its last change
	// (default 30 days; 0 in the file means the default).
	JobRetention time.Duration `yaml:"job_retention"`
	// Replicas of the jobs stream and of every KV bucket, 1 to 5; 0 (the
	// default) means 3 on a cluster of 3 or more JetStream servers, else 1.
	Replicas int `yaml:"replicas"`
	// MaxConnections bounds the connections of each HTTP server of the
	// process (0: as many as the open-file limit allows, up to 4096);
	// MaxInFlight the requests each receives and handles at once (0: 256,
	// or half the connections).
	MaxConnections int `yaml:"max_connections"`
	MaxInFlight    int `yaml:"max_in_flight"`
	// ReconcileInterval spaces the reconciler's passes (default 3m; 0
	// turns it off): nil until the file or a flag sets it.
	ReconcileInterval *time.Duration `yaml:"reconcile_interval"`
	// SelfHeal redeploys the tables that drifted from the deployed commit;
	// HealLimit is how many times in an hour a table is healed before it
	// is left alone (default 3).
	SelfHeal  bool `yaml:"self_heal"`
	HealLimit int  `yaml:"heal_limit"`
	// PendingTimeout is how long a deploy lets a statement stay PENDING (a
	// full compute pool) before its step fails (default 10m;
	// SL_PENDING_TIMEOUT; deploy's --pending-timeout).
	PendingTimeout time.Duration `yaml:"pending_timeout"`
	// Settle is how long a deploy watches the statements it deployed once
	// its last step is done; one that turns FAILED or DEGRADED fails it
	// (default 30s, 0 watches nothing; SL_SETTLE; deploy's --settle).
	Settle *time.Duration `yaml:"settle"`

	WebhookSecret string `yaml:"-"`
	GitHubToken   string `yaml:"-"`
	OpsToken      string `yaml:"-"`
}

// Load reads the file (none when path is ""; a missing default file is
// fine) then applies the environment through getenv.
func Load(path string, explicit bool, getenv func(string) string) (*Config, error) {
	c := &Config{}
	if path != "" {
		data, err := os.ReadFile(path)
		switch {
		case err == nil:
			if err := c.decode(data); err != nil {
				return nil, fmt.Errorf("config %s: %w", path, err)
			}
		case !explicit && errors.Is(err, os.ErrNotExist):
		default:
			return nil, fmt.Errorf("config: %w", err)
		}
	}
	if err := c.applyEnv(getenv); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c.applyDefaults()
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

// check refuses values that cannot work together, naming the key.
func (c *Config) check() error {
	switch c.Flink.PoolStrategy {
	case "per-product", "per-table":
	case "fixed":
		if c.Flink.ComputePoolID == "" {
			return &KeyError{Key: "flink.pool_strategy", Problem: "fixed needs flink.compute_pool_id (or SL_FLINK_COMPUTE_POOL_ID)"}
		}
	default:
		return &KeyError{Key: "flink.pool_strategy", Problem: fmt.Sprintf("%q: want per-product, per-table or fixed", c.Flink.PoolStrategy)}
	}
	switch c.Deploy.Strategy {
	case "", "version", "in-place", "recreate":
	default:
		return &KeyError{Key: "deploy.strategy", Problem: fmt.Sprintf("%q: want version, in-place or recreate", c.Deploy.Strategy)}
	}
	if c.Service.Settle != nil && *c.Service.Settle < 0 {
		return &KeyError{Key: "service.settle", Problem: "is negative"}
	}
	if c.Flink.MaxComputePools < 0 {
		return &KeyError{Key: "flink.max_compute_pools", Problem: "must be positive"}
	}
	for _, t := range c.Kafka.ExternalTables {
		if strings.TrimSpace(t) == "" {
			return &KeyError{Key: "kafka.external_tables", Problem: "a table name is empty"}
		}
	}
	return nil
}

// applyEnv reads shift_left's SL_* variables, which override the file; a
// value that does not parse is an error naming the variable.
func (c *Config) applyEnv(getenv func(string) string) error {
	set := func(dst *string, key string) {
		if v := getenv(key); v != "" {
			*dst = v
		}
	}
	set(&c.Flink.APIKey, "SL_FLINK_API_KEY")
	set(&c.Flink.APISecret, "SL_FLINK_API_SECRET")
	set(&c.ConfluentCloud.APIKey, "SL_CONFLUENT_CLOUD_API_KEY")
	set(&c.ConfluentCloud.APISecret, "SL_CONFLUENT_CLOUD_API_SECRET")
	set(&c.Flink.ComputePoolID, "SL_FLINK_COMPUTE_POOL_ID")
	set(&c.Flink.CatalogName, "SL_FLINK_ENV_NAME")
	set(&c.Flink.DatabaseName, "SL_FLINK_DATABASE_NAME")
	set(&c.ConfluentCloud.CloudProvider, "SL_CLOUD_PROVIDER")
	set(&c.ConfluentCloud.CloudRegion, "SL_CLOUD_REGION")
	set(&c.ConfluentCloud.OrganizationID, "SL_CLOUD_ORGANIZATION_ID")
	set(&c.ConfluentCloud.EnvironmentID, "SL_FLINK_ENV_ID")
	set(&c.ConfluentCloud.ServiceAccountID, "SL_CONFLUENT_PRINCIPAL_ID")
	set(&c.Flink.URL, "SL_FLINK_URL")
	set(&c.Service.WebhookSecret, "SL_WEBHOOK_SECRET")
	set(&c.Service.GitHubToken, "SL_GITHUB_TOKEN")
	set(&c.Service.OpsToken, "SL_OPS_TOKEN")
	if v := getenv("SL_SETTLE"); v != "" {
		d, err := envDuration("SL_SETTLE", v)
		if err != nil {
			return err
		}
		c.Service.Settle = &d
	}
	if v := getenv("SL_PENDING_TIMEOUT"); v != "" {
		d, err := envDuration("SL_PENDING_TIMEOUT", v)
		if err != nil {
			return err
		}
		c.Service.PendingTimeout = d
	}
	if v := getenv("SL_FLINK_MAX_CFU"); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			return &KeyError{Key: "SL_FLINK_MAX_CFU", Problem: fmt.Sprintf("%q is not a whole number of CFUs", v)}
		}
		c.Flink.MaxCFU = n
	}
	return nil
}

// envDuration parses the duration an environment variable holds.
func envDuration(key, v string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d < 0 {
		return 0, &KeyError{Key: key, Problem: fmt.Sprintf("%q is not a duration such as 90s or 10m", v)}
	}
	return d, nil
}

// applyDefaults fills shift_left's defaults: cluster type dev, region
// us-west-2 (names start dev-usw2-), common products common and seeds.
func (c *Config) applyDefaults() {
	if c.Kafka.ClusterType == "" {
		c.Kafka.ClusterType = "dev"
	}
	if c.ConfluentCloud.Region == "" {
		c.ConfluentCloud.Region = "us-west-2"
	}
	if c.ConfluentCloud.BaseAPI == "" {
		c.ConfluentCloud.BaseAPI = "https://api.confluent.cloud"
	}
	if c.Flink.MaxCFUPercentBeforeAllocation == 0 {
		c.Flink.MaxCFUPercentBeforeAllocation = 0.8
	}
	if c.Flink.PoolStrategy == "" {
		c.Flink.PoolStrategy = "per-product"
	}
	if c.Flink.MaxComputePools == 0 {
		c.Flink.MaxComputePools = 50
	}
	if c.Flink.MaxStatements == 0 {
		c.Flink.MaxStatements = 10_000
	}
	if c.App.AcceptedCommonProducts == nil {
		c.App.AcceptedCommonProducts = []string{"common", "seeds"}
	}
	s := &c.Service
	for _, d := range []struct {
		dst *string
		def string
	}{{&s.Addr, "127.0.0.1:8080"}, {&s.DataDir, ".shiftleft"}, {&s.NATSListen, "127.0.0.1:4222"},
		{&s.DeployBranch, "main"}, {&s.PipelinesPath, "pipelines"}, {&s.EmulatorAddr, "127.0.0.1:8081"}, {&s.MetricsAddr, "127.0.0.1:8082"}} {
		if *d.dst == "" {
			*d.dst = d.def
		}
	}
	if s.Workers <= 0 {
		s.Workers = 2
	}
	if s.MaxParallel <= 0 {
		s.MaxParallel = 8
	}
	if s.AckWait <= 0 {
		s.AckWait = 2 * time.Minute
	}
	if s.JobRetention <= 0 {
		s.JobRetention = 30 * 24 * time.Hour
	}
	if s.ReconcileInterval == nil {
		d := DefaultReconcileInterval
		s.ReconcileInterval = &d
	}
	if s.HealLimit <= 0 {
		s.HealLimit = 3
	}
	if s.PendingTimeout <= 0 {
		s.PendingTimeout = DefaultPendingTimeout
	}
	if s.Settle == nil {
		settle := DefaultSettle
		s.Settle = &settle
	}
}

// DefaultReconcileInterval is Argo CD's: git is read every 3 minutes.
const DefaultReconcileInterval = 3 * time.Minute

// Target is where statements go.
type Target struct {
	FlinkURL       string
	CloudURL       string
	OrganizationID string
	EnvironmentID  string
	FlinkKey       string
	FlinkSecret    string
	CloudKey       string
	CloudSecret    string
	Principal      string
	// Emulator: the target is a local emulator.
	Emulator bool
}

// Target resolves the deployment target: the emulator when one is given,
// else Confluent Cloud, which needs an organization, an environment, a
// region and cloud to reach the Flink endpoint, and a Flink API key.
func (c *Config) Target() (Target, error) {
	if c.Emulator != "" {
		org, env := c.ConfluentCloud.OrganizationID, c.ConfluentCloud.EnvironmentID
		if org == "" {
			org = EmulatorOrganization
		}
		if env == "" {
			env = EmulatorEnvironment
		}
		url := strings.TrimRight(c.Emulator, "/")
		return Target{FlinkURL: url, CloudURL: url, OrganizationID: org, EnvironmentID: env,
			FlinkKey: "emulator", FlinkSecret: "emulator", CloudKey: "emulator", CloudSecret: "emulator", Emulator: true}, nil
	}
	cc, f := c.ConfluentCloud, c.Flink
	flinkURL := f.URL
	if flinkURL == "" && cc.CloudRegion != "" && cc.CloudProvider != "" {
		flinkURL = fmt.Sprintf("https://flink.%s.%s.confluent.cloud", strings.ToLower(cc.CloudRegion), strings.ToLower(cc.CloudProvider))
	}
	var missing []string
	for _, m := range []struct{ v, what string }{
		{cc.OrganizationID, "confluent_cloud.organization_id (SL_CLOUD_ORGANIZATION_ID)"},
		{cc.EnvironmentID, "confluent_cloud.environment_id (SL_FLINK_ENV_ID)"},
		{flinkURL, "confluent_cloud.cloud_region and cloud_provider (SL_CLOUD_REGION, SL_CLOUD_PROVIDER) or flink.flink_url"},
		{f.APIKey, "a Flink API key (SL_FLINK_API_KEY and SL_FLINK_API_SECRET)"},
		{f.APISecret, "the Flink API secret (SL_FLINK_API_SECRET)"},
	} {
		if m.v == "" {
			missing = append(missing, m.what)
		}
	}
	if len(missing) > 0 {
		kind := ErrNoTarget
		if cc.OrganizationID != "" || cc.EnvironmentID != "" || f.URL != "" || f.APIKey != "" || f.APISecret != "" {
			kind = ErrIncompleteTarget
		}
		return Target{}, fmt.Errorf("%w: set %s in config.yaml (--config, $SL_CONFIG_FILE) or the environment, or deploy to a local emulator with --emulator http://127.0.0.1:8081 (start one with: shiftleft emulator)",
			kind, strings.Join(missing, "; "))
	}
	cloudKey, cloudSecret := cc.APIKey, cc.APISecret
	if cloudKey == "" {
		// Pools need the Cloud key; without one, pool calls get 401 and say so.
		cloudKey, cloudSecret = f.APIKey, f.APISecret
	}
	return Target{FlinkURL: flinkURL, CloudURL: cc.BaseAPI, OrganizationID: cc.OrganizationID, EnvironmentID: cc.EnvironmentID,
		FlinkKey: f.APIKey, FlinkSecret: f.APISecret, CloudKey: cloudKey, CloudSecret: cloudSecret, Principal: cc.ServiceAccountID}, nil
}

// String describes the target without its secrets, for logs.
func (t Target) String() string {
	kind := "Confluent Cloud"
	if t.Emulator {
		kind = "emulator"
	}
	return fmt.Sprintf("%s %s (organization %s, environment %s)", kind, t.FlinkURL, t.OrganizationID, t.EnvironmentID)
}
