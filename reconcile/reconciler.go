package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/jobs"
	"github.com/shiftleft/shiftleft/planner"
)

// Repo is a repository the reconciler watches.
type Repo struct {
	// Name is owner/name; CloneURL where to fetch it (credentials, if any,
	// are the git cache's business: see gitrepo); Branch the deploy branch.
	Name, CloneURL, Branch string
}

// Queue is what the reconciler needs of the job queue.
type Queue interface {
	Lock(ctx context.Context, key string, ttl time.Duration) (*jobs.Lock, error)
	Publish(ctx context.Context, j *jobs.Job) error
	CommitJob(ctx context.Context, repo, branch, sha string) (*jobs.Job, error)
	HealJob(ctx context.Context, repo, branch string) (*jobs.Job, error)
	DeployedCommit(ctx context.Context, repo, branch string) (string, bool, error)
	PutDrift(ctx context.Context, repo, env string, report []byte) error
}

// Tips tells where a repository's deploy branch is now.
type Tips interface {
	Tip(ctx context.Context, r Repo) (string, error)
}

// Target is the environment the reconciler compares with: the worker's.
type Target interface {
	Environment() string
	// Desired is what commit sha of the repository at cloneURL wants
	// deployed.
	Desired(ctx context.Context, cloneURL, sha string) ([]planner.Desired, error)
	// Live is what runs.
	Live(ctx context.Context) (planner.Live, error)
}

// LeaseKey names the reconciler's lease in the locks bucket.
const LeaseKey = "shiftleft-reconciler"

// Reconciler runs the reconcile loop. Run it in every process that runs
// workers: the lease lets one of them at a time reconcile.
type Reconciler struct {
	q      Queue
	tips   Tips
	target Target
	repos  []Repo
	o      options
	m      *metrics
	log    *zap.Logger

	// Kept by the process while it holds the lease; mu guards them for
	// Held and the tests.
	mu    sync.Mutex
	held  bool
	seen  map[string]planner.SyncState // repo, table, statement -> state last logged
	notes map[string]string            // repo -> the last problem logged
	heals map[string][]time.Time       // repo, table -> heals queued
	// holding are the tables left alone at the heal limit (logged once).
	holding map[string]bool
}

// New returns a reconciler of repos against target.
func New(q Queue, tips Tips, target Target, repos []Repo, opts ...Option) (*Reconciler, error) {
	if q == nil || tips == nil || target == nil {
		return nil, invalid("a queue, a tip reader and a target are required")
	}
	o := options{interval: DefaultInterval, leaseTTL: DefaultLeaseTTL, healLimit: DefaultHealLimit, log: zap.NewNop()}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	for _, r := range repos {
		if r.Name == "" || r.CloneURL == "" || r.Branch == "" {
			return nil, invalid("repository %+v: name, clone URL and branch needed", r)
		}
	}
	return &Reconciler{q: q, tips: tips, target: target, repos: repos, o: o, m: newMetrics(o.registry),
		log: o.log.Named("reconcile"), seen: map[string]planner.SyncState{}, notes: map[string]string{},
		heals: map[string][]time.Time{}, holding: map[string]bool{}}, nil
}

// Held reports whether this process holds the lease now.
func (r *Reconciler) Held() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.held
}

func (r *Reconciler) setHeld(h bool) {
	r.mu.Lock()
	r.held = h
	r.mu.Unlock()
}

// Run takes the lease whenever it is free and, while it holds it, runs a
// pass at once and then every interval. It returns when ctx ends, having
// let the lease go.
func (r *Reconciler) Run(ctx context.Context) {
	ttl := r.o.leaseTTL
	for {
		lease, err := r.q.Lock(ctx, LeaseKey, ttl)
		switch {
		case err == nil:
			r.lead(ctx, lease)
		case !errors.Is(err, jobs.ErrLocked) && ctx.Err() == nil:
			r.note("", "lease", "cannot take the reconciler lease: "+err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(ttl / 3):
		}
	}
}

// lead runs passes while the lease is held: it is refreshed every third of
// its TTL, and given up when a refresh says it was lost or none worked for
// most of the TTL (another process may take it then).
func (r *Reconciler) lead(ctx context.Context, lease *jobs.Lock) {
	ttl := r.o.leaseTTL
	r.log.Info("reconciler lease taken: reconciling", zap.Duration("interval", r.o.interval))
	r.setHeld(true)
	passCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { r.passes(passCtx) })
	defer func() {
		stop()
		wg.Wait()
		r.setHeld(false)
		r.m.drift.Reset()
		release, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = lease.Release(release)
	}()
	refreshed := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(ttl / 3):
		}
		rctx, cancel := context.WithTimeout(ctx, ttl/5)
		err := lease.Refresh(rctx)
		cancel()
		switch {
		case err == nil:
			refreshed = time.Now()
		case errors.Is(err, jobs.ErrLockLost):
			r.log.Warn("reconciler lease lost; another process reconciles", zap.Error(err))
			return
		case ctx.Err() != nil:
			return
		case time.Since(refreshed) > ttl-ttl/10:
			r.log.Warn("reconciler lease not refreshed within its TTL; giving it up", zap.Error(err))
			return
		}
	}
}

func (r *Reconciler) passes(ctx context.Context) {
	for {
		r.Pass(ctx)
		select {
		case <-ctx.Done():
			return
		case <-time.After(r.o.interval):
		}
	}
}

// Pass reconciles every repository once: it queues the deploy of an
// undeployed tip, reports the drift of the deployed commit and, with
// self-heal, queues the redeploy of what drifted. A repository whose tip or
// drift cannot be read is reported and the others go on.
func (r *Reconciler) Pass(ctx context.Context) {
	r.m.passes.Inc()
	env := r.target.Environment()
	live, liveErr := r.target.Live(ctx)
	states := make([]*repoState, len(r.repos))
	for i, repo := range r.repos {
		s := &repoState{repo: repo}
		states[i] = s
		s.deployed, s.err = r.deployedCommit(ctx, repo)
		if s.err == nil {
			s.tip, s.tipErr = r.syncTip(ctx, repo, s.deployed)
		}
		switch {
		case s.err != nil:
		case s.deployed == "":
			s.err = errors.New("nothing deployed from " + repo.Branch + " yet")
		case liveErr != nil:
			s.err = fmt.Errorf("read what runs: %w", liveErr)
		default:
			s.desired, s.err = r.target.Desired(ctx, repo.CloneURL, s.deployed)
		}
	}
	if ctx.Err() != nil {
		return
	}
	for i, s := range states {
		report := &Report{Repo: s.repo.Name, Environment: env, CheckedAt: time.Now().UTC()}
		if s.err == nil {
			report = NewReport(s.repo.Name, env, planner.Status(s.desired, without(live, states, i)), time.Now())
			if r.o.selfHeal && s.tip == s.deployed {
				r.heal(ctx, s.repo, s.deployed, report)
			}
		} else {
			report.Error = s.err.Error()
		}
		report.Branch, report.Commit, report.Tip = s.repo.Branch, s.deployed, s.tip
		if s.tipErr != nil {
			report.TipError = s.tipErr.Error()
		}
		r.record(ctx, report)
	}
}

// repoState is what a pass found of one repository.
type repoState struct {
	repo          Repo
	tip, deployed string
	desired       []planner.Desired
	// err keeps the drift from being read; tipErr the tip (the drift of
	// the deployed commit is still reported).
	err, tipErr error
}

// without is live less the statements the other repositories' desired
// states want: several repositories may deploy to one environment, and one
// repository's tables are not another's orphans. (A repository whose
// desired state could not be read claims none: its statements may show as
// orphaned in the others' reports meanwhile.)
func without(live planner.Live, states []*repoState, self int) planner.Live {
	if len(states) < 2 {
		return live
	}
	out := planner.Live{Statements: make(map[string]planner.Statement, len(live.Statements)), Pools: live.Pools}
	others := map[string]bool{}
	for i, s := range states {
		if i == self {
			continue
		}
		for _, d := range s.desired {
			others[d.DDL], others[d.DML], others[d.Drop] = true, true, true
		}
	}
	for name, st := range live.Statements {
		if !others[name] {
			out.Statements[name] = st
		}
	}
	return out
}

// deployedCommit is the last commit deployed from repo's branch, "" when
// none is.
func (r *Reconciler) deployedCommit(ctx context.Context, repo Repo) (string, error) {
	deployed, _, err := r.q.DeployedCommit(ctx, repo.Name, repo.Branch)
	return deployed, err
}

// syncTip reads the tip and queues its deploy when it is not the deployed
// commit and has no job yet.
func (r *Reconciler) syncTip(ctx context.Context, repo Repo, deployed string) (string, error) {
	tip, err := r.tips.Tip(ctx, repo)
	if err != nil {
		err = fmt.Errorf("read the tip of %s: %w", repo.Branch, err)
		r.note(repo.Name, "tip", err.Error())
		return "", err
	}
	if tip == deployed {
		r.note(repo.Name, "tip", "")
		return tip, nil
	}
	j, err := r.q.CommitJob(ctx, repo.Name, repo.Branch, tip)
	switch {
	case errors.Is(err, jobs.ErrNotFound):
	case err != nil:
		err = fmt.Errorf("read the job of %s: %w", short(tip), err)
		r.note(repo.Name, "tip", err.Error())
		return tip, err
	case !j.Status.Finished():
		return tip, nil
	case j.Status == jobs.StatusFailed || j.Status == jobs.StatusDead:
		// Deploying it again every interval would fail again, and post a
		// failure status each time: it waits for a push or a replay.
		r.note(repo.Name, "tip", fmt.Sprintf("the deploy of %s's tip %s %s (job %s); not retried: push a fix or replay the job",
			repo.Branch, short(tip), j.Status, j.ID))
		return tip, nil
	}
	before := deployed
	if before == "" {
		before = zeroSHA
	}
	job := &jobs.Job{Kind: jobs.KindDeploy, Source: jobs.SourceReconciler, Repo: repo.Name, CloneURL: repo.CloneURL,
		Ref: "refs/heads/" + repo.Branch, Before: before, After: tip, DeliveryID: deliveryID("reconcile", tip)}
	err = r.q.Publish(ctx, job)
	switch {
	case errors.Is(err, jobs.ErrDuplicate):
		return tip, nil // the webhook got there first
	case err != nil:
		err = fmt.Errorf("queue the deploy of %s: %w", short(tip), err)
		r.note(repo.Name, "tip", err.Error())
		return tip, err
	}
	r.m.queued.WithLabelValues(string(jobs.SourceReconciler)).Inc()
	r.log.Info("tip not deployed and no job for it: deploy queued", zap.String("repo", repo.Name), zap.String("branch", repo.Branch),
		zap.String("tip", tip), zap.String("deployed", deployed), zap.String("job_id", job.ID))
	r.note(repo.Name, "tip", "")
	return tip, nil
}

const zeroSHA = "0000000000000000000000000000000000000000"

// deliveryID is unique per job the reconciler queues: the queue keeps
// delivery ids for ever, and the same commit may need a job again later (a
// rollback to it).
func deliveryID(what, sha string) string {
	return what + "-" + short(sha) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
}

// record stores the report, sets the gauge and logs each table whose state
// changed since the last pass.
func (r *Reconciler) record(ctx context.Context, report *Report) {
	if report.Error != "" {
		r.note(report.Repo, "drift", "drift not read: "+report.Error)
		// Counts of an older pass would read as current.
		r.m.drift.DeletePartialMatch(prometheus.Labels{"repo": report.Repo, "environment": report.Environment})
	} else {
		r.note(report.Repo, "drift", "")
		for _, s := range planner.SyncStates {
			r.m.drift.WithLabelValues(report.Repo, report.Environment, string(s)).Set(float64(report.Counts[s]))
		}
		r.logChanges(report)
	}
	data, err := json.Marshal(report.Stored())
	if err == nil {
		err = r.q.PutDrift(ctx, report.Repo, report.Environment, data)
	}
	if err != nil && ctx.Err() == nil {
		r.note(report.Repo, "store", "drift report not stored: "+err.Error())
	} else {
		r.note(report.Repo, "store", "")
	}
}

// logChanges logs a table once when its state changes, not every pass.
func (r *Reconciler) logChanges(report *Report) {
	r.mu.Lock()
	defer r.mu.Unlock()
	prefix := report.Repo + "\x00"
	now := map[string]bool{}
	for _, t := range report.Tables {
		key := t.key(report.Repo)
		now[key] = true
		last, known := r.seen[key]
		r.seen[key] = t.State
		if last == t.State || (!known && t.State == planner.InSync) {
			continue
		}
		fields := []zap.Field{zap.String("repo", report.Repo), zap.String("environment", report.Environment),
			zap.String("table", t.Table), zap.String("state", string(t.State)), zap.String("statement", t.Statement),
			zap.String("detail", t.Detail)}
		if known {
			fields = append(fields, zap.String("was", string(last)))
		}
		if t.State == planner.InSync {
			r.log.Info("table back in sync", fields...)
		} else {
			r.log.Warn("table drifted", fields...)
		}
	}
	for key, last := range r.seen {
		if len(key) > len(prefix) && key[:len(prefix)] == prefix && !now[key] {
			delete(r.seen, key)
			if last != planner.InSync {
				r.log.Info("drift gone: no longer reported", zap.String("repo", report.Repo), zap.String("key", key[len(prefix):]), zap.String("was", string(last)))
			}
		}
	}
}

// key names a table of repo's report across passes: by table, and by
// statement too for the statements that are no table of the tree's
// (orphaned, unmanaged), of which a table may have several.
func (t Table) key(repo string) string {
	key := repo + "\x00" + t.Table + "\x00"
	if t.State == planner.Orphaned || t.State == planner.Unmanaged {
		key += t.Statement
	}
	return key
}

// note logs a repository's problem of a kind once, when it starts or
// changes, and once when it is over ("").
func (r *Reconciler) note(repo, kind, problem string) {
	r.mu.Lock()
	key := repo + "\x00" + kind
	last := r.notes[key]
	if problem == "" {
		delete(r.notes, key)
	} else {
		r.notes[key] = problem
	}
	r.mu.Unlock()
	switch {
	case problem == last:
	case problem == "":
		r.log.Info("reconcile: resolved", zap.String("repo", repo), zap.String("was", last))
	default:
		r.log.Warn("reconcile: "+problem, zap.String("repo", repo))
	}
}
