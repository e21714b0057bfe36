package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/shiftleft/shiftleft/config"
	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/confluent/emulator"
	"github.com/shiftleft/shiftleft/internal/pipelinegen"
	"github.com/shiftleft/shiftleft/planner"
)

// maxMakespanRatio is the deploy target: the makespan of a parallel deploy
// within 15% of its lower bound.
const maxMakespanRatio = 1.15

// deployOutput is the part of `pipeline deploy --json` the report reads.
type deployOutput struct {
	Plan struct {
		Actions []struct {
			Table string   `json:"table"`
			After []string `json:"after"`
		} `json:"actions"`
	} `json:"plan"`
	Result struct {
		Wall    string `json:"wall"`
		Status  string `json:"status"`
		Actions []struct {
			Table    string `json:"table"`
			Status   string `json:"status"`
			Duration string `json:"duration"`
		} `json:"actions"`
	} `json:"result"`
}

type makespan struct {
	parallel                 int
	wall, criticalPath, work time.Duration
	perTable                 time.Duration
	tables                   int
}

// lowerBound is max(critical path, total work ÷ parallelism): no schedule
// on that many slots can finish sooner.
func (m makespan) lowerBound() time.Duration {
	return max(m.criticalPath, m.work/time.Duration(m.parallel))
}

func (m makespan) ratio() float64 { return m.wall.Seconds() / m.lowerBound().Seconds() }

// benchDeploy deploys a generated tree of n tables to an in-process emulator
// whose phase changes take latency, once per parallelism, and reports each
// makespan against its lower bound.
func benchDeploy(bin, work string, n int, latency time.Duration, parallels []int) error {
	dir := filepath.Join(work, "deploy", "pipelines")
	tree, err := pipelinegen.Generate(dir, pipelinegen.Options{Tables: n, Seed: 1})
	if err != nil {
		return err
	}
	emu, err := emulator.New(emulator.Latency(latency))
	if err != nil {
		return err
	}
	srv := httptest.NewServer(emu)
	defer srv.Close()
	defer emu.Close()
	client, err := confluent.New(confluent.WithFlinkURL(srv.URL), confluent.WithCloudURL(srv.URL),
		confluent.WithOrganization(config.EmulatorOrganization), confluent.WithEnvironment(config.EmulatorEnvironment),
		confluent.WithFlinkAPIKey("bench", "bench"), confluent.WithCloudAPIKey("bench", "bench"))
	if err != nil {
		return err
	}
	var results []makespan
	for _, p := range parallels {
		emu.Reset()
		// The pools of each product, made beforehand at 50 CFU (each takes
		// 40 running statements at the default 80%): pool creation is not
		// what is measured, and the environment's 50 pools suffice.
		perProduct := map[string]int{}
		for _, t := range tree.Tables {
			perProduct[t.Product]++
		}
		for product, tables := range perProduct {
			for k := 1; k <= (tables+39)/40; k++ {
				if _, err := client.CreateComputePool(context.Background(), confluent.ComputePoolRequest{
					DisplayName: planner.DefaultNaming.ProductPool(product, k), Cloud: "AWS", Region: "us-west-2", MaxCFU: 50}); err != nil {
					return err
				}
			}
		}
		time.Sleep(latency + 100*time.Millisecond) // pools provisioned
		fmt.Printf("deploying %d tables, emulator latency %s, --max-parallel %d...\n", n, latency, p)
		m, err := runDeploy(bin, dir, srv.URL, p)
		if err != nil {
			return err
		}
		results = append(results, m)
	}
	fmt.Println()
	fmt.Printf("| --max-parallel | makespan | critical path | work ÷ parallel | lower bound | makespan ÷ bound | mean per table |\n")
	fmt.Println("|---:|---:|---:|---:|---:|---:|---:|")
	missed := false
	for _, m := range results {
		status := ""
		if m.parallel > 1 && m.ratio() > maxMakespanRatio {
			status, missed = " MISSED", true
		}
		fmt.Printf("| %d | %.1fs | %.1fs | %.1fs | %.1fs | %.3f%s | %dms |\n", m.parallel, m.wall.Seconds(), m.criticalPath.Seconds(),
			(m.work / time.Duration(m.parallel)).Seconds(), m.lowerBound().Seconds(), m.ratio(), status, m.perTable.Milliseconds())
	}
	if missed {
		return fmt.Errorf("a deploy makespan is over %.2f x its lower bound", maxMakespanRatio)
	}
	return nil
}

// runDeploy runs `pipeline deploy --dir` on the whole tree and measures it
// from its own JSON report.
func runDeploy(bin, dir, url string, parallel int) (makespan, error) {
	// --settle 0s: the makespan is the deploy's, not the watch after it.
	cmd := exec.Command(bin, "pipeline", "deploy", dir, "--dir", dir, "--emulator", url,
		"--max-parallel", fmt.Sprint(parallel), "--settle", "0s", "--json")
	var out, progress bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &progress
	if err := cmd.Run(); err != nil {
		return makespan{}, fmt.Errorf("deploy: %w\n%s", err, progress.String())
	}
	var d deployOutput
	if err := json.Unmarshal(out.Bytes(), &d); err != nil {
		return makespan{}, fmt.Errorf("deploy output: %w", err)
	}
	m := makespan{parallel: parallel}
	wall, err := time.ParseDuration(d.Result.Wall)
	if err != nil {
		return m, err
	}
	m.wall = wall
	took := map[string]time.Duration{}
	for _, a := range d.Result.Actions {
		if a.Status != "succeeded" {
			continue
		}
		dur, err := time.ParseDuration(a.Duration)
		if err != nil {
			return m, err
		}
		took[a.Table] = dur
		m.work += dur
		m.tables++
	}
	if m.tables > 0 {
		m.perTable = m.work / time.Duration(m.tables)
	}
	// The plan lists parents first, so one pass finds the longest chain of
	// measured durations.
	finish := map[string]time.Duration{}
	for _, a := range d.Plan.Actions {
		var start time.Duration
		for _, p := range a.After {
			start = max(start, finish[p])
		}
		finish[a.Table] = start + took[a.Table]
		m.criticalPath = max(m.criticalPath, finish[a.Table])
	}
	return m, nil
}
