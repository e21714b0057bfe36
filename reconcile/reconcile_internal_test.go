package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/shiftleft/shiftleft/jobs"
	"github.com/shiftleft/shiftleft/planner"
)

const (
	tipSHA      = "1111111111111111111111111111111111111111"
	deployedSHA = "2222222222222222222222222222222222222222"
)

// fakeTips and fakeTarget are the git and Confluent sides, by hand: the
// queue is real (embedded NATS).
type fakeTips struct {
	mu  sync.Mutex
	tip string
}

func (f *fakeTips) Tip(context.Context, Repo) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tip, nil
}

type fakeTarget struct {
	mu      sync.Mutex
	desired []planner.Desired
	live    planner.Live
}

func (f *fakeTarget) Environment() string { return "env-1" }
func (f *fakeTarget) Desired(context.Context, string, string) ([]planner.Desired, error) {
	return f.desired, nil
}
func (f *fakeTarget) Live(context.Context) (planner.Live, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.live, nil
}

func newQueue(t *testing.T) *jobs.Queue {
	t.Helper()
	srv, err := jobs.StartEmbedded(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, err := srv.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	q, err := jobs.NewQueue(context.Background(), nc)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

var testRepo = Repo{Name: "acme/flink", CloneURL: "https://github.com/acme/flink.git", Branch: "main"}

// failedTable is a desired table whose DML failed.
func failedTable() ([]planner.Desired, planner.Live) {
	d := planner.Desired{Table: "orders", DDL: "ddl-orders", DML: "dml-orders", Drop: "drop-orders", Fingerprint: "fp"}
	return []planner.Desired{d}, planner.Live{Statements: map[string]planner.Statement{
		"ddl-orders": {Name: "ddl-orders", Phase: planner.PhaseCompleted, Fingerprint: "fp", Table: "orders"},
		"dml-orders": {Name: "dml-orders", Phase: planner.PhaseFailed, Fingerprint: "fp", Table: "orders", Detail: "boom"},
	}}
}

func finish(t *testing.T, q *jobs.Queue, j *jobs.Job, status jobs.Status) {
	t.Helper()
	rec, err := q.Get(context.Background(), j.ID)
	if err != nil {
		t.Fatal(err)
	}
	rec.Status = status
	if err := q.Update(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
}

// TestATipIsQueuedOnceAndAFailedOneIsNotRetried: an undeployed tip gets
// one job, however many passes see it; once that job failed, the passes
// leave it (logged once) until something else changes.
func TestATipIsQueuedOnceAndAFailedOneIsNotRetried(t *testing.T) {
	q := newQueue(t)
	ctx := context.Background()
	must(t, q.SetDeployedCommit(ctx, testRepo.Name, "main", deployedSHA))
	desired, live := failedTable()
	core, logs := observer.New(zap.InfoLevel)
	r, err := New(q, &fakeTips{tip: tipSHA}, &fakeTarget{desired: desired, live: live}, []Repo{testRepo}, WithLogger(zap.New(core)),
		WithSelfHeal(true, false))
	must(t, err)
	for range 3 {
		r.Pass(ctx)
	}
	list, err := q.List(ctx, jobs.Filter{})
	must(t, err)
	if len(list) != 1 || list[0].After != tipSHA || list[0].Source != jobs.SourceReconciler || list[0].Before != deployedSHA {
		t.Fatalf("jobs %+v, want the tip's one deploy job", list)
	}
	finish(t, q, list[0], jobs.StatusFailed)
	for range 3 {
		r.Pass(ctx)
	}
	if list, _ := q.List(ctx, jobs.Filter{}); len(list) != 1 {
		t.Errorf("%d jobs after the tip's job failed, want it left alone (and no heal while the tip is another commit)", len(list))
	}
	if n := logs.FilterMessageSnippet("not retried").Len(); n != 1 {
		t.Errorf("the failed tip logged %d times, want once", n)
	}
	// The report is stored: the deployed commit's drift, the tip beside it.
	reports, err := q.DriftReports(ctx, testRepo.Name)
	must(t, err)
	var rep Report
	if len(reports) != 1 || json.Unmarshal(reports[0], &rep) != nil || rep.Commit != deployedSHA || rep.Tip != tipSHA || rep.Counts[planner.Failed] != 1 {
		t.Errorf("reports %s", reports)
	}
	if n := logs.FilterMessage("table drifted").Len(); n != 1 {
		t.Errorf("the failed table logged %d times over 6 passes, want once", n)
	}
}

// TestHealLimit: a table that keeps failing is healed the limit's times,
// one heal job at a time, then left alone.
func TestHealLimit(t *testing.T) {
	q := newQueue(t)
	ctx := context.Background()
	must(t, q.SetDeployedCommit(ctx, testRepo.Name, "main", deployedSHA))
	desired, live := failedTable()
	r, err := New(q, &fakeTips{tip: deployedSHA}, &fakeTarget{desired: desired, live: live}, []Repo{testRepo},
		WithSelfHeal(true, false), WithHealLimit(2))
	must(t, err)
	var heals []*jobs.Job
	for range 5 {
		r.Pass(ctx)
		j, err := q.HealJob(ctx, testRepo.Name, "main")
		if err == nil && !j.Status.Finished() {
			if len(j.Options.Heal) != 1 || j.Options.Heal[0].Table != "orders" || j.Options.Heal[0].State != "failed" || j.After != deployedSHA {
				t.Fatalf("heal job %+v", j)
			}
			// A second pass while it runs queues nothing.
			r.Pass(ctx)
			heals = append(heals, j)
			finish(t, q, j, jobs.StatusFailed) // it failed again
		}
	}
	if len(heals) != 2 || heals[0].ID == heals[1].ID {
		t.Errorf("%d heal jobs, want the limit, 2", len(heals))
	}
	reports, err := q.DriftReports(ctx, testRepo.Name)
	must(t, err)
	var rep Report
	must(t, json.Unmarshal(reports[0], &rep))
	if len(rep.Tables) != 1 || !strings.HasPrefix(rep.Tables[0].Heal, "left alone: healed 2 times") {
		t.Errorf("report %+v, want the table left alone", rep.Tables)
	}
}

// TestOneLeaseHolder: of two reconcilers on one queue one reconciles;
// when it stops, the other takes over within the lease's TTL.
func TestOneLeaseHolder(t *testing.T) {
	q := newQueue(t)
	desired, live := failedTable()
	start := func() (*Reconciler, context.CancelFunc, chan struct{}) {
		r, err := New(q, &fakeTips{tip: deployedSHA}, &fakeTarget{desired: desired, live: live}, []Repo{testRepo},
			WithInterval(100*time.Millisecond), WithLeaseTTL(time.Second))
		must(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); r.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
		return r, cancel, done
	}
	a, stopA, doneA := start()
	b, stopB, doneB := start()
	deadline := time.Now().Add(20 * time.Second)
	for !a.Held() && !b.Held() {
		if time.Now().After(deadline) {
			t.Fatal("no reconciler took the lease")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for range 20 {
		if a.Held() && b.Held() {
			t.Fatal("both hold the lease")
		}
		time.Sleep(50 * time.Millisecond)
	}
	other := b
	if b.Held() {
		stopB()
		<-doneB
		other = a
	} else {
		stopA()
		<-doneA
	}
	for !other.Held() {
		if time.Now().After(deadline) {
			t.Fatal("the other reconciler did not take over")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// erringTarget cannot read the deployed commit.
type erringTarget struct{ fakeTarget }

func (*erringTarget) Desired(context.Context, string, string) ([]planner.Desired, error) {
	return nil, errors.New("commit gone")
}

// TestDriftGauge: the gauge holds every state of the last pass, and no
// series of a repository whose drift cannot be read.
func TestDriftGauge(t *testing.T) {
	q := newQueue(t)
	ctx := context.Background()
	must(t, q.SetDeployedCommit(ctx, testRepo.Name, "main", deployedSHA))
	desired, live := failedTable()
	reg := prometheus.NewRegistry()
	r, err := New(q, &fakeTips{tip: deployedSHA}, &fakeTarget{desired: desired, live: live}, []Repo{testRepo}, WithRegistry(reg))
	must(t, err)
	// series are shiftleft_drift_tables' values by state.
	series := func() map[string]float64 {
		families, err := reg.Gather()
		must(t, err)
		out := map[string]float64{}
		for _, f := range families {
			if f.GetName() != "shiftleft_drift_tables" {
				continue
			}
			for _, m := range f.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "state" {
						out[l.GetValue()] = m.GetGauge().GetValue()
					}
				}
			}
		}
		return out
	}
	r.Pass(ctx)
	if got := series(); len(got) != len(planner.SyncStates) || got["failed"] != 1 || got["in-sync"] != 0 {
		t.Errorf("series %v, want every state, 1 failed", got)
	}
	r.target = &erringTarget{}
	r.Pass(ctx)
	if got := series(); len(got) != 0 {
		t.Errorf("series %v left once the drift cannot be read, want none", got)
	}
}

// erringTips cannot read the tip (GitHub down).
type erringTips struct{}

func (erringTips) Tip(context.Context, Repo) (string, error) { return "", errors.New("GitHub: 502") }

// TestTheDriftIsReportedWhenTheTipCannotBeRead: the deployed commit's drift
// does not depend on GitHub answering.
func TestTheDriftIsReportedWhenTheTipCannotBeRead(t *testing.T) {
	q := newQueue(t)
	ctx := context.Background()
	must(t, q.SetDeployedCommit(ctx, testRepo.Name, "main", deployedSHA))
	desired, live := failedTable()
	r, err := New(q, erringTips{}, &fakeTarget{desired: desired, live: live}, []Repo{testRepo}, WithSelfHeal(true, false))
	must(t, err)
	r.Pass(ctx)
	reports, err := q.DriftReports(ctx, testRepo.Name)
	must(t, err)
	var rep Report
	must(t, json.Unmarshal(reports[0], &rep))
	if rep.Error != "" || rep.Counts[planner.Failed] != 1 || !strings.Contains(rep.TipError, "502") {
		t.Errorf("report %+v, want the drift and the tip's error", rep)
	}
	if _, err := q.HealJob(ctx, testRepo.Name, "main"); !errors.Is(err, jobs.ErrNotFound) {
		t.Errorf("a heal was queued while the tip is unknown: %v", err)
	}
}

// TestStoredReports: a stored report lists the tables not in sync, at most
// MaxStoredTables, with their details cut; the counts keep every table.
func TestStoredReports(t *testing.T) {
	var statuses []planner.TableStatus
	for i := range MaxStoredTables + 10 {
		statuses = append(statuses, planner.TableStatus{Table: fmt.Sprint("t", i), State: planner.Missing, Detail: strings.Repeat("é", maxDetail)})
	}
	statuses = append(statuses, planner.TableStatus{Table: "fine", State: planner.InSync})
	r := NewReport("acme/flink", "env-1", statuses, time.Now())
	s := r.Stored()
	if len(s.Tables) != MaxStoredTables || s.Omitted != 10 || s.Counts[planner.Missing] != MaxStoredTables+10 || s.Counts[planner.InSync] != 1 {
		t.Errorf("stored %d tables, %d omitted, counts %v", len(s.Tables), s.Omitted, s.Counts)
	}
	if d := s.Tables[0].Detail; len(d) > maxDetail+len("…") || !utf8.ValidString(d) {
		t.Errorf("detail of %d bytes, valid UTF-8 %v", len(d), utf8.ValidString(d))
	}
	if len(r.Tables) != len(statuses) {
		t.Error("Stored changed the report")
	}
	var b strings.Builder
	must(t, s.Write(&b, false))
	if !strings.Contains(b.String(), "… and 10 more tables not in sync") || !strings.Contains(b.String(), "1 in-sync") {
		t.Errorf("written:\n%.300s", b.String())
	}
}
