package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/shiftleft/shiftleft/config"
	"github.com/shiftleft/shiftleft/confluent/emulator"
	"github.com/shiftleft/shiftleft/internal/corpus"
	"github.com/shiftleft/shiftleft/internal/pipelinegen"
	"github.com/shiftleft/shiftleft/jobs"
	"github.com/shiftleft/shiftleft/webhook"
)

const (
	testSecret   = "webhook-secret-7f3a9c"
	testOpsToken = "ops-token-51be20"
	testGHToken  = "ghp_testtoken0123456789"
)

// serviceConfig is a service configuration for tests: temp data dir, random
// ports, the given NATS URL (embedded when empty).
func serviceConfig(t *testing.T, natsURL string, repos ...string) *config.Config {
	t.Helper()
	cfg, err := config.Load("", false, func(string) string { return "" })
	must(t, err)
	s := &cfg.Service
	s.Addr, s.EmulatorAddr, s.MetricsAddr, s.NATSListen, s.DataDir = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0", "none", t.TempDir()
	s.NATSURL, s.AllowRepos, s.WebhookSecret, s.OpsToken, s.GitHubToken = natsURL, repos, testSecret, testOpsToken, testGHToken
	s.GitHubAPIURL = "http://127.0.0.1:1/" // statuses fail fast; the jobs do not depend on them
	// The webhook alone queues jobs, as these tests expect; the
	// reconciler's tests turn it on.
	off := time.Duration(0)
	s.ReconcileInterval = &off
	noSettle := time.Duration(0)
	s.Settle = &noSettle
	return cfg
}

// observed is an app whose logs are kept for inspection.
func observed(t *testing.T) (*app, *observer.ObservedLogs) {
	core, logs := observer.New(zap.DebugLevel)
	return &app{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }, log: zap.New(core)}, logs
}

// signed is a webhook request signed with secret as GitHub signs it.
func signed(t *testing.T, url, event, delivery, secret string, payload []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/webhooks/github", bytes.NewReader(payload))
	must(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", delivery)
	req.Header.Set("X-Hub-Signature-256", webhook.Sign(secret, payload))
	return req
}

// post sends a signed webhook.
func post(t *testing.T, url, event, delivery, secret string, payload []byte) (int, string) {
	t.Helper()
	res, err := http.DefaultClient.Do(signed(t, url, event, delivery, secret, payload))
	must(t, err)
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// deployPush posts a signed push of sha to the deploy branch of repo (on
// github.com: the service's clone URLs say where to fetch it) and returns
// the job once it succeeded.
func deployPush(t *testing.T, svc *service, repo, sha, delivery string) *jobs.Job {
	t.Helper()
	owner, name, _ := strings.Cut(repo, "/")
	payload, _ := json.Marshal(map[string]any{"ref": "refs/heads/main", "before": strings.Repeat("0", 40), "after": sha,
		"repository": map[string]any{"name": name, "full_name": repo, "clone_url": "https://github.com/" + repo + ".git",
			"owner": map[string]any{"login": owner, "name": owner}}})
	code, body := post(t, svc.URL, "push", delivery, testSecret, payload)
	var answer struct {
		JobID string `json:"job_id"`
	}
	if code != http.StatusAccepted || json.Unmarshal([]byte(body), &answer) != nil {
		t.Fatalf("push: %d %s", code, body)
	}
	j, err := waitJob(context.Background(), svc.queue, answer.JobID)
	must(t, err)
	if j.Status != jobs.StatusSucceeded {
		t.Fatalf("job %s: %s", j.Status, j.Error)
	}
	return j
}

// TestWebhookThroughTheService posts GitHub's own push example through the
// service's webhook into real JetStream.
func TestWebhookThroughTheService(t *testing.T) {
	payload, err := os.ReadFile(filepath.Join(corpus.Dir(t, "corpus", "github-webhooks", "push"), "04.json"))
	must(t, err)
	var ev struct {
		Ref        string
		Repository struct {
			FullName string `json:"full_name"`
		}
	}
	must(t, json.Unmarshal(payload, &ev))
	nats, err := jobs.StartEmbedded(t.TempDir(), jobs.WithListen("127.0.0.1:0"))
	must(t, err)
	defer nats.Shutdown()

	a, logs := observed(t)
	cfg := serviceConfig(t, nats.ClientURL(), ev.Repository.FullName)
	cfg.Service.DeployBranch = strings.TrimPrefix(ev.Ref, "refs/heads/")
	ctx := context.Background()
	svc, err := a.start(ctx, cfg, startParts{http: true})
	must(t, err)
	defer svc.stop(ctx)

	code, body := post(t, svc.URL, "push", "delivery-1", testSecret, payload)
	if code != http.StatusAccepted || !strings.Contains(body, `"queued"`) {
		t.Fatalf("push: %d %s", code, body)
	}
	if code, body = post(t, svc.URL, "push", "delivery-1", testSecret, payload); code != http.StatusOK || !strings.Contains(body, "duplicate") {
		t.Errorf("same delivery again: %d %s", code, body)
	}
	if code, _ = post(t, svc.URL, "push", "delivery-2", "wrong-secret", payload); code != http.StatusUnauthorized {
		t.Errorf("bad signature: %d", code)
	}
	list, err := svc.queue.List(ctx, jobs.Filter{})
	must(t, err)
	if len(list) != 1 || list[0].DeliveryID != "delivery-1" || list[0].Kind != jobs.KindDeploy {
		t.Errorf("jobs %+v, want the one deploy job", list)
	}
	// The ops command line reads the same records.
	url := nats.ClientURL()
	if r := mustRun(t, "jobs", "list", "--nats-url", url); !strings.Contains(r.stdout, list[0].ID) || !strings.Contains(r.stdout, "deploy  webhook") {
		t.Errorf("jobs list:\n%s", r.stdout)
	}
	if r := mustRun(t, "jobs", "show", list[0].ID, "--nats-url", url); !strings.Contains(r.stdout, `"delivery_id": "delivery-1"`) {
		t.Errorf("jobs show:\n%s", r.stdout)
	}
	if r := shiftleft(t, nil, "jobs", "show", "01JUNKNOWNJOB00000000000000", "--nats-url", url); r.code != exitError || !strings.Contains(r.stderr, "not found") {
		t.Errorf("jobs show of an unknown id: exit %d %s", r.code, r.stderr)
	}
	// No worker runs here: the job is still queued, and a replay of it is
	// refused.
	if r := shiftleft(t, nil, "jobs", "replay", list[0].ID, "--nats-url", url); r.code != exitError || !strings.Contains(r.stderr, "queued") {
		t.Errorf("jobs replay of a queued job: exit %d %s", r.code, r.stderr)
	}
	// The ops API answers on the service's address, behind its token.
	for _, tt := range []struct {
		token string
		want  int
	}{{testOpsToken, http.StatusOK}, {"wrong-token", http.StatusUnauthorized}, {"", http.StatusUnauthorized}} {
		req, err := http.NewRequest(http.MethodGet, svc.URL+"/api/jobs/"+list[0].ID, nil)
		must(t, err)
		if tt.token != "" {
			req.Header.Set("Authorization", "Bearer "+tt.token)
		}
		res, err := http.DefaultClient.Do(req)
		must(t, err)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tt.want || (tt.want == http.StatusOK && !strings.Contains(string(body), list[0].ID)) {
			t.Errorf("GET /api/jobs/{id} with token %q: %d %s", tt.token, res.StatusCode, body)
		}
	}

	// NATS down: the webhook answers 503, a failed delivery GitHub shows
	// for redelivery by hand (it does not retry; the reconciler deploys the
	// push on its next pass).
	nats.Shutdown()
	if code, body = post(t, svc.URL, "push", "delivery-3", testSecret, payload); code != http.StatusServiceUnavailable {
		t.Errorf("NATS down: %d %s", code, body)
	}
	noSecretIn(t, logs, testSecret, testOpsToken, testGHToken)
}

// noSecretIn fails when a secret appears in any log line or field.
func noSecretIn(t *testing.T, logs *observer.ObservedLogs, secrets ...string) {
	t.Helper()
	for _, e := range logs.All() {
		line := e.Message
		for k, v := range e.ContextMap() {
			line += " " + k + "=" + strings.ReplaceAll(strings.TrimSpace(toString(v)), "\n", " ")
		}
		for _, s := range secrets {
			if strings.Contains(line, s) {
				t.Errorf("a secret is in a log line: %s", line)
			}
		}
	}
}

func toString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// gitRepo commits a generated pipelines tree into a bare repository.
func gitRepo(t *testing.T, tables int, seed uint64) (bare, sha string) {
	t.Helper()
	work, bare := filepath.Join(t.TempDir(), "work"), filepath.Join(t.TempDir(), "origin.git")
	_, err := pipelinegen.Generate(filepath.Join(work, "pipelines"), pipelinegen.Options{Tables: tables, Seed: seed})
	must(t, err)
	g := &demoGit{work: work, bare: bare}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"init", "-q", "--bare", bare}, {"remote", "add", "origin", bare}} {
		_, err := g.run(args...)
		must(t, err)
	}
	sha, err = g.commit("generated")
	must(t, err)
	return bare, sha
}

// TestWorkerKilledMidDeploy kills a `shiftleft worker` process with
// SIGKILL while it deploys; the job goes to another worker after the ack
// wait and finishes, and no statement is created twice.
func TestWorkerKilledMidDeploy(t *testing.T) {
	bare, sha := gitRepo(t, 30, 5)
	nats, err := jobs.StartEmbedded(t.TempDir(), jobs.WithListen("127.0.0.1:0"))
	must(t, err)
	defer nats.Shutdown()
	tg := newTarget(t, emulator.Latency(60*time.Millisecond))
	ctx := context.Background()

	// The job, published as the webhook would.
	nc, err := nats.Connect()
	must(t, err)
	defer nc.Close()
	q, err := jobs.NewQueue(ctx, nc, jobs.WithAckWait(3*time.Second))
	must(t, err)
	job := &jobs.Job{Version: jobs.Version, Kind: jobs.KindDeploy, Status: jobs.StatusQueued, Repo: "acme/generated", CloneURL: bare,
		Ref: "refs/heads/main", Before: strings.Repeat("0", 40), After: sha, DeliveryID: "kill-1", CreatedAt: time.Now().UTC()}
	must(t, q.Publish(ctx, job))

	args := []string{"worker", "--nats-url", nats.ClientURL(), "--emulator", tg.url, "--data-dir", t.TempDir(),
		"--workers", "1", "--ack-wait", "3s", "--max-parallel", "2", "--metrics-addr", "127.0.0.1:0"}
	first := exec.Command(os.Args[0], args...)
	first.Env = append(os.Environ(), runMainEnv+"=1")
	must(t, first.Start())
	deadline := time.Now().Add(30 * time.Second)
	for total(tg.creates()) < 10 {
		if time.Now().After(deadline) {
			_ = first.Process.Kill()
			t.Fatalf("the first worker created %d statements in 30s", total(tg.creates()))
		}
		time.Sleep(5 * time.Millisecond)
	}
	must(t, first.Process.Kill())
	_ = first.Wait()
	killedAt := total(tg.creates())

	a, _ := observed(t)
	cfg := serviceConfig(t, nats.ClientURL())
	cfg.Emulator, cfg.Service.AckWait, cfg.Service.Workers = tg.url, 3*time.Second, 1
	second, err := a.start(ctx, cfg, startParts{work: true})
	must(t, err)
	defer second.stop(ctx)

	var got *jobs.Job
	for deadline = time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if got, err = q.Get(ctx, job.ID); err == nil && got.Status.Finished() {
			break
		}
	}
	if got == nil || got.Status != jobs.StatusSucceeded || got.Attempts < 2 {
		t.Fatalf("job after the kill: %+v", got)
	}
	for name, n := range tg.creates() {
		if n != 1 {
			t.Errorf("%s created %d times", name, n)
		}
	}
	t.Logf("killed after %d creates; %d in all after the redelivery (attempt %d)", killedAt, total(tg.creates()), got.Attempts)
}

// TestEveryGitHubExampleThroughTheService posts every example payload of
// GitHub's own webhook documentation, signed, through the service into
// JetStream: never a 500, a job exactly for pushes to the deploy branch and
// pull requests opened, synchronized or reopened.
func TestEveryGitHubExampleThroughTheService(t *testing.T) {
	root := corpus.Dir(t, "corpus", "github-webhooks")
	files, err := filepath.Glob(filepath.Join(root, "*", "*.json"))
	must(t, err)
	repos := map[string]bool{}
	for _, f := range files {
		var ev struct {
			Repository *struct {
				FullName string `json:"full_name"`
			}
		}
		data, err := os.ReadFile(f)
		must(t, err)
		if json.Unmarshal(data, &ev) == nil && ev.Repository != nil {
			repos[ev.Repository.FullName] = true
		}
	}
	var allowed []string
	for r := range repos {
		allowed = append(allowed, r)
	}
	a, logs := observed(t)
	cfg := serviceConfig(t, "", allowed...)
	cfg.Service.DeployBranch = "master"
	ctx := context.Background()
	svc, err := a.start(ctx, cfg, startParts{http: true})
	must(t, err)
	defer svc.stop(ctx)

	queued := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		must(t, err)
		event := filepath.Base(filepath.Dir(f))
		rel, _ := filepath.Rel(root, f)
		code, body := post(t, svc.URL, event, "delivery-"+rel, testSecret, data)
		switch {
		case code >= 500:
			t.Errorf("%s: %d %s", rel, code, body)
		case event == "ping" && code != http.StatusOK:
			t.Errorf("%s: ping answered %d", rel, code)
		case strings.Contains(body, `"queued"`):
			queued++
			if event != "push" && event != "pull_request" {
				t.Errorf("%s: a %s event queued a job", rel, event)
			}
		}
	}
	list, err := svc.queue.List(ctx, jobs.Filter{Limit: 1000})
	must(t, err)
	if len(list) != queued || queued == 0 {
		t.Errorf("%d jobs queued for %d queued answers", len(list), queued)
	}
	noSecretIn(t, logs, testSecret, testOpsToken, testGHToken)
}

// TestSignedPushDeploysAndReportsSuccess is the whole loop through the
// service: a signed push of shift_left's sample pipelines, the worker
// deploys every table to the in-process emulator, and the GitHub server
// records a success status for the commit.
func TestSignedPushDeploysAndReportsSuccess(t *testing.T) {
	src := corpus.Dir(t, "corpus", "shift_left", "pipelines")
	work, bare := filepath.Join(t.TempDir(), "work"), filepath.Join(t.TempDir(), "origin.git")
	must(t, os.MkdirAll(work, 0o755))
	g := &demoGit{work: work, bare: bare}
	must(t, g.init(src))
	sha, err := g.commit("pipelines")
	must(t, err)

	var mu sync.Mutex
	states := map[string]string{}
	gh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+testGHToken {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		var body struct{ State string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		states[r.URL.Path] = body.State
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":1}`))
	}))
	defer gh.Close()

	a, logs := observed(t)
	cfg := serviceConfig(t, "", "acme/flink")
	cfg.Service.CloneURLs = map[string]string{"acme/flink": bare}
	cfg.Service.GitHubAPIURL = gh.URL + "/"
	// The corpus reads these topics and declares none of them: declared
	// in the configuration, as kafka.external_tables does.
	cfg.Kafka.ExternalTables = []string{"src_common_tenant", "src_table", "src_tag", "tenant_dimension"}
	ctx := context.Background()
	svc, err := a.start(ctx, cfg, startParts{http: true, work: true})
	must(t, err)
	defer svc.stop(ctx)

	deployPush(t, svc, "acme/flink", sha, "push-1")
	mu.Lock()
	state := states["/repos/acme/flink/statuses/"+sha]
	mu.Unlock()
	if state != "success" {
		t.Errorf("GitHub got status %q for %s, want success (statuses %v)", state, sha, states)
	}
	created := svc.emulator.Counters().Creates
	dmls := 0
	for name := range created {
		if strings.Contains(name, "-dml-") {
			dmls++
		}
	}
	if dmls != 37 {
		t.Errorf("%d DML statements deployed, want 37 (every table with a DML)", dmls)
	}

	// /metrics says the same: the statements the emulator created, the
	// Confluent calls made, the job, and an empty queue.
	total := 0
	for _, n := range created {
		total += n
	}
	wants := []string{
		fmt.Sprintf("shiftleft_statements_deployed_total %d\n", total),
		`shiftleft_confluent_api_calls_total{status="200"} `,
		`shiftleft_jobs_total{kind="deploy",result="succeeded"} 1` + "\n",
		"shiftleft_queue_depth 0\n",
	}
	// The outcome is counted just after the record is written: poll.
	var missing []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		res, err := http.Get(svc.URL + "/metrics")
		must(t, err)
		metrics, _ := io.ReadAll(res.Body)
		res.Body.Close()
		missing = nil
		for _, want := range wants {
			if !strings.Contains(string(metrics), want) {
				missing = append(missing, want)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(missing) > 0 {
		t.Errorf("/metrics lacks %q", missing)
	}
	noSecretIn(t, logs, testSecret, testOpsToken, testGHToken)
}

// TestStopLetsDeploysInFlightFinish: stopping the service (as SIGTERM does)
// while a deploy runs on the in-process emulator lets the deploy finish
// within the grace period: the emulator answers until the workers are done.
func TestStopLetsDeploysInFlightFinish(t *testing.T) {
	bare, sha := gitRepo(t, 30, 11)
	nats, err := jobs.StartEmbedded(t.TempDir(), jobs.WithListen("127.0.0.1:0"))
	must(t, err)
	defer nats.Shutdown()
	nc, err := nats.Connect()
	must(t, err)
	defer nc.Close()
	ctx := context.Background()
	q, err := jobs.NewQueue(ctx, nc)
	must(t, err)
	a, _ := observed(t)
	cfg := serviceConfig(t, nats.ClientURL())
	cfg.Service.Workers = 1
	svc, err := a.start(ctx, cfg, startParts{work: true})
	must(t, err)
	job := &jobs.Job{Version: jobs.Version, Kind: jobs.KindDeploy, Status: jobs.StatusQueued, Repo: "acme/generated", CloneURL: bare,
		Ref: "refs/heads/main", Before: strings.Repeat("0", 40), After: sha, DeliveryID: "stop-1", CreatedAt: time.Now().UTC()}
	must(t, q.Publish(ctx, job))
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		if len(svc.emulator.Counters().Creates) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the deploy did not start")
		}
	}
	// A worker process alone answers its probes and metrics.
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		res, err := http.Get(svc.URL + path)
		must(t, err)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("worker %s: %d", path, res.StatusCode)
		}
	}
	grace, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	svc.stop(grace)
	got, err := q.Get(ctx, job.ID)
	must(t, err)
	if got.Status != jobs.StatusSucceeded {
		t.Errorf("job after a stop with a grace period: %s %s", got.Status, got.Error)
	}
}

// TestIncompleteTargetStopsTheWorker: a Confluent Cloud target configured
// in part is an error, not a silent deploy to the in-process emulator.
func TestIncompleteTargetStopsTheWorker(t *testing.T) {
	a, _ := observed(t)
	cfg := serviceConfig(t, "")
	cfg.ConfluentCloud.OrganizationID, cfg.ConfluentCloud.EnvironmentID = "11111111-2222-4333-8444-555555555555", "env-prod"
	svc, err := a.start(context.Background(), cfg, startParts{work: true})
	if err == nil {
		svc.stop(context.Background())
	}
	if !errors.Is(err, config.ErrIncompleteTarget) || !strings.Contains(err.Error(), "SL_FLINK_API_KEY") {
		t.Errorf("start with an incomplete target: %v", err)
	}
}

// TestServiceReplicas: the replicas setting reaches the queue: the default
// on the embedded server (one), and a value the queue refuses, named.
func TestServiceReplicas(t *testing.T) {
	tests := []struct {
		name     string
		replicas int
		wantErr  string
	}{
		{name: "default", replicas: 0},
		{name: "one", replicas: 1},
		{name: "more than a lone server holds", replicas: 3, wantErr: "replicas > 1 not supported"},
		{name: "out of range", replicas: 7, wantErr: "replicas 7: 1 to 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := observed(t)
			cfg := serviceConfig(t, "", "acme/flink")
			cfg.Service.Replicas = tt.replicas
			svc, err := a.start(context.Background(), cfg, startParts{http: true})
			if err == nil {
				defer svc.stop(context.Background())
			}
			if tt.wantErr == "" {
				must(t, err)
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("start: %v, want an error saying %q", err, tt.wantErr)
			}
		})
	}
}
