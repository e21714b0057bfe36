package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/shiftleft/shiftleft/config"
	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/confluent/emulator"
	"github.com/shiftleft/shiftleft/internal/pipelinegen"
)

// The limits of the scale benchmark: Confluent Cloud's, as issue 12 sets
// them. Each running statement takes one CFU.
const (
	scalePools      = 50
	scalePoolCFU    = 50
	scaleStatements = 10_000
	scaleRate       = 50 // requests per second
	scalePhase      = time.Second
	// maxScaleRatio is the target: the makespan within 25% of its lower
	// bound.
	maxScaleRatio = 1.25
	// maxRefusal bounds how long a tree that cannot fit takes to be refused.
	maxRefusal = 30 * time.Second
)

// scaleOutput is the part of `pipeline deploy --json` the scale benchmark
// reads.
type scaleOutput struct {
	Plan struct {
		Actions []struct {
			Table string   `json:"table"`
			Kind  string   `json:"kind"`
			After []string `json:"after"`
		} `json:"actions"`
	} `json:"plan"`
	Result struct {
		Wall           string `json:"wall"`
		Status         string `json:"status"`
		Verified       bool   `json:"verified"`
		Throttled      int    `json:"throttled"`
		LowestParallel int    `json:"lowest_parallel"`
	} `json:"result"`
}

// benchScale deploys a generated tree of n tables to an emulator with
// Confluent Cloud's limits (50 pools of 50 CFU, 10,000 statements, 50
// requests a second, 1 s a phase change), checks that it stayed within
// them, and reports its makespan against the lower bound max(critical path,
// API calls ÷ rate, statement time ÷ usable parallelism). Then a tree of
// refuse tables, which cannot fit, must be refused in seconds, before
// anything is deployed, naming the CFU and the statements it lacks.
func benchScale(bin, work string, n, refuse, parallel int) error {
	cfg := filepath.Join(work, "scale-config.yaml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, `flink:
  max_cfu: %d
  max_cfu_percent_before_allocation: 1.0
  max_compute_pools: %d
  max_statements: %d
`, scalePoolCFU, scalePools, scaleStatements), 0o644); err != nil {
		return err
	}
	var errs []error
	if n > 0 {
		errs = append(errs, scaleDeploy(bin, work, cfg, n, parallel))
	}
	if refuse > 0 {
		errs = append(errs, scaleRefusal(bin, work, cfg, refuse, parallel))
	}
	return errors.Join(errs...)
}

// served counts the API's answers other than 429 by rate-limit bucket: the
// statements API (per organization) and the compute pools API (a bucket of
// its own).
type served struct {
	mu      sync.Mutex
	buckets map[string]int
}

func (s *served) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		if rec.status == http.StatusTooManyRequests {
			return
		}
		bucket := "statements"
		if strings.HasPrefix(r.URL.Path, "/fcpm/") {
			bucket = "pools"
		}
		s.mu.Lock()
		s.buckets[bucket]++
		s.mu.Unlock()
	})
}

// busiest is the most calls one bucket answered.
func (s *served) busiest() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return max(s.buckets["statements"], s.buckets["pools"])
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// scaleEmulator is an emulator with the benchmark's limits, served over
// HTTP, and a client of it.
func scaleEmulator(count *served) (*emulator.Emulator, *httptest.Server, *confluent.Client, error) {
	emu, err := emulator.New(emulator.Latency(scalePhase), emulator.RateLimit(scaleRate), emulator.MaxStatements(scaleStatements))
	if err != nil {
		return nil, nil, nil, err
	}
	srv := httptest.NewServer(count.handler(emu))
	client, err := confluent.New(confluent.WithFlinkURL(srv.URL), confluent.WithCloudURL(srv.URL),
		confluent.WithOrganization(config.EmulatorOrganization), confluent.WithEnvironment(config.EmulatorEnvironment),
		confluent.WithFlinkAPIKey("bench", "bench"), confluent.WithCloudAPIKey("bench", "bench"),
		confluent.WithRetry(confluent.RetryPolicy{MaxAttempts: 50, BaseDelay: 100 * time.Millisecond, MaxDelay: 2 * time.Second}))
	if err != nil {
		srv.Close()
		_ = emu.Close()
		return nil, nil, nil, err
	}
	return emu, srv, client, nil
}

func scaleDeploy(bin, work, cfg string, n, parallel int) error {
	dir := filepath.Join(work, "scale", "pipelines")
	// Ten products: each fills its own pools, so fewer products waste less
	// of the 50 pools' CFU on half-full last pools.
	tree, err := pipelinegen.Generate(dir, pipelinegen.Options{Tables: n, Seed: 1, Products: 10})
	if err != nil {
		return err
	}
	count := &served{buckets: map[string]int{}}
	emu, srv, client, err := scaleEmulator(count)
	if err != nil {
		return err
	}
	defer srv.Close()
	defer emu.Close()
	fmt.Printf("deploying %d tables within %d pools of %d CFU, %d statements, %d requests/s, %s a phase change, --max-parallel %d...\n",
		n, scalePools, scalePoolCFU, scaleStatements, scaleRate, scalePhase, parallel)
	cmd := exec.Command(bin, "pipeline", "deploy", dir, "--dir", dir, "--emulator", srv.URL, "--config", cfg,
		"--max-parallel", fmt.Sprint(parallel), "--settle", "0s", "--json")
	var out, progress bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &progress
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("scale deploy: %w\n%s", err, tail(progress.String(), 40))
	}
	var d scaleOutput
	if err := json.Unmarshal(out.Bytes(), &d); err != nil {
		return fmt.Errorf("scale deploy output: %w", err)
	}
	wall, err := time.ParseDuration(d.Result.Wall)
	if err != nil {
		return err
	}
	counters := emu.Counters()
	// The calls the deploy needed that the API answered (a 429 is no work
	// done), in the busier of the two rate-limit buckets: taken before the
	// benchmark's own reads below.
	calls := count.busiest()
	// What the limits allowed: no statement created twice, no pool or
	// statement over the quotas.
	var problems []string
	for name, c := range counters.Creates {
		if c > 1 {
			problems = append(problems, fmt.Sprintf("%s created %d times", name, c))
		}
	}
	pools, err := client.ListComputePools(context.Background())
	if err != nil {
		return err
	}
	statements, err := client.ListStatements(context.Background(), confluent.ListOptions{})
	if err != nil {
		return err
	}
	if len(pools) > scalePools {
		problems = append(problems, fmt.Sprintf("%d pools > %d", len(pools), scalePools))
	}
	live := 0
	for _, st := range statements {
		if st.Status == nil || st.Status.Phase != confluent.PhaseDeleting {
			live++
		}
	}
	if live > scaleStatements {
		problems = append(problems, fmt.Sprintf("%d statements > %d", live, scaleStatements))
	}
	if d.Result.Status != "succeeded" || !d.Result.Verified {
		problems = append(problems, "deploy "+d.Result.Status)
	}

	// The lower bound. A table's statements take two phase changes (its
	// DDL completes, its DML runs), and the first pools one to provision.
	depth := map[string]int{}
	longest := 0
	for _, a := range d.Plan.Actions {
		for _, p := range a.After {
			depth[a.Table] = max(depth[a.Table], depth[p])
		}
		depth[a.Table]++
		longest = max(longest, depth[a.Table])
	}
	perTable := 2 * scalePhase
	critical := scalePhase + time.Duration(longest)*perTable
	apiBound := time.Duration(float64(calls) / scaleRate * float64(time.Second))
	usable := min(parallel, scalePools*scalePoolCFU)
	statementBound := time.Duration(len(tree.Tables)) * perTable / time.Duration(usable)
	bound := max(critical, apiBound, statementBound)
	ratio := wall.Seconds() / bound.Seconds()
	status := "met"
	if ratio > maxScaleRatio {
		status = fmt.Sprintf("MISSED (> %.2f)", maxScaleRatio)
	}
	if len(problems) > 0 {
		status = "OVER THE LIMITS: " + strings.Join(problems[:min(len(problems), 5)], "; ")
	}
	fmt.Println()
	fmt.Println("| tables | --max-parallel | makespan | critical path | API calls ÷ rate | statement time ÷ parallel | lower bound | makespan ÷ bound | calls answered (busier bucket) | 429s | lowest parallel | pools | live statements | target |")
	fmt.Println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	fmt.Printf("| %d | %d | %.1fs | %.1fs | %.1fs | %.1fs | %.1fs | %.3f | %d | %d | %d | %d | %d | %s |\n", len(tree.Tables), parallel,
		wall.Seconds(), critical.Seconds(), apiBound.Seconds(), statementBound.Seconds(), bound.Seconds(), ratio,
		calls, d.Result.Throttled, d.Result.LowestParallel, len(pools), live, status)
	if status != "met" {
		return fmt.Errorf("scale deploy: %s", status)
	}
	return nil
}

// scaleRefusal deploys a tree that cannot fit the limits: it must fail in
// seconds, create nothing, and name the CFU and statements it lacks.
func scaleRefusal(bin, work, cfg string, n, parallel int) error {
	dir := filepath.Join(work, "refuse", "pipelines")
	if _, err := pipelinegen.Generate(dir, pipelinegen.Options{Tables: n, Seed: 1}); err != nil {
		return err
	}
	emu, srv, _, err := scaleEmulator(&served{buckets: map[string]int{}})
	if err != nil {
		return err
	}
	defer srv.Close()
	defer emu.Close()
	fmt.Printf("\ndeploying %d tables within the same limits, which they do not fit...\n", n)
	start := time.Now()
	cmd := exec.Command(bin, "pipeline", "deploy", dir, "--dir", dir, "--emulator", srv.URL, "--config", cfg,
		"--max-parallel", fmt.Sprint(parallel))
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	msg := string(out)
	var problems []string
	if err == nil {
		problems = append(problems, "the deploy succeeded")
	}
	if took > maxRefusal {
		problems = append(problems, fmt.Sprintf("refused after %.1fs > %s", took.Seconds(), maxRefusal))
	}
	if c := emu.Counters(); len(c.Creates) > 0 {
		problems = append(problems, fmt.Sprintf("%d statements created", len(c.Creates)))
	}
	for _, want := range []string{"CFU", "statements short"} {
		if !strings.Contains(msg, want) {
			problems = append(problems, "the error does not name the "+want)
		}
	}
	fmt.Printf("refused in %.1fs, nothing deployed: %s\n", took.Seconds(), strings.TrimSpace(tail(msg, 4)))
	if len(problems) > 0 {
		return fmt.Errorf("scale refusal: %s", strings.Join(problems, "; "))
	}
	return nil
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
