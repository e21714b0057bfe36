package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/confluent/emulator"
	"github.com/shiftleft/shiftleft/internal/pipelinegen"
)

// runMainEnv makes the test binary behave as the shiftleft command, so a
// test can run it as a subprocess and kill it.
const runMainEnv = "SHIFTLEFT_TEST_RUN_MAIN"

// openFilesEnv gives that subprocess an open-file limit of its value.
const openFilesEnv = "SHIFTLEFT_TEST_OPEN_FILES"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		if v := os.Getenv(openFilesEnv); v != "" {
			n, err := strconv.ParseUint(v, 10, 64)
			if err == nil {
				err = limitOpenFiles(n)
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s=%s: %v\n", openFilesEnv, v, err)
				os.Exit(exitUsage)
			}
		}
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
	}
	if os.Getenv(settleEnv) == "" {
		// Inherited by the subprocesses the tests start.
		if err := os.Setenv(settleEnv, noSettle); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}

// TestDeployKilledMidPlanResumes kills `shiftleft pipeline deploy` with
// SIGKILL in the middle of a plan, runs it again, and checks the second run
// finishes the job without creating any statement twice.
func TestDeployKilledMidPlanResumes(t *testing.T) {
	const tables = 40
	dir := filepath.Join(t.TempDir(), "pipelines")
	tree, err := pipelinegen.Generate(dir, pipelinegen.Options{Tables: tables, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	tg := newTarget(t, emulator.Latency(40*time.Millisecond))
	ctx := context.Background()
	pool, err := tg.client.CreateComputePool(ctx, confluent.ComputePoolRequest{DisplayName: "crash", Cloud: "AWS", Region: "us-west-2", MaxCFU: 50})
	must(t, err)
	args := []string{"pipeline", "deploy", dir, "--dir", dir, "--emulator", tg.url, "--compute-pool-id", pool.ID, "--max-parallel", "4"}

	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for total(tg.creates()) < tables/2 {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("the first run created only %d statements in 30s", total(tg.creates()))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	killedAt := total(tg.creates())
	if killedAt >= 2*len(tree.Tables) {
		t.Fatalf("the first run finished (%d creates) before it was killed", killedAt)
	}

	r := shiftleft(t, nil, args...)
	if r.code != exitOK {
		t.Fatalf("re-run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	creates := tg.creates()
	for name, n := range creates {
		if n != 1 {
			t.Errorf("%s created %d times", name, n)
		}
	}
	if len(creates) != 2*len(tree.Tables) {
		t.Errorf("%d statements created, want a DDL and a DML for each of %d tables", len(creates), len(tree.Tables))
	}
	for _, tb := range tree.Tables {
		if st := tg.statement(t, dml(tb.Name, tb.Product)); !st.Status.Phase.Running() {
			t.Errorf("%s: %s", st.Name, st.Status.Phase)
		}
	}
	t.Logf("killed after %d creates; the re-run made the other %d", killedAt, total(creates)-killedAt)
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
