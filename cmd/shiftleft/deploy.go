package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/config"
	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/deployments"
	"github.com/shiftleft/shiftleft/internal/dirfs"
	"github.com/shiftleft/shiftleft/pipeline"
	"github.com/shiftleft/shiftleft/planner"
)

// deployOptions are the flags of deploy, build-execution-plan and undeploy.
type deployOptions struct {
	tableName, productName, dir, tableListFile, excludeFile string
	computePoolID                                           string
	dmlOnly, force, forceAncestors                          bool
	mayStartDescendants, crossProduct                       bool
	maxParallel                                             int
	// pendingTimeout and settle override the configuration's when set
	// (pendingSet, settleSet).
	pendingTimeout, settle time.Duration
	pendingSet, settleSet  bool
	dryRun, json, yes      bool
	emulator, configFile   string
	strategy               string
	allowDrop              bool
	keepStopped            int
	keepDDL                bool
}

// targetFlags are the flags that say where statements go.
func (o *deployOptions) targetFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.emulator, "emulator", "", "deploy to a shiftleft emulator at this URL instead of Confluent Cloud")
	f.StringVar(&o.configFile, "config", "", "shift_left-style config.yaml (default $SL_CONFIG_FILE, $CONFIG_FILE or ./config.yaml)")
	f.BoolVar(&o.json, "json", false, "print the plan and the result as JSON")
}

func (a *app) deployCmd(dryRun bool) *cobra.Command {
	o := deployOptions{dryRun: dryRun}
	use, short := "deploy", "Deploy tables and what they need, in parallel, safe to re-run"
	if dryRun {
		use, short = "build-execution-plan", "Show what deploy would do, without doing it"
	}
	cmd := &cobra.Command{
		Use:   use + " [PIPELINES] (--table-name T | --product-name P | --dir D | --table-list-file-name F) | " + use + " [OPTIONS] TABLE_NAME INVENTORY_PATH",
		Short: short,
		Long: `Plan the deployment of the selected tables against what runs now, then run it:
a table that does not exist is created after its missing ancestors (ancestors that
already run are skipped, external topics never deployed); one that exists and
runs other SQL is changed by --strategy: by default a stateless DML carries over
its offsets, a stateful change gets a new version of the table beside the old one
(t_v2, which its readers follow), a keyed table is upgraded in place; --force
recreates it (drop, DDL, DML); with --may-start-descendants the tables a
stateful change impacts restart too. Independent tables deploy in parallel; statements carry the
fingerprint of their SQL, so a re-run after a crash resumes without creating any
statement twice. Exit 1 when a step fails.`,
		Args: args(0, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.pendingSet, o.settleSet = cmd.Flags().Changed("pending-timeout"), cmd.Flags().Changed("settle")
			if !dryRun && (o.pendingTimeout <= 0 || o.settle < 0) {
				return usagef("--pending-timeout must be more than 0 and --settle at least 0")
			}
			return interruptible(cmd.Context(), func(ctx context.Context) error { return a.deploy(ctx, args, o) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.tableName, "table-name", "", "deploy this table (and what it needs)")
	f.StringVar(&o.productName, "product-name", "", "deploy the tables of this product that do not run")
	f.StringVar(&o.dir, "dir", "", "deploy the tables under this folder that do not run")
	f.StringVar(&o.tableListFile, "table-list-file-name", "", "deploy the tables listed in this file, one per line")
	f.StringVar(&o.excludeFile, "exclude-table-file-name", "", "never touch the tables listed in this file")
	f.StringVar(&o.computePoolID, "compute-pool-id", "", "run every statement in this compute pool")
	f.BoolVar(&o.dmlOnly, "dml-only", false, "deploy DML statements only: no table is dropped or created")
	f.BoolVar(&o.force, "force", false, "drop and recreate the selected tables even when they run the same SQL")
	f.BoolVar(&o.forceAncestors, "force-ancestors", false, "redeploy the ancestors that already run")
	f.BoolVar(&o.mayStartDescendants, "may-start-descendants", false, "restart the descendants a stateful change impacts")
	f.BoolVar(&o.crossProduct, "cross-product-deployment", false, "also restart descendants of other products")
	f.IntVar(&o.maxParallel, "max-parallel", 8, "tables deployed at the same time, at most: fewer while the API answers 429")
	f.StringVar(&o.strategy, "strategy", "", "how tables that run other SQL change: version (default: carry-over, or a new version beside the old table; nothing lost), in-place or recreate (drop and rebuild, shift_left's)")
	f.BoolVar(&o.allowDrop, "allow-drop", false, "let the plan drop topics (a recreate deletes a topic, its records and schema)")
	f.IntVar(&o.keepStopped, "keep-stopped", -1, "stopped DML statements each table keeps as rollback points after a carry-over (default deploy.keep_stopped, else 1)")
	f.BoolVar(&o.keepDDL, "keep-ddl", false, "keep each table's DDL statement once its DML runs (it is deleted, for the statement quota): the record a later ALTER TABLE is planned against")
	if !dryRun {
		f.BoolVar(&o.dryRun, "dry-run", false, "print the plan and stop")
		f.DurationVar(&o.pendingTimeout, "pending-timeout", config.DefaultPendingTimeout,
			"fail a statement PENDING this long (a full compute pool), with Confluent's detail (default service.pending_timeout)")
		f.DurationVar(&o.settle, "settle", config.DefaultSettle,
			"after the last step, watch the deployed statements this long: one FAILED or DEGRADED fails the deploy; 0 disables (default service.settle)")
	}
	o.targetFlags(cmd)
	return cmd
}

func (a *app) undeployCmd() *cobra.Command {
	var o deployOptions
	cmd := &cobra.Command{
		Use:   "undeploy [PIPELINES] --table-name T",
		Short: "Drop a table and every table that depends on it, children first",
		Args:  args(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.tableName == "" {
				return usagef("--table-name is required")
			}
			return interruptible(cmd.Context(), func(ctx context.Context) error { return a.undeploy(ctx, args, o) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.tableName, "table-name", "", "the table to undeploy, with its descendants")
	f.BoolVar(&o.yes, "yes", false, "do not ask for confirmation")
	f.IntVar(&o.maxParallel, "max-parallel", 8, "statements deleted at the same time")
	o.targetFlags(cmd)
	return cmd
}

// selection turns the positional arguments and selector flags into the
// pipelines folder and the request. The seed's form is TABLE_NAME
// INVENTORY_PATH (the folder, or its inventory.json); otherwise the only
// argument is the pipelines folder, or a table name when it is neither a
// folder nor looks like a path.
func (a *app) selection(args []string, o deployOptions) (tree, []string, error) {
	selectors := countTrue(o.tableName != "", o.productName != "", o.dir != "", o.tableListFile != "")
	switch {
	case len(args) == 2 && selectors > 0:
		return tree{}, nil, usagef("TABLE_NAME INVENTORY_PATH cannot be combined with --table-name, --product-name, --dir or --table-list-file-name")
	case len(args) == 2:
		t, err := a.pipelinesArg(args, 1)
		return t, []string{args[0]}, err
	case selectors == 0 && len(args) == 1 && !isDir(args[0]) && !looksLikePath(args[0]):
		// The seed's TABLE_NAME alone: the pipelines folder is $PIPELINES.
		t, err := a.pipelinesArg(nil, 0)
		return t, []string{args[0]}, err
	case selectors == 0:
		// A mistyped pipelines folder says so, rather than what to deploy.
		if _, err := a.pipelinesArg(args, 0); err != nil && len(args) == 1 {
			return tree{}, nil, err
		}
		return tree{}, nil, usagef("say what to deploy: --table-name, --product-name, --dir or --table-list-file-name")
	case selectors > 1:
		return tree{}, nil, usagef("--table-name, --product-name, --dir and --table-list-file-name are mutually exclusive")
	}
	t, err := a.pipelinesArg(args, 0)
	return t, nil, err
}

func (a *app) deploy(ctx context.Context, args []string, o deployOptions) error {
	if o.maxParallel < 1 {
		return usagef("--max-parallel must be at least 1")
	}
	t, named, err := a.selection(args, o)
	if err != nil {
		return err
	}
	g, err := a.load(t)
	if err != nil {
		return err
	}
	req, err := request(t, g, named, o)
	if err != nil {
		return err
	}
	exclude, err := readTableList(o.excludeFile)
	if err != nil {
		return err
	}
	s, err := a.open(ctx, o)
	if err != nil {
		return err
	}
	po := planOptions(s.cfg)
	po.ComputePoolID, po.DMLOnly, po.Force, po.ForceAncestors = o.computePoolID, o.dmlOnly, o.force, o.forceAncestors
	po.MayStartDescendants, po.CrossProduct, po.Exclude = o.mayStartDescendants, o.crossProduct, exclude
	if po.Strategy, err = planner.ParseStrategy(o.strategy); err != nil {
		return usagef("--strategy: %v", err)
	}
	po.AllowDrop = po.AllowDrop || o.allowDrop
	po.ReadDDL = deployments.DDLReader(deployments.TreeLoader(dirfs.New(t.dir), g.Inventory()))
	switch {
	case o.keepStopped == 0:
		po.KeepStopped = -1 // none: the planner's 0 is its default
	case o.keepStopped > 0:
		po.KeepStopped = o.keepStopped
	}
	po.Parallel = o.maxParallel
	plan, err := planner.Build(g, s.live, req, po)
	var refused *planner.DropError
	if errors.As(err, &refused) {
		// Shown, never run: nothing that changes anything was sent.
		if o.json {
			_ = a.printJSON(map[string]any{"plan": plan, "refused": refused.Refused})
		} else {
			a.printPlan(a.stdout, plan)
		}
		return howToAllowDrop(err)
	}
	if err != nil {
		return err
	}
	return a.execute(ctx, t, g, s, plan, o, false)
}

// loadAndOpen loads the pipelines args[i] names and opens the target.
func (a *app) loadAndOpen(ctx context.Context, args []string, i int, o deployOptions) (tree, *pipeline.Graph, *session, error) {
	t, err := a.pipelinesArg(args, i)
	if err != nil {
		return tree{}, nil, nil, err
	}
	g, err := a.load(t)
	if err != nil {
		return tree{}, nil, nil, err
	}
	s, err := a.open(ctx, o)
	return t, g, s, err
}

func (a *app) undeploy(ctx context.Context, args []string, o deployOptions) error {
	t, g, s, err := a.loadAndOpen(ctx, args, 0, o)
	if err != nil {
		return err
	}
	plan, err := planner.Undeploy(g, s.live, o.tableName, planner.Options{Naming: naming(s.cfg)})
	if err != nil {
		return err
	}
	shown := false
	if !o.yes && plan.Work() > 0 {
		// The person answering sees the plan first. With --json it goes to
		// stderr with the question, so stdout stays one JSON document.
		out := a.stdout
		if o.json {
			out = a.stderr
		}
		a.printPlan(out, plan)
		if !a.confirm(out, fmt.Sprintf("Drop %d tables on %s?", plan.Work(), s.target)) {
			return fmt.Errorf("undeploy cancelled: nothing was dropped (pass --yes to skip this question)")
		}
		shown = true
	}
	return a.execute(ctx, t, g, s, plan, o, shown)
}

// session is a connected target and what runs there.
type session struct {
	cfg    *config.Config
	target config.Target
	client *confluent.Client
	live   planner.Live
}

// open connects to the target and reads its statements and pools.
func (a *app) open(ctx context.Context, o deployOptions) (*session, error) {
	cfg, target, client, err := a.connect(o)
	if err != nil {
		return nil, err
	}
	live, err := deployments.ReadLive(ctx, client)
	if err != nil {
		return nil, fmt.Errorf("read what runs on %s: %w", target, err)
	}
	return &session{cfg: cfg, target: target, client: client, live: live}, nil
}

// interruptible ends ctx on Ctrl-C or SIGTERM, so running steps stop cleanly
// and the next run resumes.
func interruptible(ctx context.Context, run func(context.Context) error) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx)
}

// confirm asks on the terminal, writing the question to out; without a
// terminal it refuses, so a script must pass --yes.
func (a *app) confirm(out io.Writer, question string) bool {
	if a.stdin == nil || !isTerminal(a.stdin) {
		fmt.Fprintln(a.stderr, question+" (not asked: stdin is not a terminal)")
		return false
	}
	fmt.Fprint(out, question+" [y/N] ")
	answer, _ := bufio.NewReader(a.stdin).ReadString('\n')
	return strings.EqualFold(strings.TrimSpace(answer), "y") || strings.EqualFold(strings.TrimSpace(answer), "yes")
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// connect loads the configuration and builds the client of the target.
func (a *app) connect(o deployOptions) (*config.Config, config.Target, *confluent.Client, error) {
	cfg, err := a.loadConfig(o.configFile)
	if err != nil {
		return nil, config.Target{}, nil, err
	}
	cfg.Emulator = o.emulator
	target, err := cfg.Target()
	if err != nil {
		return nil, config.Target{}, nil, err
	}
	client, err := clientOf(target, a.log)
	if err != nil {
		return nil, config.Target{}, nil, err
	}
	return cfg, target, client, nil
}

// clientOf is the client of a deployment target; opts add to the target's.
func clientOf(t config.Target, log *zap.Logger, opts ...confluent.Option) (*confluent.Client, error) {
	return confluent.New(append([]confluent.Option{
		confluent.WithFlinkURL(t.FlinkURL),
		confluent.WithCloudURL(t.CloudURL),
		confluent.WithOrganization(t.OrganizationID),
		confluent.WithEnvironment(t.EnvironmentID),
		confluent.WithFlinkAPIKey(t.FlinkKey, t.FlinkSecret),
		confluent.WithCloudAPIKey(t.CloudKey, t.CloudSecret),
		confluent.WithLogger(log),
		confluent.WithVersion(buildVersion()),
	}, opts...)...)
}

// planOptions are the planner's settings from the configuration. The
// configured pool is only a fallback: it must not move a table off the pool
// its statement runs in (shift_left §4.6).
func planOptions(cfg *config.Config) planner.Options {
	return planner.Options{DefaultComputePoolID: cfg.Flink.ComputePoolID, AcceptedCommonProducts: cfg.App.AcceptedCommonProducts,
		Naming: naming(cfg), MaxCFURatio: cfg.Flink.MaxCFUPercentBeforeAllocation, PoolMaxCFU: cfg.Flink.MaxCFU,
		PoolStrategy: planner.PoolStrategy(cfg.Flink.PoolStrategy), MaxPools: cfg.Flink.MaxComputePools,
		ConfigStrategy: planner.Strategy(cfg.Deploy.Strategy), AllowDrop: cfg.Deploy.AllowDrop, KeepStopped: cfg.Deploy.KeepStopped,
		MaxStatements: cfg.Flink.MaxStatements, Parallel: cfg.Service.MaxParallel}
}

// runnerOptions are the deployment options the configuration sets: the
// statements' default properties and principal, where new pools go.
func runnerOptions(cfg *config.Config) []deployments.Option {
	opts := []deployments.Option{deployments.WithProperties(statementProperties(cfg)), deployments.WithPoolLocation(poolLocation(cfg))}
	if p := cfg.ConfluentCloud.ServiceAccountID; p != "" {
		opts = append(opts, deployments.WithPrincipal(p))
	}
	if d := cfg.Service.PendingTimeout; d > 0 {
		opts = append(opts, deployments.WithPendingTimeout(d))
	}
	if d := cfg.Service.Settle; d != nil {
		opts = append(opts, deployments.WithSettle(*d))
	}
	return opts
}

// dryRunOptions are the settings of the statements a validation dry-runs,
// as runnerOptions gives a deploy's.
func dryRunOptions(cfg *config.Config) deployments.ValidateRequest {
	return deployments.ValidateRequest{Naming: naming(cfg), Properties: statementProperties(cfg),
		ComputePoolID: cfg.Flink.ComputePoolID, Principal: cfg.ConfluentCloud.ServiceAccountID}
}

func naming(cfg *config.Config) planner.Naming {
	return planner.Naming{ClusterType: cfg.Kafka.ClusterType, Region: cfg.ConfluentCloud.Region}
}

func isDir(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}

// request builds the planner's request from the selection; a table that is
// not in the tree is an error before anything is read from the target.
func request(t tree, g *pipeline.Graph, named []string, o deployOptions) (planner.Request, error) {
	req, err := selectTables(t, g, named, o)
	for _, n := range append(req.Tables, req.Ensure...) {
		if _, terr := g.Table(n); terr != nil && err == nil {
			err = fmt.Errorf("%w (pipelines folder %s)", terr, t.dir)
		}
	}
	return req, err
}

func selectTables(t tree, g *pipeline.Graph, named []string, o deployOptions) (planner.Request, error) {
	switch {
	case len(named) > 0:
		return planner.Request{Tables: named}, nil
	case o.tableName != "":
		return planner.Request{Tables: []string{o.tableName}}, nil
	case o.tableListFile != "":
		tables, err := readTableList(o.tableListFile)
		if err == nil && len(tables) == 0 {
			err = fmt.Errorf("%s lists no table", o.tableListFile)
		}
		return planner.Request{Tables: tables}, err
	case o.productName != "":
		var tables []string
		for _, n := range g.Order() {
			if tb, _ := g.Table(n); tb.Product == o.productName && !tb.External() {
				tables = append(tables, n)
			}
		}
		if len(tables) == 0 {
			return planner.Request{}, fmt.Errorf("no table of product %s in %s", o.productName, t.dir)
		}
		return planner.Request{Ensure: tables}, nil
	}
	dir, err := filepath.Abs(o.dir)
	if err != nil {
		return planner.Request{}, err
	}
	rel, err := filepath.Rel(t.dir, dir)
	if err != nil || strings.HasPrefix(rel, "..") {
		return planner.Request{}, fmt.Errorf("--dir %s is not inside the pipelines folder %s", o.dir, t.dir)
	}
	prefix := filepath.ToSlash(filepath.Join(t.root, rel))
	var tables []string
	for _, n := range g.Order() {
		if tb, _ := g.Table(n); !tb.External() && (tb.Folder == prefix || strings.HasPrefix(tb.Folder, prefix+"/")) {
			tables = append(tables, n)
		}
	}
	if len(tables) == 0 {
		return planner.Request{}, fmt.Errorf("no table under %s", o.dir)
	}
	return planner.Request{Ensure: tables}, nil
}

// readTableList reads one table name per line; blank lines and # comments
// are ignored.
func readTableList(file string) ([]string, error) {
	if file == "" {
		return nil, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var tables []string
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			tables = append(tables, line)
		}
	}
	return tables, nil
}

// execute prints the plan (unless shown already), runs it unless it is a
// dry run, and prints the result; a failed action makes the command fail.
func (a *app) execute(ctx context.Context, t tree, g *pipeline.Graph, s *session, plan *planner.Plan, o deployOptions, shown bool) error {
	cfg := s.cfg
	if o.dryRun {
		if o.json {
			return a.printJSON(map[string]any{"plan": plan})
		}
		a.printPlan(a.stdout, plan)
		return nil
	}
	if !o.json && !shown {
		a.printPlan(a.stdout, plan)
	}
	opts := append(runnerOptions(cfg), deployments.WithMaxParallel(o.maxParallel),
		deployments.WithLogger(a.log), deployments.WithProgress(a.stderr))
	if o.keepDDL {
		opts = append(opts, deployments.WithKeepDDL())
	}
	if o.pendingSet {
		opts = append(opts, deployments.WithPendingTimeout(o.pendingTimeout))
	}
	if o.settleSet {
		opts = append(opts, deployments.WithSettle(o.settle))
	}
	runner, err := deployments.NewRunner(s.client, deployments.TreeLoader(dirfs.New(t.dir), g.Inventory()), opts...)
	if err != nil {
		return err
	}
	result, err := runner.Run(ctx, plan)
	if err != nil && result == nil {
		return err
	}
	if o.json {
		if perr := a.printJSON(map[string]any{"plan": plan, "result": result}); perr != nil {
			return perr
		}
	} else {
		a.printResult(result)
	}
	if err != nil {
		return err
	}
	if result.Failed() {
		msg := fmt.Sprintf("deployment failed: %d failed, %d blocked, %d cancelled", result.Totals.Failed, result.Totals.Blocked, result.Totals.Cancelled)
		if n := len(result.OutOfSync); n > 0 {
			msg += fmt.Sprintf("; %d tables not in sync after the run: %s", n, outOfSync(result.OutOfSync))
		}
		return errors.New(msg)
	}
	return nil
}

// outOfSync lists tables and their states, the first few only.
func outOfSync(l []planner.TableStatus) string {
	const shown = 5
	var parts []string
	for _, s := range l[:min(len(l), shown)] {
		parts = append(parts, s.Table+" "+string(s.State))
	}
	if len(l) > shown {
		parts = append(parts, fmt.Sprintf("and %d more", len(l)-shown))
	}
	return strings.Join(parts, ", ")
}

func statementProperties(cfg *config.Config) map[string]string {
	props := map[string]string{}
	if cfg.Flink.CatalogName != "" {
		props["sql.current-catalog"] = cfg.Flink.CatalogName
	}
	if cfg.Flink.DatabaseName != "" {
		props["sql.current-database"] = cfg.Flink.DatabaseName
	}
	return props
}

// poolLocation is where new compute pools go: the configured cloud and
// region, shift_left's defaults otherwise.
func poolLocation(cfg *config.Config) (string, string) {
	cloud, region := strings.ToUpper(cfg.ConfluentCloud.CloudProvider), cfg.ConfluentCloud.CloudRegion
	if cloud == "" {
		cloud = "AWS"
	}
	if region == "" {
		region = cfg.ConfluentCloud.Region
	}
	return cloud, region
}

func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printPlan shows the plan wave by wave, then what it skips and why.
func (a *app) printPlan(out io.Writer, p *planner.Plan) {
	waves := p.Waves()
	fmt.Fprintf(out, "Plan: %d tables, %d to deploy in %d waves, %d skipped\n", len(p.Actions), p.Work(), len(waves), len(p.Actions)-p.Work())
	if c := p.Statements; c != nil && p.Work() > 0 {
		fmt.Fprintf(out, "Statements: %d live now, %d after the plan, up to %d while it runs\n", c.Now, c.After, c.Peak)
	}
	w := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	for i := range waves {
		fmt.Fprintf(w, "wave %d\n", i+1)
		for _, act := range p.Actions {
			if act.Kind != planner.Skip && act.Wave == i {
				pool := ""
				if act.Pool != nil {
					pool = "pool " + act.Pool.ID
					if act.Pool.Create != nil {
						pool = "new pool " + act.Pool.Create.Name
					}
				}
				fmt.Fprintf(w, "  %s\t%s\t%s\t%s\n", act.Kind, act.Table, act.Reason, pool)
				fmt.Fprintf(w, "  \t\tdata: %s\t\n", act.Consequence)
			}
		}
	}
	skipped := false
	for _, act := range p.Actions {
		if act.Kind == planner.Skip {
			if !skipped {
				fmt.Fprintln(w, "skipped")
				skipped = true
			}
			fmt.Fprintf(w, "  %s\t%s\n", act.Table, act.Reason)
		}
	}
	_ = w.Flush()
}

// printResult shows what each action did.
func (a *app) printResult(r *deployments.Result) {
	w := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TABLE\tACTION\tSTATUS\tPHASE\tDURATION\tDETAIL")
	for _, act := range r.Actions {
		if act.Status == deployments.StatusSkipped {
			continue
		}
		detail := act.Error
		if act.BlockedBy != "" {
			detail = "not deployed: " + act.BlockedBy + " failed"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", act.Table, act.Action, act.Status, act.FinalPhase, act.Duration, detail)
	}
	_ = w.Flush()
	if len(r.OutOfSync) > 0 {
		fmt.Fprintln(a.stdout, "not in sync after the run:")
		for _, s := range r.OutOfSync {
			fmt.Fprintln(a.stdout, "  "+s.String())
		}
	}
	a.printHealth(r.Health)
	if r.Throttled > 0 {
		fmt.Fprintf(a.stdout, "rate limited: %d answers were 429; parallelism went down to %d\n", r.Throttled, r.LowestParallel)
	}
	verified := "verified"
	if !r.Verified {
		verified = "not verified"
	}
	fmt.Fprintf(a.stdout, "%s in %s: %d succeeded, %d failed, %d blocked, %d skipped; %s\n", r.Status, r.Wall,
		r.Totals.Succeeded, r.Totals.Failed, r.Totals.Blocked, r.Totals.Skipped, verified)
}

// printHealth names what runs after a verified run: the tables deployed
// that run, those degraded, and the running tables the plan left alone.
func (a *app) printHealth(h *deployments.Health) {
	if h == nil {
		return
	}
	for _, l := range []struct {
		what   string
		tables []string
	}{{"running", h.Running}, {"degraded", h.Degraded}, {"running, left unchanged", h.Unchanged}} {
		if len(l.tables) > 0 {
			fmt.Fprintf(a.stdout, "%s (%d): %s\n", l.what, len(l.tables), names(l.tables))
		}
	}
	if h.Settle.Duration > 0 {
		fmt.Fprintf(a.stdout, "watched for %s after the last step\n", h.Settle)
	}
}

// names lists tables, the first 20 only: --json has them all.
func names(tables []string) string {
	const shown = 20
	out := strings.Join(tables[:min(len(tables), shown)], ", ")
	if len(tables) > shown {
		out += fmt.Sprintf(" and %d more (--json lists them all)", len(tables)-shown)
	}
	return out
}
