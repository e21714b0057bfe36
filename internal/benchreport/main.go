// Command benchreport times whole shiftleft processes on generated pipelines
// trees, as a user would run them: `table build-inventory` then
// `pipeline build-all-metadata`, each a fresh process, wall time and peak RSS
// read from the kernel. `make bench` runs it after the Go benchmarks; it exits
// non-zero when a target is missed.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/shiftleft/shiftleft/internal/pipelinegen"
)

// target is a speed bound for one tree size.
type target struct {
	maxSeconds float64
	maxRSSMB   float64 // 0: no bound
}

var targets = map[int]target{
	10_000:  {maxSeconds: 2, maxRSSMB: 300},
	100_000: {maxSeconds: 20},
}

func main() {
	sizesFlag := flag.String("sizes", "1000,10000,100000", "comma-separated tree sizes in tables (empty: no metadata benchmark)")
	runs := flag.Int("runs", 3, "runs per size (the best is kept; at most 2 from 100,000 tables)")
	deployTables := flag.Int("deploy-tables", 500, "tables of the deploy benchmark (0: none)")
	latency := flag.Duration("latency", 200*time.Millisecond, "emulator latency per phase change in the deploy benchmark")
	parallel := flag.Int("max-parallel", 16, "--max-parallel of the deploy benchmark; it is also run with 1 (shift_left's default) unless -serial=false")
	serial := flag.Bool("serial", true, "also deploy one statement at a time, for comparison")
	ingest := flag.Duration("ingest", 5*time.Second, "how long to post webhooks in the ingest benchmark (0: none)")
	clients := flag.Int("clients", 32, "concurrent webhook clients in the ingest benchmark")
	planSizes := flag.String("plan-sizes", "10000,100000", "comma-separated repository sizes in tables of the worker's plan benchmark (empty: none)")
	planRuns := flag.Int("plan-runs", 3, "pushes planned per size in the plan benchmark (the slowest counts)")
	sc := scaleFlags{}
	flag.IntVar(&sc.tables, "scale-tables", 2000, "tables of the scale benchmark, deployed within Confluent Cloud's limits (0: none)")
	flag.IntVar(&sc.refuse, "scale-refuse", 10_000, "tables of the tree the scale benchmark's limits must refuse (0: none)")
	flag.IntVar(&sc.parallel, "scale-parallel", 64, "--max-parallel of the scale benchmark")
	flag.Parse()
	parallels := []int{*parallel}
	if *serial {
		parallels = append(parallels, 1)
	}
	if err := run(*sizesFlag, *runs, *deployTables, *latency, parallels, *ingest, *clients, *planSizes, *planRuns, sc); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

type measure struct {
	tables                       int
	runs                         int // the best of these is kept
	inventory, metadata, rebuild time.Duration
	// floor is reading every SQL file of the tree once, on every core: what
	// the filesystem alone costs each command.
	floor  time.Duration
	peakMB float64
	missed []string
}

// parseSizes reads a comma-separated list of tree sizes, sorted.
func parseSizes(list string) ([]int, error) {
	var sizes []int
	for _, s := range strings.Split(list, ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad size %q", s)
		}
		sizes = append(sizes, n)
	}
	sort.Ints(sizes)
	return sizes, nil
}

// scaleFlags are the scale benchmark's settings.
type scaleFlags struct{ tables, refuse, parallel int }

func run(sizesFlag string, runs, deployTables int, latency time.Duration, parallels []int, ingest time.Duration, clients int,
	planSizesFlag string, planRuns int, sc scaleFlags) error {
	sizes, err := parseSizes(sizesFlag)
	if err != nil {
		return err
	}
	planSizes, err := parseSizes(planSizesFlag)
	if err != nil {
		return err
	}
	// What ran before (a build, another benchmark deleting its trees) is
	// written back now, not while the first run is timed.
	syscall.Sync()
	work, err := os.MkdirTemp("", "shiftleft-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	bin := filepath.Join(work, "shiftleft")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/shiftleft")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build: %w", err)
	}

	var results []measure
	for _, n := range sizes {
		tries := runs
		if n >= 100_000 {
			tries = min(runs, 2) // a minute each
		}
		m := measure{tables: n, runs: tries}
		for i := 0; i < tries; i++ {
			// Each run gets a freshly generated tree, as after a clone:
			// deleting metadata between runs would time the filesystem's
			// handling of recently deleted inodes instead of shiftleft.
			dir := filepath.Join(work, fmt.Sprintf("%d-%d", n, i), "pipelines")
			start := time.Now()
			if _, err := pipelinegen.Generate(dir, pipelinegen.Options{Tables: n, Seed: 1}); err != nil {
				return err
			}
			fmt.Printf("generated %d tables in %.1fs\n", n, time.Since(start).Seconds())
			// The generator's dirty pages are written back now, not while
			// shiftleft is timed.
			syscall.Sync()
			floor, err := readAll(dir)
			if err != nil {
				return err
			}
			inv, invMB, err := timed(bin, "table", "build-inventory", dir)
			if err != nil {
				return err
			}
			meta, metaMB, err := timed(bin, "pipeline", "build-all-metadata", dir)
			if err != nil {
				return err
			}
			// A rebuild with nothing changed, the common case in a repo.
			again, againMB, err := timed(bin, "pipeline", "build-all-metadata", dir)
			if err != nil {
				return err
			}
			if i == 0 || inv+meta < m.inventory+m.metadata {
				m.inventory, m.metadata, m.rebuild, m.floor = inv, meta, again, floor
				m.peakMB = max(invMB, metaMB, againMB)
			}
			if err := os.RemoveAll(filepath.Dir(dir)); err != nil {
				return err
			}
			// Freeing 100,000 files' blocks is written back now, not while
			// the next run or benchmark is timed.
			syscall.Sync()
		}
		if t, ok := targets[n]; ok {
			if total := (m.inventory + m.metadata).Seconds(); total > t.maxSeconds {
				m.missed = append(m.missed, fmt.Sprintf("%.2fs > %.0fs", total, t.maxSeconds))
			}
			if t.maxRSSMB > 0 && m.peakMB > t.maxRSSMB {
				m.missed = append(m.missed, fmt.Sprintf("%.0f MB > %.0f MB", m.peakMB, t.maxRSSMB))
			}
		}
		results = append(results, m)
	}
	// A missed target does not stop the other benchmarks: the report shows
	// every figure.
	var errs []error
	if len(results) > 0 {
		errs = append(errs, report(results))
	}
	if len(planSizes) > 0 {
		errs = append(errs, benchPlan(work, planSizes, planRuns))
	}
	if ingest > 0 {
		errs = append(errs, benchIngest(bin, work, ingest, clients))
	}
	if deployTables > 0 {
		errs = append(errs, benchDeploy(bin, work, deployTables, latency, parallels))
	}
	if sc.tables > 0 || sc.refuse > 0 {
		errs = append(errs, benchScale(bin, work, sc.tables, sc.refuse, sc.parallel))
	}
	return errors.Join(errs...)
}

func report(results []measure) error {
	fmt.Println()
	fmt.Println("| tables | best of | build-inventory | build-all-metadata | total | per table | peak RSS | metadata rebuild, nothing changed | reading the SQL files once (floor) | target |")
	fmt.Println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	missed := false
	for _, m := range results {
		total := m.inventory + m.metadata
		status := "-"
		if _, ok := targets[m.tables]; ok {
			status = "met"
		}
		if len(m.missed) > 0 {
			status = "MISSED: " + strings.Join(m.missed, ", ")
			missed = true
		}
		fmt.Printf("| %d | %d | %.2fs | %.2fs | %.2fs | %.1f µs | %.0f MB | %.2fs | %.2fs | %s |\n", m.tables, m.runs,
			m.inventory.Seconds(), m.metadata.Seconds(), total.Seconds(),
			float64(total.Microseconds())/float64(m.tables), m.peakMB, m.rebuild.Seconds(), m.floor.Seconds(), status)
	}
	// Linear growth: the cost per table of the largest tree stays within twice
	// that of the 10,000-table tree.
	var base, last *measure
	for i := range results {
		if results[i].tables == 10_000 {
			base = &results[i]
		}
		last = &results[i]
	}
	if base != nil && last.tables > base.tables {
		per := func(m *measure) float64 { return float64(m.inventory+m.metadata) / float64(m.tables) }
		ratio := per(last) / per(base)
		fmt.Printf("\ncost per table at %d tables / at %d tables: %.2f (linear: <= 2)\n", last.tables, base.tables, ratio)
		if ratio > 2 {
			missed = true
		}
	}
	if missed {
		return fmt.Errorf("a target was missed")
	}
	return nil
}

// readAll reads every .sql file under dir once, with a reader per core, as
// each metadata command must: a machine whose file system is slow shows it
// here, apart from shiftleft's own cost.
func readAll(dir string) (time.Duration, error) {
	var files []string
	if err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".sql") {
			files = append(files, p)
		}
		return err
	}); err != nil {
		return 0, err
	}
	start := time.Now()
	next := make(chan string)
	var wg sync.WaitGroup
	errs := make([]error, runtime.GOMAXPROCS(0))
	for i := range errs {
		wg.Go(func() {
			for f := range next {
				if _, err := os.ReadFile(f); err != nil && errs[i] == nil {
					errs[i] = err
				}
			}
		})
	}
	for _, f := range files {
		next <- f
	}
	close(next)
	wg.Wait()
	return time.Since(start), errors.Join(errs...)
}

// timed runs the binary and returns its wall time and peak RSS in MB.
func timed(bin string, args ...string) (time.Duration, float64, error) {
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	start := time.Now()
	out, err := cmd.Output()
	elapsed := time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("%s %s: %w\n%s", bin, strings.Join(args, " "), err, out)
	}
	rss := 0.0
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = float64(ru.Maxrss) / 1024 // Linux reports KiB
	}
	return elapsed, rss, nil
}
