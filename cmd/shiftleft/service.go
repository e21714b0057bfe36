package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/config"
	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/confluent/emulator"
	"github.com/shiftleft/shiftleft/githubstatus"
	"github.com/shiftleft/shiftleft/gitrepo"
	"github.com/shiftleft/shiftleft/internal/dirlock"
	"github.com/shiftleft/shiftleft/jobs"
	"github.com/shiftleft/shiftleft/opsapi"
	"github.com/shiftleft/shiftleft/reconcile"
	"github.com/shiftleft/shiftleft/webhook"
	"github.com/shiftleft/shiftleft/worker"
)

// serviceFlags are the settings of serve, webhook and worker; a flag set on
// the command line wins over the config file's service section.
type serviceFlags struct {
	configFile                                                                                  string
	addr, dataDir, natsURL, natsListen, deployBranch, pipelinesPath, githubAPIURL, emulatorAddr string
	metricsAddr                                                                                 string
	emulator                                                                                    string
	workers, maxParallel, replicas, maxConns, maxInFlight                                       int
	allowRepos, externalTables                                                                  []string
	cloneURLs                                                                                   map[string]string
	grace, ackWait, jobRetention                                                                time.Duration
	prune                                                                                       bool
	// The reconciler's.
	reconcileInterval time.Duration
	selfHeal          bool
	healLimit         int
	// flags tells a boolean flag given as false from one not given.
	flags *pflag.FlagSet
}

func (f *serviceFlags) register(cmd *cobra.Command, http, work bool) {
	fl := cmd.Flags()
	f.flags = fl
	fl.StringVar(&f.configFile, "config", "", "config.yaml with a service section (default $SL_CONFIG_FILE, $CONFIG_FILE or ./config.yaml)")
	fl.StringVar(&f.dataDir, "data-dir", "", "where the embedded NATS store, git mirrors and emulator state live (default .shiftleft)")
	fl.StringVar(&f.natsURL, "nats-url", "", "connect to this NATS server or cluster instead of embedding one")
	fl.DurationVar(&f.grace, "shutdown-grace", 30*time.Second, "on SIGTERM, how long jobs in flight may finish before they are handed back")
	fl.DurationVar(&f.ackWait, "ack-wait", 0, "how long a silent worker keeps a job before it goes to another (default 2m)")
	fl.DurationVar(&f.jobRetention, "job-retention", 0, "how long a job record is kept after its last change, for listing and replay (default 720h)")
	fl.IntVar(&f.replicas, "replicas", 0, "replicas (1 to 5) of the jobs stream and KV buckets, existing ones updated; give every process the same (default 3 on a cluster of 3 or more JetStream servers, else 1)")
	fl.IntVar(&f.maxConns, "max-connections", 0, "connections each HTTP server keeps open; a newcomer closes the idle or slowest one (default: what the open-file limit allows, up to 4096)")
	fl.IntVar(&f.maxInFlight, "max-in-flight", 0, "requests each HTTP server receives and handles at once; beyond them, 503 at once (default 256, or half the connections)")
	if http {
		fl.StringVar(&f.addr, "addr", "", "address of the webhook and ops API (default 127.0.0.1:8080)")
	}
	// The reconciler, which runs beside the workers, watches the same
	// repositories and branch as the webhook.
	fl.StringVar(&f.deployBranch, "deploy-branch", "", "branch whose pushes deploy (default main)")
	fl.StringSliceVar(&f.allowRepos, "allow-repo", nil, "repository OWNER/NAME whose webhooks are accepted and whose deploy branch the reconciler watches (repeatable; nothing is allowed unless listed)")
	// Workers need the clone URLs too: credentials written in them are
	// given to git there, never carried by a job.
	fl.StringToStringVar(&f.cloneURLs, "clone-url", nil, "OWNER/NAME=URL: clone this repository from URL instead of the event's clone_url; "+
		"credentials in URL (https://user:token@host/...) are used to fetch, never stored or logged (give a worker process the same flag)")
	if work {
		fl.IntVar(&f.workers, "workers", 0, "jobs run at the same time by this process (default 2)")
		fl.IntVar(&f.maxParallel, "max-parallel", 0, "statements deployed at the same time per job (default 8)")
		fl.StringVar(&f.pipelinesPath, "pipelines-path", "", "pipelines folder in the repository (default pipelines)")
		fl.StringVar(&f.githubAPIURL, "github-api-url", "", "GitHub API base URL (default https://api.github.com/)")
		fl.StringVar(&f.emulatorAddr, "emulator-addr", "", "where the in-process emulator listens when no Confluent Cloud target is configured (default 127.0.0.1:8081)")
		fl.BoolVar(&f.prune, "prune", false, "drop the tables a push deletes from the repository, once the tables reading them are redeployed (default off: reported, left running)")
		fl.StringVar(&f.emulator, "emulator", "", "deploy to the shiftleft emulator at this URL (shared by several workers) instead of Confluent Cloud")
		fl.DurationVar(&f.reconcileInterval, "reconcile-interval", config.DefaultReconcileInterval, "how often the reconciler reads each allowed repository's deploy branch, deploys a tip no webhook brought, and compares what runs with the deployed commit (drift); 0 turns it off")
		fl.BoolVar(&f.selfHeal, "self-heal", false, "redeploy the tables that drifted from the deployed commit (failed, stopped, missing, changed; orphaned statements deleted with --prune) through a deploy job")
		fl.IntVar(&f.healLimit, "heal-limit", 0, "times a table is healed in an hour before it is reported and left alone (default 3)")
		fl.StringSliceVar(&f.externalTables, "external-tables", nil, "Kafka topics outside the pipelines that their SQL reads, beside those of seeds/external_tables.json (comma-separated; adds to kafka.external_tables)")
	}
	if work && !http {
		fl.StringVar(&f.metricsAddr, "metrics-addr", "", "address of this worker's /healthz, /readyz and /metrics (default 127.0.0.1:8082; \"none\" for no HTTP)")
	}
	if http {
		fl.StringVar(&f.natsListen, "nats-listen", "", "address the embedded NATS server listens on, for `shiftleft worker` processes and `shiftleft jobs` (default 127.0.0.1:4222; \"none\" to stay in-process)")
	}
}

// settings loads the config file and applies the flags over its service
// section.
func (a *app) settings(f serviceFlags) (*config.Config, error) {
	cfg, err := a.loadConfig(f.configFile)
	if err != nil {
		return nil, err
	}
	if err := f.validate(); err != nil {
		return nil, err
	}
	s := &cfg.Service
	for _, o := range []struct {
		dst *string
		v   string
	}{{&s.Addr, f.addr}, {&s.DataDir, f.dataDir}, {&s.NATSURL, f.natsURL},
		{&s.NATSListen, f.natsListen}, {&s.DeployBranch, f.deployBranch}, {&s.PipelinesPath, f.pipelinesPath},
		{&s.GitHubAPIURL, f.githubAPIURL}, {&s.EmulatorAddr, f.emulatorAddr}, {&s.MetricsAddr, f.metricsAddr}} {
		if o.v != "" {
			*o.dst = o.v
		}
	}
	if f.workers > 0 {
		s.Workers = f.workers
	}
	if f.maxParallel > 0 {
		s.MaxParallel = f.maxParallel
	}
	if f.maxConns > 0 {
		s.MaxConnections = f.maxConns
	}
	if f.maxInFlight > 0 {
		s.MaxInFlight = f.maxInFlight
	}
	if len(f.allowRepos) > 0 {
		s.AllowRepos = f.allowRepos
	}
	cfg.Emulator = f.emulator
	cfg.Kafka.ExternalTables = append(cfg.Kafka.ExternalTables, trimAll(f.externalTables)...)
	if f.ackWait > 0 {
		s.AckWait = f.ackWait
	}
	if f.jobRetention > 0 {
		s.JobRetention = f.jobRetention
	}
	if f.flags != nil && f.flags.Changed("prune") {
		s.Prune = f.prune
	}
	if f.flags != nil && f.flags.Changed("replicas") {
		s.Replicas = f.replicas
	}
	if f.flags != nil && f.flags.Changed("reconcile-interval") {
		s.ReconcileInterval = &f.reconcileInterval
	}
	if f.flags != nil && f.flags.Changed("self-heal") {
		s.SelfHeal = f.selfHeal
	}
	if f.healLimit > 0 {
		s.HealLimit = f.healLimit
	}
	for k, v := range f.cloneURLs {
		if s.CloneURLs == nil {
			s.CloneURLs = map[string]string{}
		}
		s.CloneURLs[k] = v
	}
	return cfg, nil
}

// validate refuses a negative count or duration: 0 is the default, less is
// a mistake.
func (f serviceFlags) validate() error {
	for _, v := range []struct {
		flag string
		n    int64
	}{{"workers", int64(f.workers)}, {"max-parallel", int64(f.maxParallel)}, {"max-connections", int64(f.maxConns)},
		{"max-in-flight", int64(f.maxInFlight)}, {"ack-wait", int64(f.ackWait)}, {"job-retention", int64(f.jobRetention)},
		{"shutdown-grace", int64(f.grace)}, {"reconcile-interval", int64(f.reconcileInterval)}, {"heal-limit", int64(f.healLimit)}} {
		if v.n < 0 {
			return usagef("--%s: %s is negative", v.flag, f.flags.Lookup(v.flag).Value)
		}
	}
	return nil
}

// loadConfig reads the config file given, or $SL_CONFIG_FILE, $CONFIG_FILE,
// or ./config.yaml when it exists.
func (a *app) loadConfig(path string) (*config.Config, error) {
	explicit := path != ""
	for _, env := range []string{"SL_CONFIG_FILE", "CONFIG_FILE"} {
		if v := a.getenv(env); path == "" && v != "" {
			path, explicit = v, true
		}
	}
	if path == "" {
		path = "config.yaml"
	}
	return config.Load(path, explicit, a.getenv)
}

// service is the running parts of shiftleft's service; any may be nil when
// a process runs only some of them.
type service struct {
	log      *zap.Logger
	locks    []*dirlock.Lock
	nats     *jobs.Server
	nc       *nats.Conn
	queue    *jobs.Queue
	consumer *jobs.Consumer
	emulator *emulator.Emulator
	servers  []*webhook.Server
	// stopReconciler stops the reconcile loop and lets its lease go.
	stopReconciler func()
	reconciler     *reconcile.Reconciler
	// closeInventories writes the inventory cache's pending entries.
	closeInventories func() error
	// URL is where the webhook and ops API answer; EmulatorURL the
	// in-process emulator's.
	URL, EmulatorURL string
}

// startParts says which parts a process runs.
type startParts struct{ http, work bool }

// command is the command that runs these parts.
func (p startParts) command() string {
	switch {
	case p.http && p.work:
		return "serve"
	case p.http:
		return "webhook"
	}
	return "worker"
}

// listeners are a process's addresses, listened on before anything slow
// starts: a port in use fails at once, not once the store has opened.
type listeners struct {
	// http serves the webhook and the ops API, or a worker's probes;
	// emulator the in-process emulator. Either may be nil.
	http, emulator net.Listener
	// nats is the embedded NATS server's address, tried and let go: the
	// server listens on it itself, once its store is open.
	nats string
}

// open are the listeners of HTTP servers.
func (l *listeners) open() []net.Listener {
	var open []net.Listener
	for _, ln := range []net.Listener{l.http, l.emulator} {
		if ln != nil {
			open = append(open, ln)
		}
	}
	return open
}

func (l *listeners) close() {
	for _, ln := range l.open() {
		_ = ln.Close()
	}
}

// start runs the parts of the service this process hosts. What can fail
// fast does so first: the configuration, the data dir's locks, every
// address, the descriptor budget; then the store opens.
func (a *app) start(ctx context.Context, cfg *config.Config, parts startParts) (*service, error) {
	s := &service{log: a.log}
	ok := false
	defer func() {
		if !ok {
			s.stop(context.Background())
		}
	}()
	sc := cfg.Service
	inProcessEmulator := false
	if parts.work {
		_, err := cfg.Target()
		switch {
		case errors.Is(err, config.ErrNoTarget) && cfg.Emulator == "":
			inProcessEmulator = true
		case err != nil:
			return nil, err
		}
	}
	if err := s.lockDataDir(sc, parts); err != nil {
		return nil, err
	}
	lns, err := listen(sc, parts, inProcessEmulator)
	if err != nil {
		return nil, err
	}
	defer func() {
		if !ok {
			lns.close()
		}
	}()
	plan, err := planDescriptors(openFileLimit(), len(lns.open()), lns.nats != "", sc.MaxConnections)
	if err != nil {
		return nil, err
	}
	if sc.MaxInFlight >= plan.conns {
		return nil, fmt.Errorf("--max-in-flight %d: each HTTP server needs more connections than that, and has %d (--max-connections)", sc.MaxInFlight, plan.conns)
	}
	a.log.Info("file descriptors", zap.Uint64("limit", plan.limit), zap.Int("connections_per_http_server", plan.conns),
		zap.Int("nats_clients", plan.natsClients), zap.Int("kept_for_the_store", storeReserve))
	// Setting the queue and the consumer up waits while a fresh cluster
	// elects its leaders: a minute at most in all. ctx is not kept.
	ctx, cancel := context.WithTimeout(ctx, queueSetup)
	defer cancel()
	reg := prometheus.NewRegistry()
	metrics := webhook.NewMetrics(reg)
	if err := s.connect(ctx, sc, lns.nats, plan.natsClients, metrics); err != nil {
		return nil, err
	}
	webhook.RegisterQueueDepth(reg, s.queue.Pending)
	ready := s.readiness()
	serverOpts := func(name string) []webhook.ServerOption {
		opts := []webhook.ServerOption{webhook.WithMaxConnections(plan.conns), webhook.WithServerMetrics(reg, name), webhook.WithServerLogger(a.log)}
		if sc.MaxInFlight > 0 {
			opts = append(opts, webhook.WithMaxInFlight(sc.MaxInFlight))
		}
		return opts
	}
	var handler http.Handler
	name := "probes"
	switch {
	case parts.http:
		wh, err := webhook.New(webhook.Config{Secret: sc.WebhookSecret, DeployBranch: sc.DeployBranch, Repos: sc.AllowRepos,
			CloneURLs: sc.CloneURLs, Logger: a.log, Registry: reg}, publisher{s.queue}, webhook.WithReadiness(ready))
		if err != nil {
			return nil, err
		}
		mux := http.NewServeMux()
		api, err := opsapi.New(s.queue, sc.OpsToken, a.log, opsapi.WithVersions(a.targetVersions(cfg)))
		if err != nil {
			return nil, err
		}
		mux.Handle("/api/", api)
		mux.Handle("/", wh)
		handler, name = mux, "webhook"
	case lns.http != nil:
		// A worker process alone: its probes and metrics for the
		// orchestrator and Prometheus.
		handler = webhook.Probes(reg, ready)
	}
	if parts.work {
		if inProcessEmulator {
			if err := s.startEmulator(sc, lns.emulator, serverOpts("emulator")); err != nil {
				return nil, err
			}
			cfg.Emulator = s.EmulatorURL
		}
		if err := s.startWorkers(ctx, a, cfg, metrics, reg); err != nil {
			return nil, err
		}
	}
	if handler != nil {
		url, err := s.serve(lns.http, handler, serverOpts(name))
		if err != nil {
			return nil, err
		}
		s.URL = url
	}
	ok = true
	return s, nil
}

// queueSetup bounds the start of the queue and of the workers' consumer.
const queueSetup = time.Minute

// lockDataDir takes the parts of the data dir this process uses: the
// embedded NATS store (data-dir/nats), and a worker's git mirrors and
// emulator state (data-dir/git stands for both). A second process on them
// would corrupt them; it fails at once instead, naming the first. A
// `shiftleft webhook` and a `shiftleft worker` can share a data dir: they
// use different parts.
func (s *service) lockDataDir(sc config.Service, parts startParts) error {
	host, _ := os.Hostname()
	holder := fmt.Sprintf("pid %d on %s (shiftleft %s, since %s)", os.Getpid(), host, parts.command(), time.Now().UTC().Format(time.RFC3339))
	for _, part := range []struct {
		dir, what string
		used      bool
	}{
		{"nats", "its NATS store", sc.NATSURL == ""},
		{"git", "its git mirrors and emulator state", parts.work},
	} {
		if !part.used {
			continue
		}
		l, err := dirlock.Acquire(filepath.Join(sc.DataDir, part.dir), holder)
		if errors.Is(err, dirlock.ErrLocked) {
			return fmt.Errorf("data dir %s, %s: %w; stop that process or give this one another --data-dir", sc.DataDir, part.what, err)
		}
		if err != nil {
			return fmt.Errorf("data dir: %w", err)
		}
		s.locks = append(s.locks, l)
	}
	return nil
}

// listen opens the addresses the process serves on.
func listen(sc config.Service, parts startParts, inProcessEmulator bool) (*listeners, error) {
	l := &listeners{}
	open := func(what, addr string) (net.Listener, error) {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			l.close()
			return nil, fmt.Errorf("%s address: %w", what, err)
		}
		return ln, nil
	}
	var err error
	switch {
	case parts.http:
		l.http, err = open("--addr", sc.Addr)
	case sc.MetricsAddr != "none":
		l.http, err = open("--metrics-addr", sc.MetricsAddr)
	}
	if err != nil {
		return nil, err
	}
	if inProcessEmulator {
		if l.emulator, err = open("--emulator-addr", sc.EmulatorAddr); err != nil {
			return nil, err
		}
	}
	// The process that takes webhooks hosts the queue: workers of other
	// processes and `shiftleft jobs` join it there.
	if sc.NATSURL == "" && parts.http && sc.NATSListen != "none" {
		ln, err := open("--nats-listen", sc.NATSListen)
		if err != nil {
			return nil, err
		}
		l.nats = sc.NATSListen
		_ = ln.Close()
	}
	return l, nil
}

// readinessInterval spaces the writes behind /readyz, however often it is
// asked; readinessTimeout bounds one.
const (
	readinessInterval = time.Second
	readinessTimeout  = 2 * time.Second
)

// readiness is ready while JetStream takes a write: a key put in a health
// bucket of the queue's account at most every readinessInterval, never a
// message on the jobs stream. A connected client is not enough: a server
// out of file descriptors keeps its clients and fails its writes.
func (s *service) readiness() func(context.Context) error {
	return webhook.Cached(readinessInterval, func(ctx context.Context) error {
		if !s.nc.IsConnected() {
			return errors.New("NATS is not connected")
		}
		ctx, cancel := context.WithTimeout(ctx, readinessTimeout)
		defer cancel()
		if err := s.queue.CheckWrite(ctx); err != nil {
			return fmt.Errorf("JetStream cannot take a write: %w", err)
		}
		return nil
	})
}

// connect embeds a NATS server (unless a URL is given), listening on
// natsListen ("" for in-process only) for up to natsClients clients, and
// opens the queue.
func (s *service) connect(ctx context.Context, sc config.Service, natsListen string, natsClients int, metrics *webhook.Metrics) error {
	var err error
	if sc.NATSURL != "" {
		s.nc, err = jobs.Connect(sc.NATSURL, jobs.WithConnectLogger(s.log))
	} else {
		opts := []jobs.ServerOption{jobs.WithServerLogger(s.log)}
		if natsListen != "" {
			opts = append(opts, jobs.WithListen(natsListen))
		}
		if natsClients > 0 {
			opts = append(opts, jobs.WithMaxClients(natsClients))
		}
		if s.nats, err = jobs.StartEmbedded(filepath.Join(sc.DataDir, "nats"), opts...); err != nil {
			return fmt.Errorf("embedded NATS: %w", err)
		}
		s.nc, err = s.nats.Connect(jobs.WithConnectLogger(s.log))
	}
	if err != nil {
		return fmt.Errorf("NATS: %w", err)
	}
	opts := []jobs.Option{jobs.WithLogger(s.log), jobs.WithAckWait(sc.AckWait), jobs.WithRetention(sc.JobRetention),
		jobs.WithOutcome(func(j jobs.Job) {
			result := string(j.Status)
			if j.Status == jobs.StatusQueued {
				result = "retry"
			}
			metrics.Jobs.WithLabelValues(string(j.Kind), result).Inc()
		})}
	if sc.Replicas != 0 { // else the queue's default, from the cluster's size
		opts = append(opts, jobs.WithReplicas(sc.Replicas))
	}
	s.queue, err = jobs.NewQueue(ctx, s.nc, opts...)
	return err
}

// startWorkers wires the worker to its target and starts consuming.
func (s *service) startWorkers(ctx context.Context, a *app, cfg *config.Config, metrics *webhook.Metrics, reg prometheus.Registerer) error {
	sc := cfg.Service
	target, err := s.target(cfg, metrics)
	if err != nil {
		return err
	}
	ghOpts := []githubstatus.Option{githubstatus.WithLogger(a.log), githubstatus.WithToken(sc.GitHubToken)}
	if sc.GitHubAPIURL != "" {
		ghOpts = append(ghOpts, githubstatus.WithBaseURL(sc.GitHubAPIURL))
	}
	gh, err := githubstatus.New(ghOpts...)
	if err != nil {
		return err
	}
	gitOpts := []gitrepo.Option{gitrepo.WithLogger(a.log), gitrepo.WithCredentials(slices.Sorted(maps.Values(sc.CloneURLs))...)}
	if sc.GitHubToken != "" {
		gitOpts = append(gitOpts, gitrepo.WithToken(sc.GitHubToken))
	}
	cache, err := gitrepo.NewCache(filepath.Join(sc.DataDir, "git"), gitOpts...)
	if err != nil {
		return err
	}
	invs, closeInvs := inventories(sc.DataDir, a.log)
	s.closeInventories = closeInvs
	// A crashed worker's lock expires as its job goes back to the queue.
	w, err := worker.New(s.queue, cache, gh, target, worker.Config{PipelinesPath: sc.PipelinesPath,
		MaxParallel: sc.MaxParallel, LockTTL: sc.AckWait, Prune: sc.Prune, Inventories: invs}, a.log)
	if err != nil {
		return err
	}
	if s.consumer, err = s.queue.Consume(ctx, measured(w.Handle, metrics), sc.Workers); err != nil {
		return err
	}
	return s.startReconciler(sc, w, tipReader{gh: gh, git: cache}, reg)
}

// measured times the runs of jobs by kind; the queue counts their outcomes.
func measured(h jobs.Handler, m *webhook.Metrics) jobs.Handler {
	return func(ctx context.Context, d *jobs.Delivery) error {
		start := time.Now()
		defer func() { m.JobDuration.WithLabelValues(string(d.Job.Kind)).Observe(time.Since(start).Seconds()) }()
		return h(ctx, d)
	}
}

// startEmulator serves the in-process emulator on ln, deploying there when
// no Confluent Cloud target is configured.
func (s *service) startEmulator(sc config.Service, ln net.Listener, opts []webhook.ServerOption) error {
	emu, err := emulator.New(emulator.Logger(s.log), emulator.StateFile(filepath.Join(sc.DataDir, "emulator.json")))
	if err != nil {
		return err
	}
	s.emulator = emu
	if s.EmulatorURL, err = s.serve(ln, emu, opts); err != nil {
		return err
	}
	s.log.Info("no Confluent Cloud target configured: deploying to the in-process emulator", zap.String("url", s.EmulatorURL))
	return nil
}

// target is Confluent Cloud when configured, else an emulator: the
// in-process one (s.emulator) or a shared one.
func (s *service) target(cfg *config.Config, metrics *webhook.Metrics) (worker.Target, error) {
	t, err := cfg.Target()
	if err != nil {
		return worker.Target{}, err
	}
	var declare func(context.Context, []string) error
	switch {
	case s.emulator != nil:
		emu := s.emulator
		declare = func(_ context.Context, tables []string) error { return emu.AddTables(t.EnvironmentID, tables...) }
	case t.Emulator:
		declare = func(ctx context.Context, tables []string) error {
			return declareTopics(ctx, t.FlinkURL, t.EnvironmentID, tables)
		}
	default:
		declare = func(context.Context, []string) error { return nil }
	}
	client, err := clientOf(t, s.log, confluent.WithHTTPClient(&http.Client{Transport: metrics.Transport(http.DefaultTransport)}),
		confluent.WithMetrics(metrics.Confluent))
	if err != nil {
		return worker.Target{}, err
	}
	return worker.Target{
		Client:         client,
		Environment:    t.EnvironmentID,
		Plan:           planOptions(cfg),
		Runner:         runnerOptions(cfg),
		DeclareTables:  declare,
		ExternalTables: cfg.Kafka.ExternalTables,
		DryRun:         dryRunOptions(cfg),
	}, nil
}

// declareTopics tells an emulator shared by several processes about the
// Kafka topics the pipelines read, through its admin route.
func declareTopics(ctx context.Context, url, env string, tables []string) error {
	body, err := json.Marshal(map[string]any{"environment_id": env, "tables": tables})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/_emulator/tables", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("declare topics in the emulator: %w", err)
	}
	res.Body.Close()
	if res.StatusCode >= 300 {
		return fmt.Errorf("declare topics in the emulator: %s", res.Status)
	}
	return nil
}

// serve serves h on ln in the background; it returns the URL.
func (s *service) serve(ln net.Listener, h http.Handler, opts []webhook.ServerOption) (string, error) {
	srv, err := webhook.NewServer(h, opts...)
	if err != nil {
		return "", err
	}
	s.servers = append(s.servers, srv)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("HTTP server", zap.Error(err))
		}
	}()
	return "http://" + ln.Addr().String(), nil
}

// stop stops taking webhooks, lets jobs in flight finish until ctx ends
// (then hands them back), and closes NATS.
func (s *service) stop(ctx context.Context) {
	// The reconciler first: it queues no job once the workers are gone.
	if s.stopReconciler != nil {
		s.stopReconciler()
	}
	// Workers first, within the grace period: the jobs in flight finish (or
	// go back to the queue) while their target, the in-process emulator,
	// still answers; webhooks meanwhile still queue new jobs.
	if s.consumer != nil {
		s.consumer.Stop(ctx)
	}
	if s.closeInventories != nil {
		_ = s.closeInventories()
	}
	down, cancel := context.WithTimeout(context.Background(), serverShutdown)
	defer cancel()
	for _, srv := range s.servers {
		_ = srv.Shutdown(down)
	}
	if s.emulator != nil {
		_ = s.emulator.Close()
	}
	if s.nc != nil {
		s.nc.Close()
	}
	if s.nats != nil {
		s.nats.Shutdown()
	}
	for _, l := range s.locks {
		_ = l.Release()
	}
}

// serverShutdown bounds how long the HTTP servers wait for requests in
// flight once the workers are done.
const serverShutdown = 5 * time.Second

// publisher adapts the queue to the webhook's Publisher.
type publisher struct{ q *jobs.Queue }

func (p publisher) Publish(ctx context.Context, j *jobs.Job) (string, bool, error) {
	err := p.q.Publish(ctx, j)
	var dup *jobs.DuplicateError
	switch {
	case errors.As(err, &dup):
		return dup.JobID, true, nil
	case err != nil:
		return "", false, err
	}
	return j.ID, false, nil
}

// runService starts the parts, prints where they answer, and runs until a
// signal; then stops within the grace period.
func (a *app) runService(ctx context.Context, f serviceFlags, parts startParts) error {
	cfg, err := a.settings(f)
	if err != nil {
		return err
	}
	if parts.http && cfg.Service.WebhookSecret == "" {
		return usagef("SL_WEBHOOK_SECRET is not set: the webhook refuses to run without a secret")
	}
	if parts.work && !parts.http && cfg.Service.NATSURL == "" {
		return usagef("shiftleft worker needs --nats-url (or service.nats_url): the NATS server of `shiftleft webhook` or `shiftleft serve` (nats://127.0.0.1:4222 by default), or a cluster's")
	}
	s, err := a.start(ctx, cfg, parts)
	if err != nil {
		return err
	}
	var lines []string
	if s.URL != "" {
		lines = append(lines, "webhook and ops API on "+s.URL+" (POST /webhooks/github, GET /api/jobs, GET /api/drift, /healthz, /readyz, /metrics)")
	}
	if s.nats != nil && s.nats.ClientURL() != "" {
		lines = append(lines, "NATS on "+s.nats.ClientURL())
	}
	if s.EmulatorURL != "" {
		lines = append(lines, "Confluent Cloud emulator on "+s.EmulatorURL)
	}
	if parts.work {
		lines = append(lines, fmt.Sprintf("%d workers", cfg.Service.Workers))
	}
	fmt.Fprintln(a.stdout, "shiftleft "+strings.Join(lines, "; "))
	<-ctx.Done()
	a.log.Info("stopping", zap.Duration("grace", f.grace))
	stop, cancel := context.WithTimeout(context.Background(), f.grace)
	defer cancel()
	s.stop(stop)
	return nil
}
