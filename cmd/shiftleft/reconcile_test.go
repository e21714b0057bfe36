package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/shiftleft/shiftleft/config"
	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/confluent/emulator"
	"github.com/shiftleft/shiftleft/internal/githttptest"
	"github.com/shiftleft/shiftleft/jobs"
	"github.com/shiftleft/shiftleft/planner"
	"github.com/shiftleft/shiftleft/reconcile"
)

const reconcileRepo = "acme/flink"

// leafTree is a source reading the declared topic raw_topic and leaf
// tables reading it, each stateless: each leaf can be made to drift on its
// own.
func leafTree(leaves ...string) map[string]string {
	tree := map[string]string{
		"seeds/external_tables.json":            `{"tables": [{"table_name": "raw_topic", "kafka_topic": "raw_topic"}]}`,
		"sources/p/src/sql-scripts/ddl.src.sql": "CREATE TABLE IF NOT EXISTS src (id STRING);",
		"sources/p/src/sql-scripts/dml.src.sql": "INSERT INTO src SELECT id FROM raw_topic;",
	}
	for _, l := range leaves {
		tree["facts/p/"+l+"/sql-scripts/ddl."+l+".sql"] = "CREATE TABLE IF NOT EXISTS " + l + " (id STRING);"
		tree["facts/p/"+l+"/sql-scripts/dml."+l+".sql"] = "INSERT INTO " + l + " SELECT id FROM src;"
	}
	return tree
}

// reconcileRig is a repository pushed to a bare one, GitHub's branch and
// status API over HTTP (the branch's tip as the bare repository has it),
// and the service's configuration.
type reconcileRig struct {
	g    *demoGit
	cfg  *config.Config
	a    *app
	logs *observer.ObservedLogs
	sha  string
}

func newReconcileRig(t *testing.T, tree map[string]string, natsURL string, interval time.Duration) *reconcileRig {
	t.Helper()
	work, bare := filepath.Join(t.TempDir(), "work"), filepath.Join(t.TempDir(), "origin.git")
	g := &demoGit{work: work, bare: bare}
	writeTree(t, filepath.Join(work, "pipelines"), tree)
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"init", "-q", "--bare", bare}, {"remote", "add", "origin", bare}} {
		_, err := g.run(args...)
		must(t, err)
	}
	sha, err := g.commit("pipelines")
	must(t, err)
	gh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+testGHToken {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		switch {
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/repos/"+reconcileRepo+"/branches/"):
			branch := strings.TrimPrefix(r.URL.Path, "/repos/"+reconcileRepo+"/branches/")
			out, err := exec.Command("git", "--git-dir", bare, "rev-parse", "--verify", "refs/heads/"+branch).Output()
			if err != nil {
				http.Error(w, `{"message":"Branch not found"}`, http.StatusNotFound)
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"name": branch, "commit": map[string]any{"sha": strings.TrimSpace(string(out))}})
		case r.Method == http.MethodPost && strings.Contains(r.URL.Path, "/statuses/"):
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"id":1}`))
		default:
			http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
		}
	}))
	t.Cleanup(gh.Close)
	a, logs := observed(t)
	cfg := serviceConfig(t, natsURL, reconcileRepo)
	cfg.Service.CloneURLs = map[string]string{reconcileRepo: bare}
	cfg.Service.GitHubAPIURL = gh.URL + "/"
	cfg.Service.ReconcileInterval = &interval
	return &reconcileRig{g: g, cfg: cfg, a: a, logs: logs, sha: sha}
}

func (r *reconcileRig) start(t *testing.T) *service { return r.startIn(t, r.cfg.Service.DataDir) }

// startIn starts a service on dataDir: another process, when it is not
// the rig's.
func (r *reconcileRig) startIn(t *testing.T, dataDir string) *service {
	t.Helper()
	cfg := *r.cfg
	cfg.Service.DataDir = dataDir
	svc, err := r.a.start(context.Background(), &cfg, startParts{http: true, work: true})
	must(t, err)
	t.Cleanup(func() { svc.stop(context.Background()) })
	return svc
}

// push commits a change of the working copy's pipelines: files to write,
// "" to remove.
func (r *reconcileRig) push(t *testing.T, change map[string]string) string {
	t.Helper()
	for name, content := range change {
		path := filepath.Join(r.g.work, "pipelines", name)
		if content == "" {
			must(t, os.RemoveAll(path))
			continue
		}
		must(t, os.MkdirAll(filepath.Dir(path), 0o755))
		must(t, os.WriteFile(path, []byte(content), 0o644))
	}
	sha, err := r.g.commit("change")
	must(t, err)
	return sha
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s; last: %s", what, within, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitDeployed waits for sha to be the deployed commit and returns its job.
func waitDeployed(t *testing.T, svc *service, sha string) *jobs.Job {
	t.Helper()
	ctx := context.Background()
	waitFor(t, 2*time.Minute, "deployed "+sha[:7], func() (bool, string) {
		got, _, err := svc.queue.DeployedCommit(ctx, reconcileRepo, "main")
		if j, jerr := svc.queue.CommitJob(ctx, reconcileRepo, "main", sha); jerr == nil && j.Status.Finished() && j.Status != jobs.StatusSucceeded {
			t.Fatalf("job %s of %s: %s %s %s", j.ID, sha[:7], j.Status, j.Summary, j.Error)
		}
		return got == sha, fmt.Sprintf("deployed %q, %v", got, err)
	})
	j, err := svc.queue.CommitJob(ctx, reconcileRepo, "main", sha)
	must(t, err)
	return j
}

// TestTheReconcilerDeploysWhatNoWebhookBrought: with no webhook at all, the
// reconciler deploys the branch's tip; a push made while the service is
// stopped is deployed on its first pass once it starts; a webhook racing
// the reconciler on one commit makes one job.
func TestTheReconcilerDeploysWhatNoWebhookBrought(t *testing.T) {
	const interval = time.Second
	rig := newReconcileRig(t, leafTree("a", "b"), "", interval)
	svc := rig.start(t)
	first := waitDeployed(t, svc, rig.sha)
	if first.Source != jobs.SourceReconciler || first.Status != jobs.StatusSucceeded {
		t.Errorf("first job: source %q, %s", first.Source, first.Status)
	}
	svc.stop(context.Background())

	// A push while the service is down: GitHub's webhook would fail, and
	// GitHub does not deliver it again.
	down := rig.push(t, map[string]string{"facts/p/a/sql-scripts/dml.a.sql": "INSERT INTO a SELECT id FROM src WHERE id IS NOT NULL;"})
	started := time.Now()
	svc = rig.start(t)
	j := waitDeployed(t, svc, down)
	if j.Source != jobs.SourceReconciler {
		t.Errorf("the push made while the service was down was deployed by a %q job, want the reconciler's", j.Source)
	}
	if queued := j.CreatedAt.Sub(started); queued > interval {
		t.Errorf("queued %s after the start, want within one interval (%s): on the first pass", queued, interval)
	}
	// The job's source is on the record, in the ops API and `jobs list`.
	res := opsGet(t, svc.URL+"/api/jobs?source=reconciler")
	if !strings.Contains(res, j.ID) || !strings.Contains(res, `"source":"reconciler"`) {
		t.Errorf("GET /api/jobs?source=reconciler lacks %s: %s", j.ID, res)
	}
	// The ops API reads the table versions from the target the worker deploys to.
	if res := opsGet(t, svc.URL+"/api/versions?table=a"); !strings.Contains(res, `{"tables":[{"table":"a","live":{"version":1,"physical":"a"`) {
		t.Errorf("GET /api/versions?table=a: %s", res)
	}

	// The webhook and the reconciler racing on each of several commits:
	// one job each, whichever came first, and the webhook's answer names it.
	for i := range 3 {
		sha := rig.push(t, map[string]string{"facts/p/b/sql-scripts/dml.b.sql": fmt.Sprintf("INSERT INTO b SELECT id FROM src WHERE id <> '%d';", i)})
		id := pushWebhook(t, svc, sha, fmt.Sprintf("race-%d", i))
		got := waitDeployed(t, svc, sha)
		list, err := svc.queue.List(context.Background(), jobs.Filter{Repo: reconcileRepo, Kind: jobs.KindDeploy})
		must(t, err)
		var of []string
		for _, l := range list {
			if l.After == sha {
				of = append(of, l.ID+" "+string(l.Source))
			}
		}
		if len(of) != 1 || got.ID != id {
			t.Errorf("commit %d: jobs %v, the webhook answered %s: want one job", i, of, id)
		}
	}
	noSecretIn(t, rig.logs, testSecret, testOpsToken, testGHToken)
}

// pushWebhook posts a signed push of sha and returns the job the answer
// names: queued (202), or the reconciler's already (200 duplicate).
func pushWebhook(t *testing.T, svc *service, sha, delivery string) string {
	t.Helper()
	payload, _ := json.Marshal(map[string]any{"ref": "refs/heads/main", "before": strings.Repeat("0", 40), "after": sha,
		"repository": map[string]any{"name": "flink", "full_name": reconcileRepo, "clone_url": "https://github.com/" + reconcileRepo + ".git",
			"owner": map[string]any{"login": "acme", "name": "acme"}}})
	code, body := post(t, svc.URL, "push", delivery, testSecret, payload)
	var answer struct {
		JobID string `json:"job_id"`
	}
	if (code != http.StatusAccepted && code != http.StatusOK) || json.Unmarshal([]byte(body), &answer) != nil || answer.JobID == "" {
		t.Fatalf("push: %d %s", code, body)
	}
	return answer.JobID
}

// opsGet is a GET of the ops API with its token.
func opsGet(t *testing.T, url string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	must(t, err)
	req.Header.Set("Authorization", "Bearer "+testOpsToken)
	res, err := http.DefaultClient.Do(req)
	must(t, err)
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, body)
	}
	return string(body)
}

// metric returns the value of a series of the service's /metrics, -1 when
// absent.
func metric(t *testing.T, svc *service, series string) float64 {
	t.Helper()
	res, err := http.Get(svc.URL + "/metrics")
	must(t, err)
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(string(body))
	if m == nil {
		return -1
	}
	var v float64
	_, _ = fmt.Sscan(m[1], &v)
	return v
}

// TestOneReconcilerAcrossProcesses: two service processes on one NATS run
// one reconciler; when it stops, the other takes over.
func TestOneReconcilerAcrossProcesses(t *testing.T) {
	nats, err := jobs.StartEmbedded(t.TempDir(), jobs.WithListen("127.0.0.1:0"))
	must(t, err)
	defer nats.Shutdown()
	rig := newReconcileRig(t, leafTree("a"), nats.ClientURL(), 200*time.Millisecond)
	one, two := rig.start(t), rig.startIn(t, t.TempDir())
	holder := func() (*service, *service, string) {
		h1, h2 := one.reconciler.Held(), two.reconciler.Held()
		if h1 && h2 {
			t.Fatal("both processes hold the reconciler lease")
		}
		switch {
		case h1:
			return one, two, "one"
		case h2:
			return two, one, "two"
		}
		return nil, nil, "none"
	}
	var leader, other *service
	waitFor(t, 30*time.Second, "a reconciler", func() (bool, string) {
		var who string
		leader, other, who = holder()
		return leader != nil, who
	})
	waitDeployed(t, leader, rig.sha)
	passes := metric(t, leader, "shiftleft_reconcile_passes_total")
	waitFor(t, 30*time.Second, "three more passes", func() (bool, string) {
		if _, _, who := holder(); who == "none" {
			return false, "the lease was let go"
		}
		n := metric(t, leader, "shiftleft_reconcile_passes_total")
		return n >= passes+3, fmt.Sprint(n)
	})
	if n := metric(t, other, "shiftleft_reconcile_passes_total"); n != 0 {
		t.Errorf("the process without the lease ran %v passes", n)
	}
	leader.stop(context.Background())
	waitFor(t, 30*time.Second, "the other process taking over", func() (bool, string) {
		return other.reconciler.Held(), "not held"
	})
}

// emulatorClient is a client of the service's in-process emulator.
func emulatorClient(t *testing.T, cfg *config.Config, svc *service) *confluent.Client {
	t.Helper()
	c := *cfg
	c.Emulator = svc.EmulatorURL
	target, err := c.Target()
	must(t, err)
	client, err := clientOf(target, zap.NewNop())
	must(t, err)
	return client
}

// driftOf is the service's drift report of the repository.
func driftOf(t *testing.T, svc *service) *reconcile.Report {
	t.Helper()
	var out struct{ Reports []*reconcile.Report }
	must(t, json.Unmarshal([]byte(opsGet(t, svc.URL+"/api/drift?repo="+reconcileRepo)), &out))
	if len(out.Reports) != 1 {
		return nil
	}
	return out.Reports[0]
}

// states maps table (and statement, for orphaned and unmanaged) to state.
func states(r *reconcile.Report) map[string]string {
	out := map[string]string{}
	if r == nil {
		return out
	}
	for _, tb := range r.Tables {
		key := tb.Table
		if tb.State == planner.Orphaned || tb.State == planner.Unmanaged {
			key += "/" + tb.Statement
		}
		out[key] = string(tb.State)
	}
	return out
}

func sameStates(got, want map[string]string) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// drift makes each kind of drift on purpose: a failed, a degraded, a
// stopped and a deleted statement, SQL replaced through the API, a
// statement made by hand that writes a table of the tree, and (when the
// push is made) a table deleted from git.
func drift(t *testing.T, svc *service, client *confluent.Client) {
	t.Helper()
	ctx := context.Background()
	must(t, svc.emulator.SetFaults(emulator.Faults{FailStatements: map[string]string{dml("failed", "p"): "Column 'idd' not found"},
		DegradeStatements: map[string]string{dml("degraded", "p"): "backpressure"}}))
	must(t, client.StopStatement(ctx, dml("stopped", "p")))
	must(t, client.DeleteStatement(ctx, dml("missing", "p")))
	must(t, client.WaitForDeletion(ctx, dml("missing", "p")))
	must(t, client.DeleteStatement(ctx, dml("changed", "p")))
	must(t, client.WaitForDeletion(ctx, dml("changed", "p")))
	_, err := client.CreateStatement(ctx, confluent.StatementRequest{Name: dml("changed", "p"), SQL: "INSERT INTO changed SELECT id FROM src WHERE id <> 'x';"})
	must(t, err)
	_, err = client.CreateStatement(ctx, confluent.StatementRequest{Name: "console-backfill", SQL: "INSERT INTO insync SELECT id FROM src;"})
	must(t, err)
}

var driftLeaves = []string{"failed", "degraded", "stopped", "missing", "changed", "insync", "gone"}

// TestDriftStates: each kind of drift made on purpose against the
// emulator is reported with its class by GET /api/drift, `shiftleft drift`,
// `shiftleft pipeline drift` and shiftleft_drift_tables; each table's
// change is logged once.
func TestDriftStates(t *testing.T) {
	rig := newReconcileRig(t, leafTree(driftLeaves...), "", 300*time.Millisecond)
	svc := rig.start(t)
	waitDeployed(t, svc, rig.sha)
	gone := rig.push(t, map[string]string{"facts/p/gone": ""}) // pruning is off: it keeps running
	waitDeployed(t, svc, gone)
	client := emulatorClient(t, rig.cfg, svc)
	drift(t, svc, client)

	want := map[string]string{"failed": "failed", "degraded": "degraded", "stopped": "stopped",
		"missing": "missing", "changed": "changed", "gone/" + dml("gone", "p"): "orphaned",
		"insync/console-backfill": "unmanaged"}
	var report *reconcile.Report
	waitFor(t, time.Minute, "every drift reported", func() (bool, string) {
		report = driftOf(t, svc)
		return sameStates(states(report), want) && report.Counts[planner.InSync] == 2, fmt.Sprint(states(report))
	})
	if report.Commit != gone || report.Environment != "env-local" {
		t.Errorf("report of %s in %s, want the deployed %s in env-local", report.Commit, report.Environment, gone)
	}
	for state, n := range map[string]int{"failed": 1, "orphaned": 1, "unmanaged": 1, "in-sync": 2} {
		series := fmt.Sprintf(`shiftleft_drift_tables{environment="env-local",repo="acme/flink",state=%q}`, state)
		if got := metric(t, svc, series); got != float64(n) {
			t.Errorf("%s = %v, want %d", series, got, n)
		}
	}
	// Logged once, however many passes see it.
	passes := metric(t, svc, "shiftleft_reconcile_passes_total")
	waitFor(t, 30*time.Second, "three more passes", func() (bool, string) {
		n := metric(t, svc, "shiftleft_reconcile_passes_total")
		return n >= passes+3, fmt.Sprint(n)
	})
	for table, state := range map[string]string{"failed": "failed", "stopped": "stopped", "insync": "unmanaged"} {
		n := 0
		for _, e := range rig.logs.FilterMessage("table drifted").All() {
			if f := e.ContextMap(); f["table"] == table && f["state"] == state {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s %s logged %d times, want once", table, state, n)
		}
	}

	// The command line: through the service's ops API, and with no
	// service against the target.
	env := map[string]string{"SL_OPS_TOKEN": testOpsToken}
	r := shiftleft(t, env, "drift", "--url", svc.URL)
	for _, s := range []string{"acme/flink@" + gone[:7], "failed", "Column 'idd' not found", "unmanaged", "console-backfill", "orphaned"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("shiftleft drift lacks %q:\n%s%s", s, r.stdout, r.stderr)
		}
	}
	if r := shiftleft(t, nil, "drift", "--url", svc.URL); r.code != exitUsage || !strings.Contains(r.stderr, "SL_OPS_TOKEN") {
		t.Errorf("shiftleft drift without a token: exit %d %s", r.code, r.stderr)
	}
	r = shiftleft(t, nil, "pipeline", "drift", filepath.Join(rig.g.work, "pipelines"), "--emulator", svc.EmulatorURL)
	if r.code != exitError || !strings.Contains(r.stderr, "not in sync") {
		t.Errorf("pipeline drift: exit %d %s", r.code, r.stderr)
	}
	for _, s := range []string{"1 failed", "1 degraded", "1 stopped", "1 missing", "1 changed", "1 orphaned", "1 unmanaged", "2 in-sync"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("pipeline drift lacks %q:\n%s", s, r.stdout)
		}
	}
}

// TestSelfHeal: with --self-heal, every healable drift is back in sync
// after a pass (orphaned statements deleted, pruning on); a table that
// keeps failing is healed --heal-limit times, then reported and left
// alone.
func TestSelfHeal(t *testing.T) {
	rig := newReconcileRig(t, leafTree(driftLeaves...), "", 300*time.Millisecond)
	svc := rig.start(t)
	waitDeployed(t, svc, rig.sha)
	client := emulatorClient(t, rig.cfg, svc)
	drift(t, svc, client)
	// An orphan: a statement shiftleft made for a table no tree has.
	_, err := client.CreateStatement(context.Background(), confluent.StatementRequest{Name: dml("ghost", "p"),
		SQL: "INSERT INTO insync SELECT id FROM src;", Labels: map[string]string{"shiftleft.table": "ghost"}})
	must(t, err)
	waitFor(t, time.Minute, "the drift reported", func() (bool, string) {
		s := states(driftOf(t, svc))
		return s["failed"] == "failed" && s["degraded"] == "degraded" && s["ghost/"+dml("ghost", "p")] == "orphaned", fmt.Sprint(s)
	})
	must(t, svc.emulator.SetFaults(emulator.Faults{})) // the failure is over; the statement stays FAILED
	svc.stop(context.Background())

	heal := *rig.cfg
	heal.Service.SelfHeal, heal.Service.Prune, heal.Service.HealLimit = true, true, 2
	rig.cfg = &heal
	svc = rig.start(t)
	// In sync, all 8 tables of the tree; the foreign statement is reported.
	want := map[string]string{"insync/console-backfill": "unmanaged"}
	waitFor(t, 2*time.Minute, "every healable drift healed", func() (bool, string) {
		r := driftOf(t, svc)
		return r != nil && sameStates(states(r), want) && r.Counts[planner.InSync] == 8, fmt.Sprint(states(r))
	})
	// One pass healed it all: its one job named every healable drift.
	heals := healJobs(t, svc)
	if len(heals) != 1 || heals[0].Status != jobs.StatusSucceeded || !strings.HasPrefix(heals[0].Summary, "self-heal of ") {
		t.Fatalf("heal jobs %v, want one that succeeded", heals)
	}
	var healed []string
	for _, d := range heals[0].Options.Heal {
		healed = append(healed, d.Table+" "+d.State)
	}
	slices.Sort(healed)
	if want := []string{"changed changed", "failed failed", "ghost orphaned", "missing missing", "stopped stopped"}; !slices.Equal(healed, want) {
		t.Errorf("the heal job healed %v, want %v", healed, want)
	}
	reasons := map[string]string{}
	for _, p := range heals[0].Plan {
		reasons[p.Table] = p.Reason
	}
	for _, table := range []string{"failed", "stopped", "missing", "changed"} {
		if !strings.HasPrefix(reasons[table], "self-heal, ") {
			t.Errorf("%s planned for %q, want the drift as the reason", table, reasons[table])
		}
	}

	// Failing for good: healed up to the limit (once above, once more),
	// then left alone.
	must(t, svc.emulator.SetFaults(emulator.Faults{FailStatements: map[string]string{dml("failed", "p"): "Column 'idd' not found"}}))
	waitFor(t, 2*time.Minute, "the heal limit reached", func() (bool, string) {
		for _, tb := range driftOf(t, svc).Tables {
			if tb.Table == "failed" {
				return tb.State == planner.Failed && strings.HasPrefix(tb.Heal, "left alone: healed 2 times"), string(tb.State) + " " + tb.Heal
			}
		}
		return false, "no table failed"
	})
	passes := metric(t, svc, "shiftleft_reconcile_passes_total")
	waitFor(t, 30*time.Second, "three more passes", func() (bool, string) {
		n := metric(t, svc, "shiftleft_reconcile_passes_total")
		return n >= passes+3, fmt.Sprint(n)
	})
	n := 0
	for _, j := range healJobs(t, svc) {
		for _, d := range j.Options.Heal {
			if d.Table == "failed" {
				n++
			}
		}
	}
	if n != 2 {
		t.Errorf("the failing table was healed %d times, want the limit, 2", n)
	}
}

func healJobs(t *testing.T, svc *service) []*jobs.Job {
	t.Helper()
	list, err := svc.queue.List(context.Background(), jobs.Filter{Source: jobs.SourceSelfHeal})
	must(t, err)
	return list
}

// TestTheReconcilerReadsTheTipWithGitWithoutAToken: with no GitHub token
// the tip comes from the repository itself (ls-remote through go-git),
// with the clone URL's credentials, which no log line or record holds.
func TestTheReconcilerReadsTheTipWithGitWithoutAToken(t *testing.T) {
	const password = "gitpass-8c1d42"
	rig := newReconcileRig(t, leafTree("a"), "", 200*time.Millisecond)
	srv := githttptest.Serve(t, rig.g.bare, "x-access-token", password)
	withCreds := strings.Replace(srv.URL, "http://", "http://x-access-token:"+password+"@", 1)
	rig.cfg.Service.GitHubToken = ""
	rig.cfg.Service.CloneURLs = map[string]string{reconcileRepo: withCreds}
	svc := rig.start(t)
	j := waitDeployed(t, svc, rig.sha)
	if j.Source != jobs.SourceReconciler || j.CloneURL != srv.URL {
		t.Errorf("job from %q cloning %q, want the reconciler's cloning %s", j.Source, j.CloneURL, srv.URL)
	}
	authorized := 0
	for _, r := range srv.Requests() {
		if r.Authorized {
			authorized++
		}
	}
	if authorized == 0 {
		t.Error("the repository was never read with the clone URL's credentials")
	}
	report := opsGet(t, svc.URL+"/api/drift")
	if strings.Contains(report, password) {
		t.Errorf("the drift report holds the password: %s", report)
	}
	noSecretIn(t, rig.logs, password, testSecret, testOpsToken)
}
