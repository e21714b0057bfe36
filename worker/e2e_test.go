package worker_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/config"
	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/confluent/emulator"
	"github.com/shiftleft/shiftleft/deployments"
	"github.com/shiftleft/shiftleft/githubstatus"
	"github.com/shiftleft/shiftleft/gitrepo"
	"github.com/shiftleft/shiftleft/internal/corpus"
	"github.com/shiftleft/shiftleft/internal/emulatortest"
	"github.com/shiftleft/shiftleft/jobs"
	"github.com/shiftleft/shiftleft/planner"
	"github.com/shiftleft/shiftleft/worker"
)

// repo is a working copy pushing to a bare repository, with the git CLI.
type repo struct {
	t          *testing.T
	work, bare string
}

func newRepo(t *testing.T, files func(dir string)) *repo {
	t.Helper()
	r := &repo{t: t, work: filepath.Join(t.TempDir(), "work"), bare: filepath.Join(t.TempDir(), "origin.git")}
	must(t, os.MkdirAll(r.work, 0o755))
	r.git("init", "-q", "-b", "main")
	files(r.work)
	r.git("init", "-q", "--bare", r.bare)
	r.git("remote", "add", "origin", r.bare)
	return r
}

func (r *repo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.work
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+r.work)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit commits every change and pushes the branch; it returns the sha.
func (r *repo) commit(branch, msg string) string {
	r.git("add", "-A")
	r.git("commit", "-q", "-m", msg)
	r.git("push", "-q", "origin", "HEAD:refs/heads/"+branch)
	return r.git("rev-parse", "HEAD")
}

func (r *repo) write(rel, content string) {
	r.t.Helper()
	must(r.t, mkdirWrite(filepath.Join(r.work, filepath.FromSlash(rel)), content))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// service is a worker wired to real components: embedded NATS, the
// emulator over HTTP, a local GitHub.
type service struct {
	q      *jobs.Queue
	emu    *emulator.Emulator
	gh     *github
	client *confluent.Client
}

func newService(t *testing.T, workers int) *service {
	return newServiceWith(t, workers, 1, nil, worker.Config{})
}

// newServiceWith starts consumers workers, each running jobs at a time, with
// the target client optionally wrapped. They plan with shift_left's
// behaviour (--strategy recreate --allow-drop), which most tests replay,
// unless plan gives the options.
func newServiceWith(t *testing.T, jobsEach, consumers int, wrap func(deployments.Client) deployments.Client, cfg worker.Config,
	plan ...planner.Options) *service {
	t.Helper()
	o := planner.Options{Strategy: planner.StrategyRecreate, AllowDrop: true}
	if len(plan) > 0 {
		o = plan[0]
	}
	if cfg.LockTTL == 0 {
		cfg.LockTTL = 5 * time.Second
	}
	srv, err := jobs.StartEmbedded(t.TempDir())
	must(t, err)
	t.Cleanup(srv.Shutdown)
	nc, err := srv.Connect()
	must(t, err)
	t.Cleanup(nc.Close)
	ctx := context.Background()
	// As the service sets it: the jobs in flight across every worker are
	// their concurrency, no fewer.
	q, err := jobs.NewQueue(ctx, nc, jobs.WithAckWait(20*time.Second), jobs.WithBackoff(100*time.Millisecond),
		jobs.WithMaxAckPending(jobsEach*consumers))
	must(t, err)

	rig := emulatortest.Start(t, nil)
	emu, client := rig.Emulator, rig.Client
	var target deployments.Client = client
	if wrap != nil {
		target = wrap(client)
	}

	gh := newGitHub(t)
	reporter, err := githubstatus.New(githubstatus.WithBaseURL(gh.URL+"/"), githubstatus.WithToken("gh-test-token"))
	must(t, err)
	for range consumers {
		startWorker(t, q, reporter, target, emu, cfg, o, jobsEach, nil)
	}
	return &service{q: q, emu: emu, gh: gh, client: client}
}

// declaredTopics are the Kafka topics the test trees read and no folder
// defines, declared as an operator declares them (--external-tables): the
// worker makes no topic of a name the SQL merely reads.
var declaredTopics = []string{"ext_p", "raw_events", "src_common_tenant", "src_table", "src_tag", "tenant_dimension"}

// startWorker runs a worker taking jobs from q, jobsEach at a time, until
// the test ends: it deploys to target, the emulator emu, with a git cache of
// its own; log may be nil.
func startWorker(t *testing.T, q *jobs.Queue, reporter githubstatus.Reporter, target deployments.Client,
	emu *emulator.Emulator, cfg worker.Config, plan planner.Options, jobsEach int, log *zap.Logger) {
	t.Helper()
	cache, err := gitrepo.NewCache(t.TempDir())
	must(t, err)
	w, err := worker.New(q, cache, reporter, worker.Target{
		Client:      target,
		Environment: config.EmulatorEnvironment,
		Plan:        plan,
		Runner:      []deployments.Option{deployments.WithPoolLocation("AWS", "us-west-2")},
		DeclareTables: func(_ context.Context, tables []string) error {
			return emu.AddTables(config.EmulatorEnvironment, tables...)
		},
		ExternalTables: declaredTopics,
	}, cfg, log)
	must(t, err)
	consumer, err := q.Consume(context.Background(), w.Handle, jobsEach)
	must(t, err)
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		consumer.Stop(stop)
	})
}

func mkdirWrite(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(content), 0o644)
}

// feed writes 1,000 records into the topic ext_p and lets the running
// statements move them.
func (s *service) feed(t *testing.T) {
	t.Helper()
	_, err := s.emu.AppendRecords(config.EmulatorEnvironment, "ext_p", 1000)
	must(t, err)
	s.emu.Tick(config.EmulatorEnvironment)
}

// run publishes a job and waits until it is finished.
func (s *service) run(t *testing.T, j *jobs.Job) *jobs.Job {
	t.Helper()
	j.Version, j.Status, j.CreatedAt = jobs.Version, jobs.StatusQueued, time.Now().UTC()
	must(t, s.q.Publish(context.Background(), j))
	return s.wait(t, j.ID)
}

// wait returns the job once it is finished.
func (s *service) wait(t *testing.T, id string) *jobs.Job {
	t.Helper()
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		got, err := s.q.Get(context.Background(), id)
		must(t, err)
		if got.Status.Finished() {
			return got
		}
	}
	t.Fatalf("job %s did not finish", id)
	return nil
}

func creates(s *service) map[string]int {
	out := map[string]int{}
	for k, v := range s.emu.Counters().Creates {
		out[k] = v
	}
	return out
}

func changed(before, after map[string]int) []string {
	var out []string
	for name, n := range after {
		if before[name] != n {
			out = append(out, name)
		}
	}
	return out
}

// TestEndToEnd: a push of shift_left's sample pipelines deploys every table;
// a change to one stateful table recreates exactly what the rules name; a
// pull request gets one comment, edited on its next push.
func TestEndToEnd(t *testing.T) {
	src := corpus.Dir(t, "corpus", "shift_left", "pipelines")
	r := newRepo(t, func(dir string) { corpus.CopyTree(t, src, filepath.Join(dir, "pipelines")) })
	first := r.commit("main", "pipelines")
	s := newService(t, 2)

	j := s.run(t, &jobs.Job{Kind: jobs.KindDeploy, Repo: "acme/flink", CloneURL: r.bare, Ref: "refs/heads/main",
		Before: strings.Repeat("0", 40), After: first, DeliveryID: "push-1"})
	if j.Status != jobs.StatusSucceeded {
		t.Fatalf("first deploy: %s %s\n%+v", j.Status, j.Error, j.Results)
	}
	if got := s.gh.lastState(first); got != "success" {
		t.Errorf("commit status %q, want success", got)
	}
	deployed := creates(s)
	dmls := 0
	for name, n := range deployed {
		if n != 1 {
			t.Errorf("%s created %d times", name, n)
		}
		if strings.Contains(name, "-dml-") {
			dmls++
		}
	}
	// 39 folders: No-Table is reported, not deployed, and
	// sl_raw_transactions has no DML.
	if dmls != 37 || len(deployed) != 37+38 {
		t.Errorf("%d DML statements and %d in all deployed, want 37 and 75: %v", dmls, len(deployed), deployed)
	}

	// A change to a stateful intermediate's DML: it is recreated, and its
	// stateful child p1_fct_order with it; nothing else is touched.
	r.write("pipelines/intermediates/p1/int_table_1/sql-scripts/dml.int_p1_table_1.sql",
		"INSERT INTO int_p1_table_1\nSELECT u.user_id as id, u.user_name, b.account_id, b.account_name, b.balance, 1 as new_att\n"+
			"FROM src_table_1 u\nleft join src_p1_table_3 b on u.user_id = b.user_id;\n")
	second := r.commit("main", "change int_p1_table_1")
	j = s.run(t, &jobs.Job{Kind: jobs.KindDeploy, Repo: "acme/flink", CloneURL: r.bare, Ref: "refs/heads/main",
		Before: first, After: second, DeliveryID: "push-2"})
	if j.Status != jobs.StatusSucceeded {
		t.Fatalf("second deploy: %s %s", j.Status, j.Error)
	}
	got := changed(deployed, creates(s))
	want := map[string]bool{
		"dev-usw2-p1-ddl-int-p1-table-1": true, "dev-usw2-p1-dml-int-p1-table-1": true, "drop-int-p1-table-1": true,
		"dev-usw2-p1-ddl-p1-fct-order": true, "dev-usw2-p1-dml-p1-fct-order": true, "drop-p1-fct-order": true,
	}
	if len(got) != len(want) {
		t.Errorf("statements created by the second deploy %v, want %v", got, want)
	}
	for _, n := range got {
		if !want[n] {
			t.Errorf("%s was touched", n)
		}
	}
	var actions []string
	for _, a := range j.Plan {
		actions = append(actions, a.Table+":"+a.Action)
	}
	if strings.Join(actions, " ") != "int_p1_table_1:recreate p1_fct_order:recreate" {
		t.Errorf("plan %v", actions)
	}

	// A pull request: one comment, edited on the next push.
	r.git("checkout", "-q", "-b", "feature")
	r.write("pipelines/facts/p2/e/sql-scripts/dml.e.sql", "INSERT INTO e\nSELECT c.default_key, 'e2' as e_field, c.c_value FROM c\n")
	head := r.commit("feature", "change e")
	pr := func(sha, delivery string) *jobs.Job {
		s.gh.push(7, sha)
		return s.run(t, &jobs.Job{Kind: jobs.KindPlan, Repo: "acme/flink", CloneURL: r.bare, Ref: "feature",
			Before: second, After: sha, PullRequest: 7, DeliveryID: delivery})
	}
	if j := pr(head, "pr-1"); j.Status != jobs.StatusSucceeded {
		t.Fatalf("plan: %s %s", j.Status, j.Error)
	}
	comments, edits := s.gh.pullComments(7)
	if len(comments) != 1 || edits != 0 {
		t.Fatalf("%d comments, %d edits after the first plan", len(comments), edits)
	}
	for _, body := range comments {
		if !strings.Contains(body, githubstatus.Marker) || !strings.Contains(body, "e") || !strings.Contains(body, "restart-dml") {
			t.Errorf("comment:\n%s", body)
		}
	}
	r.write("pipelines/facts/p2/e/sql-scripts/dml.e.sql", "INSERT INTO e\nSELECT c.default_key, 'e3' as e_field, c.c_value FROM c\n")
	next := r.commit("feature", "change e again")
	if j := pr(next, "pr-2"); j.Status != jobs.StatusSucceeded {
		t.Fatalf("plan: %s %s", j.Status, j.Error)
	}
	if comments, edits = s.gh.pullComments(7); len(comments) != 1 || edits != 1 {
		t.Errorf("%d comments, %d edits after the second push: want the same comment edited", len(comments), edits)
	}
	if after := creates(s); len(changed(deployed, after)) != len(want) {
		t.Errorf("a plan job deployed something: %v", changed(deployed, after))
	}

	// The base branch moves on (a new table) after the pull request left
	// it: the plan shows the pull request's own changes, not main's undone.
	r.git("checkout", "-q", "main")
	r.write("pipelines/facts/p9/fct_new/sql-scripts/ddl.fct_new.sql", "CREATE TABLE fct_new (id STRING);\n")
	r.write("pipelines/facts/p9/fct_new/sql-scripts/dml.fct_new.sql", "INSERT INTO fct_new SELECT default_key FROM c;\n")
	mainHead := r.commit("main", "add fct_new")
	s.gh.push(7, next)
	j = s.run(t, &jobs.Job{Kind: jobs.KindPlan, Repo: "acme/flink", CloneURL: r.bare, Ref: "feature",
		Before: mainHead, After: next, PullRequest: 7, DeliveryID: "pr-3"})
	if j.Status != jobs.StatusSucceeded {
		t.Fatalf("plan after main moved: %s %s", j.Status, j.Error)
	}
	actions = nil
	for _, a := range j.Plan {
		actions = append(actions, a.Table+":"+a.Action)
	}
	if strings.Join(actions, " ") != "e:restart-dml" {
		t.Errorf("plan after main moved on: %v, want e:restart-dml only", actions)
	}
}
