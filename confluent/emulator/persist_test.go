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

	second.srv.Close()
	if err := second.emu.Close(); err != nil { // its last changes are written now
		t.Fatal(err)
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
	// A missing file is a fresh start, written with the first change: at
	// once without a save interval, by the saver within one with it.
	sync := filepath.Join(dir, "sync.json")
	start(t, StateFile(sync), SaveInterval(0)).create("s1", "SELECT 1")
	if _, err := os.Stat(sync); err != nil {
		t.Errorf("state file not written at once: %v", err)
	}
	fresh := filepath.Join(dir, "fresh.json")
	start(t, StateFile(fresh)).create("s1", "SELECT 1")
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(fresh); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("state file not written by the saver: %v", err)
		}
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
		// The saver may have written the file before the create: then it
		// holds no statement yet.
		var phase confluent.Phase
		reloaded.mu.Lock()
		if env := reloaded.m.Environments[testEnv]; env != nil && env.Statements["ddl"] != nil {
			phase = env.Statements["ddl"].Phase
		}
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

// TestStateFileKeepsTheDataPlane: records, positions, state, stop offsets,
// carry-over waits, deletion counts and the clock's advance survive a
// restart, and processing carries on.
func TestStateFileKeepsTheDataPlane(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	clock := newFakeClock()
	opts := []Option{StateFile(path), Clock(clock.Now), ExternalTables([]string{"src", "counts"})}
	first := startOn(t, clock, opts...)
	first.create("ddl-mid", "CREATE TABLE mid (id INT)")
	first.create("ddl-gone", "CREATE TABLE gone (id INT)")
	first.settle()
	first.create("drop-gone", "DROP TABLE gone")
	first.create("dml-mid", "INSERT INTO mid SELECT id FROM src")
	first.create("agg", "INSERT INTO counts SELECT id, COUNT(*) FROM src GROUP BY id")
	first.settle()
	first.records("src", 100)
	first.tick()
	first.setStopped("agg", true)
	first.createWith("dml-mid-v2", "INSERT INTO mid SELECT id FROM src", map[string]string{propInitialOffsetFrom: "dml-mid"})
	first.settle()
	first.advanceClock(2 * time.Hour)
	want := map[string]TopicStats{"src": first.topic("src"), "mid": first.topic("mid"), "gone": first.topic("gone")}
	agg := first.get("agg")
	first.srv.Close()
	if err := first.emu.Close(); err != nil {
		t.Fatal(err)
	}

	second := startOn(t, clock, opts...)
	for table, was := range want {
		if got := second.topic(table); got != was {
			t.Errorf("%s after restart: %+v, was %+v", table, got, was)
		}
	}
	if got := second.get("agg"); got.Status.LatestOffsets["src"] != agg.Status.LatestOffsets["src"] || got.Status.Phase != confluent.PhaseStopped {
		t.Errorf("agg after restart: %s %v, was %v", got.Status.Phase, got.Status.LatestOffsets, agg.Status.LatestOffsets)
	}
	if d := second.data("agg"); d.StateOrigins != 100 || d.Positions["src"] != 100 {
		t.Errorf("agg's data after restart: %+v", d)
	}
	if d := second.data("dml-mid-v2"); d.WaitingFor != "dml-mid" {
		t.Errorf("the carry-over wait after restart: %+v", d)
	}
	var c clockResult
	second.do("GET", "/_emulator/clock", nil).want(t, http.StatusOK, &c)
	if want := clock.Now().Add(2 * time.Hour); !c.Now.Equal(want) {
		t.Errorf("clock after restart %s, want %s", c.Now, want)
	}
	// Processing carries on: the replacement takes the old one's offsets.
	second.setStopped("dml-mid", true)
	second.settle()
	second.records("src", 10)
	second.tick()
	if got := second.topic("mid"); got.Records != 110 || got.Duplicates != 0 || got.Missing != 0 {
		t.Errorf("mid after the carry-over: %+v", got)
	}
}
