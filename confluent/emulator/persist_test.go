package emulator

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shiftleft/shiftleft/confluent"
)

// TestStateFileSurvivesRestart builds state, restarts the emulator on the
// same file, and finds the same statements, catalog, pools and planned
// changes.
func TestStateFileSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	clock := newFakeClock()
	opts := []Option{StateFile(path), Clock(clock.Now), Latency(time.Second)}

	first := startOn(t, clock, opts...)
	var pool confluent.ComputePool
	first.do("POST", pools, poolBody("p", 1)).want(t, http.StatusAccepted, &pool)
	first.create("ddl-src", "CREATE TABLE src (id INT)")
	first.create("ddl-sink", "CREATE TABLE sink (id INT)")
	first.settle()
	for _, name := range []string{"job", "waiter"} {
		in := createBody(name, "INSERT INTO sink SELECT * FROM src")
		in.Spec.ComputePoolID = pool.ID
		first.do("POST", stmts, in).want(t, http.StatusCreated, nil)
	}
	first.settle()
	first.create("pending", "SELECT * FROM src") // due after the restart
	before := map[string]confluent.Statement{}
	for _, name := range []string{"ddl-src", "job", "waiter", "pending"} {
		before[name] = first.get(name)
	}
	first.srv.Close()
	if err := first.emu.Close(); err != nil {
		t.Fatal(err)
	}

	second := startOn(t, clock, opts...)
	for name, was := range before {
		now := second.get(name)
		if now.Status.Phase != was.Status.Phase || now.Metadata.ResourceVersion != was.Metadata.ResourceVersion ||
			now.Metadata.UID != was.Metadata.UID || now.Spec.ComputePoolID != was.Spec.ComputePoolID {
			t.Errorf("%s: %s v%s before, %s v%s after", name, was.Status.Phase, was.Metadata.ResourceVersion,
				now.Status.Phase, now.Metadata.ResourceVersion)
		}
	}
	// The catalog survived: the table exists, so creating it again fails.
	second.create("again", "CREATE TABLE src (id INT)")
	// The pool's count survived: stopping the job starts the waiter.
	second.setStopped("job", true)
	second.settle()
	for name, want := range map[string]confluent.Phase{"again": "FAILED", "waiter": "RUNNING", "pending": "RUNNING"} {
		if got, detail := second.phaseOf(name); got != want {
			t.Errorf("after restart %s is %s (%s), want %s", name, got, detail, want)
		}
	}
	// Ids keep counting: no new pool or statement reuses one.
	var p2 confluent.ComputePool
	second.do("POST", pools, poolBody("p2", 1)).want(t, http.StatusAccepted, &p2)
	if p2.ID == pool.ID {
		t.Errorf("pool id %s reused", p2.ID)
	}

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("want only the state file in %s, found %d entries", dir, len(entries))
	}
}

func TestStateFileErrors(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.json")
	if err := os.WriteFile(corrupt, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(StateFile(corrupt)); !errors.Is(err, ErrStateFile) {
		t.Errorf("corrupt file: %v, want ErrStateFile", err)
	}
	if _, err := New(StateFile(dir)); !errors.Is(err, ErrStateFile) {
		t.Errorf("a directory: %v, want ErrStateFile", err)
	}
	// A missing file is a fresh start, written on the first change.
	fresh := filepath.Join(dir, "fresh.json")
	h := start(t, StateFile(fresh))
	h.create("s1", "SELECT 1")
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("state file not written: %v", err)
	}
}

// TestBackgroundTimer uses the real clock: the phase changes and the state
// file follows without any request.
func TestBackgroundTimer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	h := startOn(t, nil, StateFile(path), Latency(20*time.Millisecond))
	h.create("ddl", "CREATE TABLE t (id INT)")
	deadline := time.Now().Add(5 * time.Second)
	for {
		reloaded, err := New(StateFile(path), Clock(func() time.Time { return time.Time{} }))
		if err != nil {
			t.Fatal(err)
		}
		reloaded.mu.Lock()
		phase := reloaded.m.Environments[testEnv].Statements["ddl"].Phase
		reloaded.mu.Unlock()
		if phase == confluent.PhaseCompleted {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("state file still says %s", phase)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
