// Package worker runs jobs: for a push to the deploy branch it fetches the
// commit, builds the pipelines' inventory at the last deployed commit and at
// the pushed one, plans what changed with the deploy rules, deploys, and
// reports a commit status; for a pull request it plans the same way without
// deploying, dry-runs the pull request's new and changed statements against
// the target, and keeps one comment on the pull request up to date.
//
// It speaks JetStream's vocabulary through package jobs: a returned nil
// acknowledges, an error wrapping jobs.ErrInvalidJob terminates, any other
// error hands the job back for a later retry.
package worker

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/deployments"
	"github.com/shiftleft/shiftleft/githubstatus"
	"github.com/shiftleft/shiftleft/gitrepo"
	"github.com/shiftleft/shiftleft/inventory"
	"github.com/shiftleft/shiftleft/jobs"
	"github.com/shiftleft/shiftleft/pipeline"
	"github.com/shiftleft/shiftleft/planner"
)

// Queue is what the worker needs of the job queue.
type Queue interface {
	Update(ctx context.Context, j *jobs.Job) error
	Lock(ctx context.Context, key string, ttl time.Duration) (*jobs.Lock, error)
	DeployedCommit(ctx context.Context, repo, branch string) (string, bool, error)
	SetDeployedCommit(ctx context.Context, repo, branch, sha string) error
}

// Git fetches repositories, and tells where a branch is now.
type Git interface {
	Fetch(ctx context.Context, url string, shas ...string) (*gitrepo.Repo, error)
	Tip(ctx context.Context, url, branch string) (string, error)
}

// Target is where statements go: a Confluent Cloud environment or an
// emulator.
type Target struct {
	// Client talks to the environment.
	Client deployments.Client
	// Environment names the environment in lock keys.
	Environment string
	// Plan are the deploy options that come from configuration (compute
	// pool, naming, common products, CFU ratio); the worker adds the rest.
	Plan planner.Options
	// Runner options (principal, statement properties, pool location...).
	Runner []deployments.Option
	// DeclareTables, when set, declares Kafka topics before a deploy: an
	// in-process emulator has no topic until told. Only declared topics
	// are: those of the tree's seeds/external_tables.json and
	// ExternalTables, never a name the SQL merely reads (a misspelt one
	// would become a topic).
	DeclareTables func(ctx context.Context, tables []string) error
	// ExternalTables are the Kafka topics outside the pipelines that the
	// configuration declares (kafka.external_tables, --external-tables).
	ExternalTables []string
	// DryRun is the base of the pull requests' validations: the
	// properties, principal and compute pool of the target's statements
	// (the pool defaults to Plan's, the naming is Plan's).
	DryRun deployments.ValidateRequest
}

// Config tunes the worker.
type Config struct {
	// PipelinesPath is the pipelines folder in the repository.
	PipelinesPath string
	// LockTTL bounds how long a crashed worker's lock blocks others.
	LockTTL time.Duration
	// LockWait bounds how long a job waits for another deploy of its repo.
	LockWait time.Duration
	// MaxParallel statements at once per deploy.
	MaxParallel int
	// Prune drops the tables deleted from the repository (after the tables
	// that read them are redeployed); off, they are reported and keep
	// running, as Argo CD leaves what it would prune.
	Prune bool
	// Inventories keeps what the worker's inventory builds found, by
	// content, for its later jobs: the deployed commit's inventory, the
	// folders and files a push did not change. Nil: a cache of
	// DefaultInventoryCacheBytes in memory.
	Inventories *inventory.Cache
}

// DefaultInventoryCacheBytes bounds the worker's inventory cache when
// Config gives none: enough for the deployed and the pushed commit of a
// repository of 100,000 tables.
const DefaultInventoryCacheBytes = 1 << 30

func (c Config) withDefaults() Config {
	if c.PipelinesPath == "" {
		c.PipelinesPath = "pipelines"
	}
	if c.LockTTL <= 0 {
		c.LockTTL = 2 * time.Minute
	}
	if c.LockWait <= 0 {
		c.LockWait = 30 * time.Minute
	}
	if c.MaxParallel <= 0 {
		c.MaxParallel = 8
	}
	if c.Inventories == nil {
		c.Inventories = inventory.NewCache(DefaultInventoryCacheBytes, nil)
	}
	return c
}

// Worker runs jobs. It is safe for concurrent use: package jobs calls Handle
// from several goroutines.
type Worker struct {
	q      Queue
	git    Git
	gh     githubstatus.Reporter
	target Target
	cfg    Config
	log    *zap.Logger
	// counted is how many statements the target held at the worker's last
	// read of every statement: a plan on a scoped read counts the others
	// against the statement quota from it.
	counted struct {
		sync.Mutex
		n  int
		at time.Time
	}
}

// countedAge bounds how old a count of every statement may be for a plan
// to rest on it; older, a plan that adds statements reads everything.
const countedAge = 10 * time.Minute

// count records n, the statements of a read of every one.
func (w *Worker) count(n int) {
	w.counted.Lock()
	defer w.counted.Unlock()
	w.counted.n, w.counted.at = n, time.Now()
}

// elsewhere estimates how many statements a scoped read holding read left
// out, -1 when no recent count says.
func (w *Worker) elsewhere(read int) int {
	w.counted.Lock()
	defer w.counted.Unlock()
	if w.counted.at.IsZero() || time.Since(w.counted.at) > countedAge {
		return -1
	}
	return max(0, w.counted.n-read)
}

// New returns a worker; log may be nil.
func New(q Queue, git Git, gh githubstatus.Reporter, target Target, cfg Config, log *zap.Logger) (*Worker, error) {
	if q == nil || git == nil || gh == nil || target.Client == nil {
		return nil, errors.New("worker: a queue, a git cache, a GitHub reporter and a target client are required")
	}
	if log == nil {
		log = zap.NewNop()
	}
	return &Worker{q: q, git: git, gh: gh, target: target, cfg: cfg.withDefaults(), log: log.Named("worker")}, nil
}

// Handle runs one delivery of a job.
func (w *Worker) Handle(ctx context.Context, d *jobs.Delivery) error {
	j := d.Job
	log := w.log.With(zap.String("job_id", j.ID), zap.String("delivery_id", j.DeliveryID),
		zap.String("repo", j.Repo), zap.String("sha", j.After), zap.String("kind", string(j.Kind)))
	stop := d.KeepAlive(ctx)
	defer stop()
	ctx = withDelivery(ctx, d)
	switch j.Kind {
	case jobs.KindDeploy:
		return w.deploy(ctx, j, log)
	case jobs.KindPlan:
		return w.plan(ctx, j, log)
	}
	return fmt.Errorf("%w: unknown kind %q", jobs.ErrInvalidJob, j.Kind)
}

// permanent marks an error no retry can fix (broken SQL, a cycle, a commit
// that no longer exists): the job fails at once.
func permanent(err error) error { return fmt.Errorf("%w: %w", jobs.ErrInvalidJob, err) }

const zeroSHA = "0000000000000000000000000000000000000000"

func isZero(sha string) bool { return sha == "" || strings.Trim(sha, "0") == "" }

// snapshot is the pipelines tree of one commit.
type snapshot struct {
	tree     fs.FS
	inv      *inventory.Inventory
	warnings []inventory.Warning
}

// snapshotAt builds the inventory of the pipelines folder at sha; a commit
// without the folder has an empty inventory. The build goes through the
// worker's cache: a commit built before (the deployed one, by the job that
// deployed it) is a lookup, and a pushed commit reads only the folders it
// changed.
func (w *Worker) snapshotAt(ctx context.Context, repo *gitrepo.Repo, sha string) (*snapshot, error) {
	root := path.Base(w.cfg.PipelinesPath)
	empty := &snapshot{inv: &inventory.Inventory{Root: root, Tables: map[string]*inventory.Table{}}}
	if isZero(sha) {
		return empty, nil
	}
	tree, err := repo.Tree(sha, w.cfg.PipelinesPath)
	if errors.Is(err, fs.ErrNotExist) {
		return empty, nil
	}
	if err != nil {
		return nil, err
	}
	inv, warnings, err := w.build(ctx, tree, root, sha)
	if err != nil {
		return nil, fmt.Errorf("pipelines at %s: %w", short(sha), err)
	}
	return &snapshot{tree: tree, inv: inv, warnings: warnings}, nil
}

// change is what a job plans: the diff between two commits and the plan
// against what runs now.
type change struct {
	head  *snapshot
	graph *pipeline.Graph
	diff  planner.Diff
	plan  *planner.Plan
	// refused says the plan drops topics without permission: it is shown,
	// never run.
	refused *planner.DropError
	took    PlanTimes
}

// PlanTimes is how long the stages of a job's plan took.
type PlanTimes struct {
	// Inventories: both commits' inventories, their diff and the graph.
	Inventories time.Duration
	// Live: reading what runs (deployments.ReadLive).
	Live time.Duration
	// Plan: planner.Build, and planner.Prune when pruning.
	Plan time.Duration
}

// planChange diffs base and head and plans the changed tables and the
// descendants they impact, against what runs now.
func (w *Worker) planChange(ctx context.Context, repo *gitrepo.Repo, base, head string, opts jobs.Options) (_ *change, err error) {
	defer w.recoverPlan(&err)
	start := time.Now()
	baseSnap, err := w.snapshotAt(ctx, repo, base)
	if err != nil {
		// The deployed commit's SQL no longer builds: compare with nothing,
		// which plans every table; those already running are skipped.
		w.log.Warn("base commit does not build; planning every table", zap.String("base", base), zap.Error(err))
		baseSnap = &snapshot{}
	}
	headSnap, err := w.snapshotAt(ctx, repo, head)
	if err != nil {
		return nil, permanent(err)
	}
	g, err := pipeline.New(headSnap.inv)
	if err != nil {
		return nil, permanent(err)
	}
	c := &change{head: headSnap, graph: g, diff: planner.Compare(baseSnap.inv, headSnap.inv)}
	c.took.Inventories = time.Since(start)
	if err := w.declareTopics(ctx, headSnap.inv); err != nil {
		return nil, err
	}
	o := w.target.Plan
	o.MayStartDescendants, o.Force, o.DMLOnly = true, opts.Force, opts.DMLOnly
	o.ReadDDL = deployments.DDLReader(deployments.TreeLoader(headSnap.tree, headSnap.inv))
	if baseSnap.inv != nil {
		o.BaseDDL = deployments.TableDDL(baseSnap.tree, baseSnap.inv)
	}
	req := planner.Request{Changes: c.diff.Changes}
	if opts.Force {
		// The change rule leaves a table that already runs its SQL alone,
		// --force or not; a forced job (a replay of a deployed push) means
		// those tables: they become start tables, which --force recreates.
		for _, ch := range c.diff.Changes {
			req.Tables = append(req.Tables, ch.Table)
		}
	}
	healRequest(&req, opts.Heal, func(n string) bool { return headSnap.inv.Tables[n] != nil })
	prune := w.cfg.Prune && len(c.diff.Deleted) > 0
	build := func(live planner.Live) (*planner.Plan, error) {
		start := time.Now()
		defer func() { c.took.Plan += time.Since(start) }()
		p, err := planner.Build(g, live, req, o)
		// A plan that drops topics without permission is still shown.
		if c.refused = nil; errors.As(err, &c.refused) {
			err = nil
		}
		if err == nil && prune {
			err = planner.Prune(p, baseSnap.inv, live, c.diff.Deleted, o)
		}
		return p, err
	}
	scope := planner.Scope(g, req)
	if prune {
		scope = append(scope, c.diff.Deleted...)
	}
	desired := func(names []string) []planner.Desired {
		gone := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return headSnap.inv.Tables[n] != nil })
		return append(planner.DesiredOf(headSnap.inv, o.Naming, names), planner.DesiredOf(baseSnap.inv, o.Naming, gone)...)
	}
	if err := w.readAndPlan(ctx, c, scope, desired, build); err != nil {
		return nil, err
	}
	healReasons(c.plan, opts.Heal)
	w.log.Debug("planned", zap.String("base", base), zap.String("head", head), zap.Duration("inventories", c.took.Inventories),
		zap.Duration("live", c.took.Live), zap.Duration("plan", c.took.Plan))
	return c, nil
}

// readAndPlan plans c on what runs, read for the tables the plan is
// expected to need (tables, whose statements desired names) while that is
// cheaper than reading every statement: when the plan needs other tables
// (planner.ErrUnread), they are read too and the plan is made again, and
// once reading by table no longer pays, everything is read. The statements
// left out are estimated from the worker's last read of everything, for
// the statement quota; with none recent, a plan that adds statements reads
// everything.
func (w *Worker) readAndPlan(ctx context.Context, c *change, tables []string, desired func([]string) []planner.Desired,
	build func(planner.Live) (*planner.Plan, error)) error {
	environment := len(c.head.inv.Tables)
	live := planner.Live{Statements: map[string]planner.Statement{}, Tables: map[string]bool{}}
	for todo, first := tables, true; ; first = false {
		start := time.Now()
		var err error
		if !first && len(todo) == 0 || !deployments.ScopedReadPays(len(live.Tables)+len(todo), environment) {
			if live, err = deployments.ReadLive(ctx, w.target.Client); err == nil {
				w.count(live.Count())
			}
		} else {
			var more planner.Live
			more, err = deployments.ReadLiveOf(ctx, w.target.Client, desired(todo))
			maps.Copy(live.Statements, more.Statements)
			maps.Copy(live.Tables, more.Tables)
			live.Pools, live.Elsewhere = more.Pools, w.elsewhere(live.Count())
		}
		c.took.Live += time.Since(start)
		if err != nil {
			return fmt.Errorf("read what runs: %w", err)
		}
		c.plan, err = build(live)
		var unread *planner.UnreadError
		if !errors.As(err, &unread) || live.Tables == nil {
			if err != nil {
				return permanent(err)
			}
			return nil
		}
		todo = slices.DeleteFunc(planner.Scope(c.graph, planner.Request{Tables: unread.Tables}), func(n string) bool { return live.Tables[n] })
		if len(todo) == 0 {
			todo = slices.DeleteFunc(unread.Tables, func(n string) bool { return live.Tables[n] })
		}
	}
}

// PlanCommits is what a deploy job of a push from base to head does once it
// has the commits, and deploys nothing: the inventories of both, their
// diff, the graph, what runs, and the plan, with how long each took. Tools
// that preview a push, and the benchmarks, call it.
func (w *Worker) PlanCommits(ctx context.Context, repo *gitrepo.Repo, base, head string) (*planner.Plan, PlanTimes, error) {
	c, err := w.planChange(ctx, repo, base, head, jobs.Options{})
	if err != nil {
		return nil, PlanTimes{}, err
	}
	return c.plan, c.took, nil
}

// declareTopics tells an in-process emulator about the Kafka topics that
// are declared to exist outside the pipelines: the tree's manifest
// (seeds/external_tables.json) and the configuration's. A table the SQL
// reads that nothing declares is not made a topic: the dry runs of a pull
// request must find it missing.
func (w *Worker) declareTopics(ctx context.Context, inv *inventory.Inventory) error {
	if w.target.DeclareTables == nil {
		return nil
	}
	topics := slices.Concat(w.target.ExternalTables, inv.Declared())
	if len(topics) == 0 {
		return nil
	}
	return w.target.DeclareTables(ctx, topics)
}

// planned turns a plan into the job record's lines: every action that does
// work, and the deleted tables the plan does not drop.
func planned(c *change) []jobs.PlannedAction {
	var out []jobs.PlannedAction
	for _, a := range c.plan.Actions {
		if a.Kind != planner.Skip {
			out = append(out, jobs.PlannedAction{Table: a.Table, Action: string(a.Kind), Reason: a.Reason, Consequence: a.Consequence})
		}
	}
	for _, n := range c.kept() {
		out = append(out, jobs.PlannedAction{Table: n, Action: "deleted", Reason: "removed from the repository; " + c.keptReason(n)})
	}
	return out
}

// kept are the deleted tables the plan leaves alone.
func (c *change) kept() []string {
	var out []string
	for _, n := range c.diff.Deleted {
		if a, ok := c.plan.Action(n); !ok || a.Kind == planner.Skip {
			out = append(out, n)
		}
	}
	return out
}

// keptReason says why a deleted table is not dropped.
func (c *change) keptReason(table string) string {
	if a, ok := c.plan.Action(table); ok {
		return a.Reason // pruned, but nothing of it is deployed
	}
	return "it keeps running until it is undeployed (pruning is off)"
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
