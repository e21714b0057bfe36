package planner

// Options are the deploy command's flags and the configuration the rules
// read.
type Options struct {
	// ComputePoolID is --compute-pool-id: every action runs there.
	ComputePoolID string
	// DefaultComputePoolID is flink.compute_pool_id: shift_left's fallback,
	// used when usable for a table whose running statement's pool is not.
	// Unlike ComputePoolID it does not override the pool a table runs in.
	DefaultComputePoolID string
	// DMLOnly deploys DML statements only (--dml-only): tables are not
	// dropped or created.
	DMLOnly bool
	// Force recreates the start tables even when they run the same SQL or
	// their DML is stateless (--force).
	Force bool
	// ForceAncestors redeploys ancestors that already run (--force-ancestors).
	ForceAncestors bool
	// MayStartDescendants restarts the descendants a change impacts
	// (--may-start-descendants; on for changes from git).
	MayStartDescendants bool
	// CrossProduct lets descendants of other products restart
	// (--cross-product-deployment).
	CrossProduct bool
	// Exclude lists tables never touched (--exclude-table-file-name).
	Exclude []string
	// AcceptedCommonProducts are products whose descendants restart along
	// any product's (app.accepted_common_products; default common, seeds).
	AcceptedCommonProducts []string
	// Naming builds statement and pool names.
	Naming Naming
	// MaxCFURatio is flink.max_cfu_percent_before_allocation: a pool at or
	// above this share of its CFU is not used (default 0.8).
	MaxCFURatio float64
	// PoolMaxCFU is the max_cfu of a pool the plan creates (flink.max_cfu,
	// default 10).
	PoolMaxCFU int
	// PoolStrategy is how statements find pools (flink.pool_strategy,
	// default per-product).
	PoolStrategy PoolStrategy
	// MaxPools is the environment's quota of compute pools
	// (flink.max_compute_pools, default [DefaultMaxPools]).
	MaxPools int
	// Strategy is the deploy's strategy (--strategy): it wins over each
	// table's own (strategy: in its .properties) and ConfigStrategy
	// (deploy.strategy). "" leaves the choice to them, then to the default,
	// [StrategyVersion].
	Strategy       Strategy
	ConfigStrategy Strategy
	// AllowDrop lets the plan drop any table's topic (--allow-drop,
	// deploy.allow_drop); without it only the tables whose .properties say
	// allow_drop: true may be dropped, and a plan dropping another fails
	// with a [DropError].
	AllowDrop bool
	// KeepStopped is how many stopped DML statements a table keeps as
	// rollback points once a new one carried over their offsets
	// (--keep-stopped): 0 means the default, 1; a negative number keeps
	// none.
	KeepStopped int
	// MaxStatements is the environment's quota of live statements
	// (flink.max_statements, default [DefaultMaxStatements]).
	MaxStatements int
	// Parallel is how many tables the deploy runs at once (--max-parallel,
	// default 8): each may hold a helper statement beside what it leaves.
	Parallel int
	// ReadDDL reads a table's DDL file (its Ref) as it is sent: a DDL that
	// changed only in what ALTER TABLE can change is compared with the
	// running one and altered. nil: a changed DDL is never altered.
	ReadDDL func(ref string) (string, error)
	// BaseDDL reads a table's DDL at the commit deployed before (a push's
	// base), as it was sent: what runs when the live DDL statement is gone
	// but the table exists. nil, or an error: not known.
	BaseDDL func(table string) (string, error)
}

func (o Options) withDefaults() Options {
	if o.AcceptedCommonProducts == nil {
		o.AcceptedCommonProducts = []string{"common", "seeds"}
	}
	o.Naming = o.Naming.orDefault()
	if o.MaxCFURatio <= 0 {
		o.MaxCFURatio = 0.8
	}
	switch o.PoolMaxCFU {
	case 5, 10, 20, 30, 40, 50:
	default:
		o.PoolMaxCFU = 10
	}
	if o.PoolStrategy == "" {
		o.PoolStrategy = PoolsPerProduct
	}
	if o.MaxPools <= 0 {
		o.MaxPools = DefaultMaxPools
	}
	switch {
	case o.KeepStopped == 0:
		o.KeepStopped = 1
	case o.KeepStopped < 0:
		o.KeepStopped = 0
	}
	if o.MaxStatements <= 0 {
		o.MaxStatements = DefaultMaxStatements
	}
	if o.Parallel <= 0 {
		o.Parallel = 8
	}
	return o
}

// Request is what to deploy.
type Request struct {
	// Tables are deployed even when they run (--table-name,
	// --table-list-file-name): shift_left's start tables.
	Tables []string
	// Ensure are deployed only when they do not run (--product-name, --dir).
	Ensure []string
	// Changes are tables whose SQL changed in git.
	Changes []Change
}

// Change says what changed in a table's SQL between two commits.
type Change struct {
	Table string
	// New: the table did not exist at the base commit.
	New bool
	// DDL and DML: the file's fingerprint changed.
	DDL bool
	DML bool
}
