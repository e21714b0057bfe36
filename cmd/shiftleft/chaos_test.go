package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shiftleft/shiftleft/confluent/emulator"
	"github.com/shiftleft/shiftleft/deployments"
	"github.com/shiftleft/shiftleft/internal/pipelinegen"
	"github.com/shiftleft/shiftleft/inventory"
	"github.com/shiftleft/shiftleft/jobs"
	"github.com/shiftleft/shiftleft/pipeline"
	"github.com/shiftleft/shiftleft/planner"
)

// fullTests says whether the chaos, cluster and scale scenarios run at
// their full size (make test-full) rather than the small one make test runs.
func fullTests() bool { return os.Getenv("SHIFTLEFT_TEST_FULL") == "1" }

// TestWorkerKilledAnywhereInADeployConverges deploys a generated tree, pushes
// a change to some of its stateful sources, and kills the `shiftleft worker`
// deploying it with SIGKILL at a point of its deploy; another worker takes
// the job after the ack wait. Each kill point is a run of its own. Every time
// the job must end succeeded with every table of the tree in sync, or failed
// naming the tables that are not — never succeeded with a table out of sync
// — and no statement may be created twice. make test runs a small tree at a
// few points; make test-full runs 300 tables, 25 sources and 10 points.
func TestWorkerKilledAnywhereInADeployConverges(t *testing.T) {
	tables, sources, points := 40, 4, 3
	if fullTests() {
		tables, sources, points = 300, 25, 10
	}
	ch := newChaos(t, tables, sources)
	for i := 1; i <= points; i++ {
		t.Run(fmt.Sprintf("kill %d of %d", i, points), func(t *testing.T) { ch.run(t, i, points) })
	}
}

// chaos is the git repository of a run: a generated tree at its first
// commit, and a second commit changing some stateful sources.
type chaos struct {
	git                 *demoGit
	bare, first, second string
	changed             []string
	head                *inventory.Inventory
}

// tip force-pushes main to sha: a worker deploys only the branch's tip.
func (ch *chaos) tip(t *testing.T, sha string) {
	t.Helper()
	_, err := ch.git.run("push", "-q", "-f", "origin", sha+":refs/heads/main")
	must(t, err)
}

func newChaos(t *testing.T, tables, sources int) *chaos {
	t.Helper()
	work := filepath.Join(t.TempDir(), "work")
	tree, err := pipelinegen.Generate(filepath.Join(work, "pipelines"), pipelinegen.Options{Tables: tables, Seed: 9})
	must(t, err)
	ch := &chaos{bare: filepath.Join(t.TempDir(), "origin.git")}
	g := &demoGit{work: work, bare: ch.bare}
	ch.git = g
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"init", "-q", "--bare", ch.bare}, {"remote", "add", "origin", ch.bare}} {
		_, err := g.run(args...)
		must(t, err)
	}
	ch.first, err = g.commit("generated")
	must(t, err)
	for _, tb := range tree.Tables {
		if tb.Type != "source" || !tb.Stateful || len(ch.changed) == sources {
			continue
		}
		file := filepath.Join(work, "pipelines", filepath.FromSlash(tb.Folder), "sql-scripts", "dml."+tb.Name+".sql")
		sql, err := os.ReadFile(file)
		must(t, err)
		changed := strings.Replace(string(sql), "'tenant-", "'tenant-v2-", 1)
		if changed == string(sql) {
			t.Fatalf("%s: no literal to change in %s", tb.Name, sql)
		}
		must(t, os.WriteFile(file, []byte(changed), 0o644))
		ch.changed = append(ch.changed, tb.Name)
	}
	if len(ch.changed) < sources {
		t.Fatalf("only %d stateful sources in the generated tree, want %d", len(ch.changed), sources)
	}
	ch.second, err = g.commit("change stateful sources")
	must(t, err)
	ch.head, _, err = inventory.Build(os.DirFS(filepath.Join(work, "pipelines")), inventory.Options{Root: "pipelines"})
	must(t, err)
	return ch
}

// run is one kill point: the i-th of n, spread over the statements the
// second push's deploy creates.
func (ch *chaos) run(t *testing.T, i, n int) {
	ctx := context.Background()
	nats, err := jobs.StartEmbedded(t.TempDir(), jobs.WithListen("127.0.0.1:0"))
	must(t, err)
	defer nats.Shutdown()
	nc, err := nats.Connect()
	must(t, err)
	defer nc.Close()
	q, err := jobs.NewQueue(ctx, nc, jobs.WithAckWait(3*time.Second))
	must(t, err)
	tg := newTarget(t)
	a, _ := observed(t)
	cfg := serviceConfig(t, nats.ClientURL())
	cfg.Emulator, cfg.Service.AckWait, cfg.Service.Workers, cfg.Service.MaxParallel = tg.url, 3*time.Second, 1, 4
	cfg.Service.GitHubToken = "" // statuses are logged: this test is about the deploy
	// shift_left's behaviour: the pushed change recreates stateful tables.
	cfg.Deploy.Strategy, cfg.Deploy.AllowDrop = "recreate", true

	start := time.Now()
	// The first push, deployed by a worker of this process.
	ch.tip(t, ch.first)
	first := ch.job("push-1", strings.Repeat("0", 40), ch.first)
	must(t, q.Publish(ctx, first))
	w, err := a.start(ctx, cfg, startParts{work: true})
	must(t, err)
	if j := finished(t, q, first.ID); j.Status != jobs.StatusSucceeded {
		w.stop(ctx)
		t.Fatalf("first push: %s %s", j.Status, j.Error)
	}
	t.Logf("first push deployed in %s", time.Since(start))
	w.stop(ctx)
	t.Logf("first worker stopped at %s", time.Since(start))

	// The second push, and a worker process killed at the kill point:
	// every request answered a little late stretches the deploy.
	before := tg.creates()
	want := ch.creates(t, tg)
	killAfter := max(1, want*i/(n+1))
	must(t, tg.emu.SetFaults(emulator.Faults{SlowMS: 5}))
	ch.tip(t, ch.second)
	second := ch.job("push-2", ch.first, ch.second)
	must(t, q.Publish(ctx, second))
	cmd := exec.Command(os.Args[0], "worker", "--nats-url", nats.ClientURL(), "--emulator", tg.url, "--data-dir", t.TempDir(),
		"--workers", "1", "--ack-wait", "3s", "--max-parallel", "4", "--metrics-addr", "none")
	cmd.Env = append(os.Environ(), runMainEnv+"=1",
		"SL_CONFIG_FILE="+writeFile(t, "config.yaml", "deploy:\n  strategy: recreate\n  allow_drop: true\n"))
	must(t, cmd.Start())
	for deadline := time.Now().Add(60 * time.Second); total(tg.creates())-total(before) < killAfter; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("the worker created %d of %d statements in 60 s", total(tg.creates())-total(before), killAfter)
		}
	}
	must(t, cmd.Process.Kill())
	_ = cmd.Wait()
	killedAt := total(tg.creates()) - total(before)
	t.Logf("killed at %s", time.Since(start))
	must(t, tg.emu.SetFaults(emulator.Faults{}))

	w, err = a.start(ctx, cfg, startParts{work: true})
	must(t, err)
	defer w.stop(ctx)
	j := finished(t, q, second.ID)
	t.Logf("second push finished at %s", time.Since(start))

	for name, n := range tg.creates() {
		if n-before[name] > 1 {
			t.Errorf("%s created %d times by the second push's deploy", name, n-before[name])
		}
	}
	notInSync := ch.notInSync(t, tg)
	switch {
	case j.Status == jobs.StatusSucceeded && len(notInSync) > 0:
		t.Errorf("the job succeeded with tables out of sync: %v", notInSync)
		ch.explain(t, tg, j, notInSync)
	case j.Status == jobs.StatusFailed:
		for _, s := range notInSync {
			if !strings.Contains(j.Error, s.Table) {
				t.Errorf("the job failed (%s) without naming %s", j.Error, s)
			}
		}
		if len(notInSync) == 0 {
			t.Errorf("the job failed with every table in sync: %s", j.Error)
		}
	case j.Status != jobs.StatusSucceeded:
		t.Errorf("job %s: %s", j.Status, j.Error)
	}
	t.Logf("killed after %d of %d creates (point %d/%d); job %s after %d runs: %s",
		killedAt, want, i, n, j.Status, j.Attempts, j.Summary)
}

func (ch *chaos) job(delivery, before, after string) *jobs.Job {
	return &jobs.Job{Version: jobs.Version, Kind: jobs.KindDeploy, Status: jobs.StatusQueued, Repo: "acme/generated",
		CloneURL: ch.bare, Ref: "refs/heads/main", Before: before, After: after, DeliveryID: delivery, CreatedAt: time.Now().UTC()}
}

// creates is how many statements the second push's deploy creates, as the
// worker plans it now.
func (ch *chaos) creates(t *testing.T, tg *target) int {
	t.Helper()
	g, err := pipeline.New(ch.head)
	must(t, err)
	live, err := deployments.ReadLive(context.Background(), tg.client)
	must(t, err)
	var changes []planner.Change
	for _, n := range ch.changed {
		changes = append(changes, planner.Change{Table: n, DML: true})
	}
	p, err := planner.Build(g, live, planner.Request{Changes: changes}, planner.Options{MayStartDescendants: true,
		Strategy: planner.StrategyRecreate, AllowDrop: true})
	must(t, err)
	n := 0
	for _, a := range p.Actions {
		n += len(slices.DeleteFunc(slices.Clone(a.Steps), func(s planner.Step) bool { return s.Kind == planner.DeleteStatement }))
	}
	if n == 0 {
		t.Fatal("the second push deploys nothing")
	}
	return n
}

// notInSync are the tables of the second commit not in sync now.
func (ch *chaos) notInSync(t *testing.T, tg *target) []planner.TableStatus {
	t.Helper()
	live, err := deployments.ReadLive(context.Background(), tg.client)
	must(t, err)
	var out []planner.TableStatus
	for _, s := range planner.Status(planner.DesiredState(ch.head, planner.DefaultNaming), live) {
		if s.State != planner.InSync && s.State != planner.Orphaned {
			out = append(out, s)
		}
	}
	return out
}

// finished waits for the job to finish, as the demo does.
func finished(t *testing.T, q *jobs.Queue, id string) *jobs.Job {
	t.Helper()
	j, err := waitJob(context.Background(), q, id)
	must(t, err)
	return j
}

// explain logs, for each table out of sync (the first five), what the
// job's last plan said of it and of its parents and grandparents, and when
// their statements were created: what a wrong plan is debugged from.
func (ch *chaos) explain(t *testing.T, tg *target, j *jobs.Job, bad []planner.TableStatus) {
	live, err := deployments.ReadLive(context.Background(), tg.client)
	must(t, err)
	show := func(depth int, n string) {
		tb := ch.head.Tables[n]
		planned := "skipped or not in the plan"
		for _, a := range j.Plan {
			if a.Table == n {
				planned = a.Action + ": " + a.Reason
			}
		}
		d := planner.DesiredState(&inventory.Inventory{Tables: map[string]*inventory.Table{n: tb}}, planner.DefaultNaming)[0]
		ddl, dml := live.Statements[d.DDL], live.Statements[d.DML]
		t.Logf("%s%s (%s, %s): %s; DDL %s at %s, DML %s at %s", strings.Repeat("  ", depth), n, tb.Product, tb.StateForm(), planned,
			ddl.Phase, ddl.CreatedAt.Format("15:04:05.000"), dml.Phase, dml.CreatedAt.Format("15:04:05.000"))
	}
	var walk func(depth int, n string)
	walk = func(depth int, n string) {
		show(depth, n)
		for _, p := range ch.head.Tables[n].Parents {
			if depth < 2 && !ch.head.Tables[p].External() {
				walk(depth+1, p)
			}
		}
	}
	for _, s := range bad[:min(len(bad), 5)] {
		walk(0, s.Table)
	}
	t.Logf("the push changed %v", ch.changed)
}
