package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/shiftleft/shiftleft/config"
	"github.com/shiftleft/shiftleft/confluent/emulator"
	"github.com/shiftleft/shiftleft/internal/corpus"
	"github.com/shiftleft/shiftleft/internal/pipelinegen"
	"github.com/shiftleft/shiftleft/jobs"
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
	s.Addr, s.EmulatorAddr, s.NATSListen, s.DataDir = "127.0.0.1:0", "127.0.0.1:0", "none", t.TempDir()
	s.NATSURL, s.AllowRepos, s.WebhookSecret, s.OpsToken, s.GitHubToken = natsURL, repos, testSecret, testOpsToken, testGHToken
	s.GitHubAPIURL = "http://127.0.0.1:1/" // statuses fail fast; the jobs do not depend on them
	return cfg
}

// observed is an app whose logs are kept for inspection.
func observed(t *testing.T) (*app, *observer.ObservedLogs) {
	core, logs := observer.New(zap.DebugLevel)
	return &app{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }, log: zap.New(core)}, logs
}

// post sends a webhook signed as GitHub signs it.
func post(t *testing.T, url, event, delivery, secret string, payload []byte) (int, string) {
	t.Helper()
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(payload)
	req, err := http.NewRequest(http.MethodPost, url+"/webhooks/github", bytes.NewReader(payload))
	must(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", delivery)
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	res, err := http.DefaultClient.Do(req)
	must(t, err)
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
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

	// NATS down: the webhook answers 503 so GitHub redelivers.
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
		"--workers", "1", "--ack-wait", "3s", "--max-parallel", "2"}
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
