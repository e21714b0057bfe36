package main

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/shiftleft/shiftleft/config"
	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/confluent/emulator"
	"github.com/shiftleft/shiftleft/deployments"
	"github.com/shiftleft/shiftleft/githubstatus"
	"github.com/shiftleft/shiftleft/gitrepo"
	"github.com/shiftleft/shiftleft/internal/dirfs"
	"github.com/shiftleft/shiftleft/internal/pipelinegen"
	"github.com/shiftleft/shiftleft/inventory"
	"github.com/shiftleft/shiftleft/jobs"
	"github.com/shiftleft/shiftleft/planner"
	"github.com/shiftleft/shiftleft/worker"
)

// planTargets bound the worker's plan of one push, warm, by tree size.
var planTargets = map[int]time.Duration{10_000: 500 * time.Millisecond, 100_000: 2 * time.Second}

// tablesPerPool: the seeded deployment runs this many DMLs on each pool,
// within the emulator's 50 CFU.
const tablesPerPool = 40

type planMeasure struct {
	tables, runs int
	// warm: the worker planned the previous push of the repository
	// before; cold: a worker that never built it. Each is the slowest
	// push's wall time, and the slowest without reading what runs.
	warm, cold         time.Duration
	warmOwn, coldOwn   time.Duration
	inventories, build time.Duration // warm stages
	// readLive is deployments.ReadLive alone: every statement, which the
	// worker reads only when its plan needs more than its tables'.
	readLive   time.Duration
	statements int
	// The cache's charge at its peak and its bound, and the Go heap in use
	// after the warm runs, the cache included.
	peak, bound int64
	heapMB      float64
	missed      []string
}

// benchPlan measures, for each size, the worker's plan of a push that
// changes one to ten files, from having the commits (the fetch is not
// timed) to having the plan: both inventories, their diff, the graph, what
// runs (against an emulator running the first
// commit's tables) and planner.Build. The slowest of runs pushes counts.
func benchPlan(work string, sizes []int, runs int) error {
	var results []planMeasure
	for _, n := range sizes {
		m, err := measurePlan(work, n, runs)
		if err != nil {
			return fmt.Errorf("plan benchmark at %d tables: %w", n, err)
		}
		results = append(results, m)
	}
	fmt.Println()
	fmt.Printf("The worker's plan of a push of one to ten files (the slowest of N pushes; the machine is shared)\n\n")
	fmt.Println("| tables | slowest of | warm | warm without reading what runs | of which inventories and graph / planner | cold | cold without reading what runs | a full ReadLive, for comparison | statements running | cache peak / bound | heap after | target (warm) |")
	fmt.Println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	missed := false
	for _, m := range results {
		status := "-"
		if t, ok := planTargets[m.tables]; ok {
			status = fmt.Sprintf("met (<= %.1fs)", t.Seconds())
		}
		if len(m.missed) > 0 {
			status, missed = "MISSED: "+strings.Join(m.missed, ", "), true
		}
		fmt.Printf("| %d | %d | %.3fs | %.3fs | %.3fs / %.3fs | %.3fs | %.3fs | %.3fs | %d | %.0f / %.0f MB | %.0f MB | %s |\n", m.tables, m.runs,
			m.warm.Seconds(), m.warmOwn.Seconds(), m.inventories.Seconds(), m.build.Seconds(), m.cold.Seconds(), m.coldOwn.Seconds(),
			m.readLive.Seconds(), m.statements, float64(m.peak)/(1<<20), float64(m.bound)/(1<<20), m.heapMB, status)
	}
	if missed {
		return errors.New("a plan target was missed")
	}
	return nil
}

// gitIn runs git in dir.
func gitIn(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=bench", "-c", "user.email=bench@example.com",
		"-c", "commit.gpgsign=false"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("git %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

func commitAll(dir, msg string) (string, error) {
	if _, err := gitIn(dir, "add", "-A"); err != nil {
		return "", err
	}
	if _, err := gitIn(dir, "commit", "-q", "--allow-empty", "-m", msg); err != nil {
		return "", err
	}
	return gitIn(dir, "rev-parse", "HEAD")
}

func measurePlan(work string, n, runs int) (planMeasure, error) {
	m := planMeasure{tables: n, bound: worker.DefaultInventoryCacheBytes}
	ctx := context.Background()
	dir := filepath.Join(work, fmt.Sprintf("plan-%d", n))
	pipelines := filepath.Join(dir, "pipelines")
	start := time.Now()
	tree, err := pipelinegen.Generate(pipelines, pipelinegen.Options{Tables: n, Seed: 1})
	if err != nil {
		return m, err
	}
	if _, err := gitIn(work, "init", "-q", "-b", "main", dir); err != nil {
		return m, err
	}
	base, err := commitAll(dir, "generated")
	if err != nil {
		return m, err
	}
	fmt.Printf("plan benchmark: %d tables generated and committed in %.1fs\n", n, time.Since(start).Seconds())

	// One environment of Confluent Cloud holds 10,000 statements and 50
	// pools of 50 CFU: an estate this size spans several, or has quotas
	// raised. The emulator's are raised to hold all of it in one, so that
	// reading what runs faces every statement.
	statements := 3 * n
	emu, err := emulator.New(emulator.MaxStatements(statements), emulator.MaxComputePools(n/tablesPerPool+1))
	if err != nil {
		return m, err
	}
	defer emu.Close()
	srv := httptest.NewServer(emu)
	defer srv.Close()
	client, err := confluent.New(confluent.WithFlinkURL(srv.URL), confluent.WithCloudURL(srv.URL),
		confluent.WithOrganization(config.EmulatorOrganization), confluent.WithEnvironment(config.EmulatorEnvironment),
		confluent.WithFlinkAPIKey("bench", "bench"), confluent.WithCloudAPIKey("bench", "bench"))
	if err != nil {
		return m, err
	}
	start = time.Now()
	if m.statements, err = deployAll(ctx, client, emu, dir); err != nil {
		return m, err
	}
	fmt.Printf("plan benchmark: %d statements of the first commit running in the emulator after %.1fs\n", m.statements, time.Since(start).Seconds())

	// Each push of the history is one job: the first prepares the warm
	// worker, each next is measured.
	hist := pipelinegen.NewHistory(pipelines, tree, 1)
	shas := []string{base}
	for len(shas) < runs+2 {
		if _, err := hist.Step(); err != nil {
			return m, err
		}
		sha, err := commitAll(dir, fmt.Sprintf("push %d", len(shas)))
		if err != nil {
			return m, err
		}
		shas = append(shas, sha)
	}
	mirrorDir := filepath.Join(work, fmt.Sprintf("mirrors-%d", n))
	mirrors, err := gitrepo.NewCache(mirrorDir)
	if err != nil {
		return m, err
	}
	if _, err := mirrors.Fetch(ctx, dir, shas...); err != nil {
		return m, err
	}
	// Each job has a Repo of its own from Fetch, which finds the commits
	// present and fetches nothing.
	plan := func(p *process, base, head string) (pushTimes, error) {
		repo, err := p.mirrors.Fetch(ctx, dir, base, head)
		if err != nil {
			return pushTimes{}, err
		}
		return planPush(ctx, p.w, repo, base, head)
	}

	newProcess, stop, err := processes(work, mirrorDir, client, statements)
	if err != nil {
		return m, err
	}
	defer stop()
	warm, err := newProcess()
	if err != nil {
		return m, err
	}
	if _, err := plan(warm, shas[0], shas[1]); err != nil {
		return m, err
	}
	for i := 2; i < len(shas); i++ {
		took, err := plan(warm, shas[i-1], shas[i])
		if err != nil {
			return m, err
		}
		first := m.runs == 0
		slowest(&m.warm, took.total, first)
		slowest(&m.warmOwn, took.withoutLive(), first)
		slowest(&m.inventories, took.stages.Inventories, first)
		slowest(&m.build, took.stages.Plan, first)
		// Cold: a worker that never built this repository; the Go heap is
		// emptied first, as in a new process.
		cold, err := newProcess()
		if err != nil {
			return m, err
		}
		runtime.GC()
		if took, err = plan(cold, shas[i-1], shas[i]); err != nil {
			return m, err
		}
		slowest(&m.cold, took.total, first)
		slowest(&m.coldOwn, took.withoutLive(), first)
		start := time.Now()
		if _, err := deployments.ReadLive(ctx, client); err != nil {
			return m, err
		}
		slowest(&m.readLive, time.Since(start), first)
		m.runs++
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.heapMB = float64(ms.HeapInuse) / (1 << 20)
	m.peak = warm.cache.Stats().PeakBytes
	if t, ok := planTargets[n]; ok && m.warm > t {
		m.missed = append(m.missed, fmt.Sprintf("warm %.2fs > %.1fs", m.warm.Seconds(), t.Seconds()))
	}
	if m.peak > m.bound {
		m.missed = append(m.missed, "the cache went over its bound")
	}
	if err := os.RemoveAll(dir); err != nil {
		return m, err
	}
	return m, nil
}

// slowest keeps the longest of the durations it is given: a target holds
// for every push, not for the luckiest.
func slowest(kept *time.Duration, d time.Duration, first bool) {
	if first || d > *kept {
		*kept = d
	}
}

// planPush times one plan.
func planPush(ctx context.Context, w *worker.Worker, repo *gitrepo.Repo, base, head string) (pushTimes, error) {
	start := time.Now()
	p, stages, err := w.PlanCommits(ctx, repo, base, head)
	took := pushTimes{total: time.Since(start), stages: stages}
	if err != nil {
		return took, err
	}
	fmt.Printf("  planned %s..%s in %.3fs (inventories and graph %.3fs, reading what runs %.3fs, planner %.3fs): %d actions\n",
		base[:7], head[:7], took.total.Seconds(), stages.Inventories.Seconds(), stages.Live.Seconds(), stages.Plan.Seconds(), len(p.Actions))
	return took, nil
}

// pushTimes is one plan's wall time and its stages.
type pushTimes struct {
	total  time.Duration
	stages worker.PlanTimes
}

// withoutLive is the plan's time but for reading what runs.
func (p pushTimes) withoutLive() time.Duration { return p.total - p.stages.Live }

// process is what a worker process has: a worker, its git mirrors (whose
// decoded folders it keeps) and its inventory cache.
type process struct {
	w       *worker.Worker
	mirrors *gitrepo.Cache
	cache   *inventory.Cache
}

// processes returns a maker of worker processes on an embedded queue, each
// with caches of its own, planning for an environment of maxStatements
// (flink.max_statements). They share the mirrors' directory, one at a
// time, and fetch nothing.
func processes(work, mirrorDir string, client *confluent.Client, maxStatements int) (func() (*process, error), func(), error) {
	srv, err := jobs.StartEmbedded(filepath.Join(work, "plan-nats"))
	if err != nil {
		return nil, nil, err
	}
	nc, err := srv.Connect()
	if err != nil {
		srv.Shutdown()
		return nil, nil, err
	}
	stop := func() {
		nc.Close()
		srv.Shutdown()
	}
	q, err := jobs.NewQueue(context.Background(), nc)
	if err != nil {
		stop()
		return nil, nil, err
	}
	gh, err := githubstatus.New()
	if err != nil {
		stop()
		return nil, nil, err
	}
	return func() (*process, error) {
		mirrors, err := gitrepo.NewCache(mirrorDir)
		if err != nil {
			return nil, err
		}
		p := &process{mirrors: mirrors, cache: inventory.NewCache(worker.DefaultInventoryCacheBytes, nil)}
		p.w, err = worker.New(q, mirrors, gh, worker.Target{Client: client, Environment: config.EmulatorEnvironment,
			Plan: planner.Options{MaxStatements: maxStatements}},
			worker.Config{Inventories: p.cache}, nil)
		return p, err
	}, stop, nil
}

// deployAll makes the emulator run every table of the tree in dir as a
// deploy of it would leave it: each DDL completed, each DML running on a
// pool, with shiftleft's labels and names. Statements go through the REST
// API, DDLs first; it returns how many.
func deployAll(ctx context.Context, client *confluent.Client, emu *emulator.Emulator, dir string) (int, error) {
	inv, _, err := inventory.Build(dirfs.New(filepath.Join(dir, "pipelines")), inventory.Options{})
	if err != nil {
		return 0, err
	}
	var externals []string
	var tables []*inventory.Table
	for _, name := range inv.Names() {
		if t := inv.Tables[name]; t.External() {
			externals = append(externals, name)
		} else {
			tables = append(tables, t)
		}
	}
	if len(externals) > 0 {
		if err := emu.AddTables(config.EmulatorEnvironment, externals...); err != nil {
			return 0, err
		}
	}
	var pools []string
	for i := 0; i < len(tables); i += tablesPerPool {
		p, err := client.CreateComputePool(ctx, confluent.ComputePoolRequest{
			DisplayName: fmt.Sprintf("bench-%d", i/tablesPerPool), Cloud: "AWS", Region: "us-west-2", MaxCFU: 50})
		if err != nil {
			return 0, err
		}
		pools = append(pools, p.ID)
	}
	naming := planner.DefaultNaming
	create := func(i int, dml bool) error {
		t := tables[i]
		name, ref, pool := naming.DDL(t.Name, t.Product), t.DDLRef, ""
		if dml {
			name, ref, pool = naming.DML(t.Name, t.Product), t.DMLRef, pools[i/tablesPerPool]
		}
		sql, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(ref)))
		if err != nil {
			return err
		}
		_, err = client.CreateStatement(ctx, confluent.StatementRequest{Name: name, SQL: string(sql), ComputePoolID: pool,
			Labels: map[string]string{deployments.LabelTable: t.Name, deployments.LabelFingerprint: deployments.FingerprintLabel(t.Fingerprint)}})
		return err
	}
	count := 0
	for _, dml := range []bool{false, true} {
		var todo []int
		for i, t := range tables {
			if !dml || t.DMLRef != "" {
				todo = append(todo, i)
			}
		}
		if err := parallel(todo, func(i int) error { return create(i, dml) }); err != nil {
			return 0, err
		}
		count += len(todo)
		// The DMLs read the tables the DDLs create: those must be there.
		if err := settled(ctx, client, count); err != nil {
			return 0, err
		}
	}
	return count, nil
}

// parallel calls do with each of todo, 16 at a time, and returns the first
// error.
func parallel(todo []int, do func(int) error) error {
	next := make(chan int)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for range 16 {
		wg.Go(func() {
			for i := range next {
				if err := do(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for _, i := range todo {
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}

// settled waits until the emulator has want statements, none pending.
func settled(ctx context.Context, client *confluent.Client, want int) error {
	for deadline := time.Now().Add(10 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		sts, err := client.ListStatements(ctx, confluent.ListOptions{})
		if err != nil {
			return err
		}
		var pending, failed []string
		for _, st := range sts {
			if st.Status == nil {
				pending = append(pending, st.Name)
				continue
			}
			switch st.Status.Phase {
			case confluent.PhasePending:
				pending = append(pending, st.Name)
			case confluent.PhaseFailed, confluent.PhaseFailing:
				failed = append(failed, st.Name+": "+st.Status.Detail)
			}
		}
		switch {
		case len(failed) > 0:
			return fmt.Errorf("%d statements failed, first %s", len(failed), failed[0])
		case len(sts) == want && len(pending) == 0:
			return nil
		case time.Now().After(deadline):
			return fmt.Errorf("%d statements of %d, %d pending after 10 minutes", len(sts), want, len(pending))
		}
	}
}
