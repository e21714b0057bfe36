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

// shiftLeftConfig has every section and key shift_left's config.yaml
// documents (its template and README, release 0.1.52), most of which
// shiftleft never reads, plus a service section: it must load as it is.
const shiftLeftConfig = `kafka:
  bootstrap.servers: pkc-xxxxx.us-west-2.aws.confluent.cloud:9092
  cluster_id: lkc-abc123
  pkafka_cluster: pkc-xxxxx
  api_key: <kafka-api-key>
  api_secret: <kafka-api-key_secret>
  security.protocol: SASL_SSL
  sasl.mechanism: PLAIN
  sasl.username: <TO_FILL>
  sasl.password: <TO_FILL>
  session.timeout.ms: 5000
  reject_topics_prefixes: ["clone", "dim_", "src_"]
  cluster_type: stage
  src_topic_prefix: clone
registry:
  url: https://psrc-xxxxx.us-west-2.aws.confluent.cloud
  registry_key_name: <TO_FILL>
  registry_key_secret: <TO_FILL>
confluent_cloud:
  base_api: https://api.confluent.cloud
  environment_id: env-abc123
  region: us-west-2
  provider: aws
  cloud_region: us-west-2
  cloud_provider: aws
  organization_id: 11111111-2222-4333-8444-555555555555
  service_account_id: sa-abc123
  api_key: <TO_FILL>
  api_secret: <TO_FILL>
  page_size: 100
  url_scope: private
  glb_name: glb
flink:
  flink_url: flink.us-west-2.aws.confluent.cloud
  api_key: <TO_FILL>
  api_secret: <TO_FILL>
  compute_pool_id: lfcp-abc123
  catalog_name: dev-env
  database_name: dev-cluster
  max_cfu: 10
  max_cfu_percent_before_allocation: .8
  statement_name_post_fix: v1
  poll_timer: 10
  submission_timeout_seconds: 60
app:
  delta_max_time_in_min: 15  # out of order event times
  report_output_dir: ./reports
  default_PK: __db
  timezone: America/Los_Angeles
  src_table_name_suffix: ""
  src_table_name_prefix: src_
  logging: INFO
  products: ["p1", "p2", "p3"]
  accepted_common_products: ['common', 'seeds']
  cache_ttl: 120
  post_fix_unit_test: _ut
  post_fix_integration_test: _it
  sql_content_modifier: shift_left.core.utils.table_worker.ReplaceEnvInSqlContent
  translator_to_flink_sql_agent: shift_left.core.utils.translator_to_flink_sql.DbtTranslatorToFlinkSqlAgent
  dml_naming_convention_modifier: shift_left.core.utils.naming_convention.DmlNameModifier
  compute_pool_naming_convention_modifier: shift_left.core.utils.naming_convention.ComputePoolNameModifier
  data_limit_column_name_to_select_from: tenant_id
  data_limit_where_condition: tenant_id = 'a'
  data_limit_table_type: source
  data_limit_replace_from_reg_ex: src_
service:
  addr: 0.0.0.0:8080
  workers: 4
  ack_wait: 90s
  allow_repos: [acme/flink]
  clone_urls: {acme/flink: /srv/git/flink.git}
`

func write(t *testing.T, content string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

func TestAShiftLeftConfigLoads(t *testing.T) {
	c, err := config.Load(write(t, shiftLeftConfig), true, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	s := c.Service
	if c.Kafka.ClusterType != "stage" || c.Flink.MaxCFU != 10 || c.Flink.MaxCFUPercentBeforeAllocation != 0.8 || c.Flink.ComputePoolID != "lfcp-abc123" ||
		strings.Join(c.App.AcceptedCommonProducts, ",") != "common,seeds" || c.ConfluentCloud.ServiceAccountID != "sa-abc123" ||
		s.Addr != "0.0.0.0:8080" || s.Workers != 4 || s.AckWait != 90*time.Second || s.CloneURLs["acme/flink"] != "/srv/git/flink.git" {
		t.Errorf("read %+v", c)
	}
}

func TestConfigMistakesAreErrorsNamingTheKey(t *testing.T) {
	tests := []struct {
		name string
		file string
		env  map[string]string
		want []string // each in the error
	}{
		{name: "a typo under service", file: "service:\n  addr: x:1\n  workres: 4\n",
			want: []string{"line 3", "service.workres", "unknown key; did you mean workers?"}},
		{name: "an unknown key under service", file: "service:\n  colour: blue\n",
			want: []string{"line 2", "service.colour", "unknown key; the service section has", "ack_wait", "workers"}},
		{name: "a dash for an underscore", file: "service:\n  data-dir: /srv\n",
			want: []string{"line 2", "service.data-dir", "did you mean data_dir?"}},
		{name: "a secret in the file", file: "service:\n  webhook_secret: hunter2\n",
			want: []string{"line 2", "service.webhook_secret", "set SL_WEBHOOK_SECRET in the environment"}},
		{name: "a near miss in a shift_left section", file: "flink:\n  compute_pool_ids: lfcp-1\n",
			want: []string{"line 2", "flink.compute_pool_ids", "did you mean compute_pool_id?"}},
		{name: "a case slip in a shift_left section", file: "confluent_cloud:\n  Environment_ID: env-1\n",
			want: []string{"line 2", "confluent_cloud.Environment_ID", "did you mean environment_id?"}},
		{name: "a misspelt section", file: "servce:\n  workers: 2\n",
			want: []string{"line 1", "servce", "unknown section; did you mean service?"}},
		{name: "a number that is not one", file: "flink:\n  max_cfu: abc\n",
			want: []string{"line 2", "flink.max_cfu", `"abc" is not a whole number`}},
		{name: "a duration without a unit", file: "service:\n  ack_wait: 120\n",
			want: []string{"line 2", "service.ack_wait", `"120" is not a duration such as 90s`}},
		{name: "a reconcile interval without a unit", file: "service:\n  reconcile_interval: 3\n",
			want: []string{"line 2", "service.reconcile_interval", `"3" is not a duration such as 90s`}},
		{name: "a negative reconcile interval", file: "service:\n  reconcile_interval: -1m\n",
			want: []string{"line 2", "service.reconcile_interval", `"-1m" is negative`}},
		{name: "a negative count", file: "service:\n  workers: -2\n",
			want: []string{"line 2", "service.workers", `"-2" is negative`}},
		{name: "a string for a list", file: "service:\n  allow_repos: acme/flink\n",
			want: []string{"line 2", "service.allow_repos", `"acme/flink" is not a list of strings`}},
		{name: "a boolean that is not one", file: "service:\n  prune: sometimes\n",
			want: []string{"line 2", "service.prune", `"sometimes" is not true or false`}},
		{name: "a key given twice", file: "service:\n  workers: 2\n  workers: 3\n",
			want: []string{"line 3", "service.workers", "given twice (first on line 2)"}},
		{name: "a section that is not a mapping", file: "service: 8080\n",
			want: []string{"line 1", "service", `must be a mapping of keys, not "8080"`}},
		{name: "every mistake at once", file: "service:\n  workres: 4\nflink:\n  max_cfu: many\n",
			want: []string{"line 2: service.workres", "line 4: flink.max_cfu"}},
		{name: "an unparsable SL_FLINK_MAX_CFU", env: map[string]string{"SL_FLINK_MAX_CFU": "abc"},
			want: []string{"SL_FLINK_MAX_CFU", `"abc" is not a whole number`}},
		{name: "a negative SL_FLINK_MAX_CFU", env: map[string]string{"SL_FLINK_MAX_CFU": "-1"},
			want: []string{"SL_FLINK_MAX_CFU", `"-1" is not a whole number`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.file != "" {
				path = write(t, tt.file)
			}
			_, err := config.Load(path, path != "", env(tt.env))
			if !errors.Is(err, config.ErrInvalid) {
				t.Fatalf("err = %v, want one wrapping ErrInvalid", err)
			}
			var ke *config.KeyError
			if !errors.As(err, &ke) {
				t.Errorf("err = %v, not a *KeyError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestConfigShapesThatLoad(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		workers  int
		parallel int
		pool     string
	}{
		{name: "an empty file", file: ""},
		{name: "comments only", file: "# nothing yet\n"},
		{name: "an empty section", file: "service:\nflink:\n"},
		{name: "an empty value keeps the default", file: "service:\n  workers:\n", workers: 2},
		{name: "a section shiftleft does not read", file: "registry:\n  url: https://sr\nservice:\n  workers: 3\n", workers: 3},
		{name: "a key of shift_left's own", file: "flink:\n  statement_name_post_fix: v2\n  compute_pool_id: lfcp-1\n", pool: "lfcp-1"},
		{name: "a section of a later shift_left", file: "rag:\n  model: x\n"},
		{name: "anchors and merge keys", file: "defaults: &d\n  workers: 5\n  max_parallel: 3\nservice:\n  <<: *d\n  max_parallel: 4\n", workers: 5, parallel: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load(write(t, tt.file), true, env(nil))
			if err != nil {
				t.Fatal(err)
			}
			if tt.workers != 0 && c.Service.Workers != tt.workers {
				t.Errorf("workers %d, want %d", c.Service.Workers, tt.workers)
			}
			if tt.parallel != 0 && c.Service.MaxParallel != tt.parallel {
				t.Errorf("max parallel %d, want %d (the mapping's own key over the merged one)", c.Service.MaxParallel, tt.parallel)
			}
			if tt.pool != "" && c.Flink.ComputePoolID != tt.pool {
				t.Errorf("compute pool %q, want %q", c.Flink.ComputePoolID, tt.pool)
			}
		})
	}
}

// TestReconcileInterval: absent is the default, 3m; 0 turns the reconciler
// off, which is not the default.
func TestReconcileInterval(t *testing.T) {
	for _, tt := range []struct {
		file string
		want time.Duration
	}{{"service:\n  workers: 2\n", config.DefaultReconcileInterval}, {"service:\n  reconcile_interval: 0s\n", 0},
		{"service:\n  reconcile_interval: 30s\n  self_heal: true\n  heal_limit: 5\n", 30 * time.Second}} {
		c, err := config.Load(write(t, tt.file), true, env(nil))
		if err != nil {
			t.Fatal(err)
		}
		if got := *c.Service.ReconcileInterval; got != tt.want {
			t.Errorf("%q: interval %s, want %s", tt.file, got, tt.want)
		}
		if wantHeal := strings.Contains(tt.file, "self_heal"); c.Service.SelfHeal != wantHeal || (wantHeal && c.Service.HealLimit != 5) || (!wantHeal && c.Service.HealLimit != 3) {
			t.Errorf("%q: self-heal %v, limit %d", tt.file, c.Service.SelfHeal, c.Service.HealLimit)
		}
	}
}
