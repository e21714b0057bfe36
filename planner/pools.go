package planner

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/shiftleft/shiftleft/inventory"
)

// ErrNoCapacity: the statements of a plan cannot all find a compute pool
// with a CFU free, even with every pool the environment's quota allows; the
// plan is refused before anything is deployed.
var ErrNoCapacity = errors.New("not enough compute pool capacity")

// PoolStrategy is how a plan finds compute pools for statements that do not
// run in one already (flink.pool_strategy).
type PoolStrategy string

const (
	// PoolsPerProduct shares pools among the tables of a product:
	// <cluster type>-<product>, then -2, -3... as they fill (the default).
	PoolsPerProduct PoolStrategy = "per-product"
	// PoolsPerTable gives each table a pool of its own,
	// <cluster type>-<table>, as shift_left does.
	PoolsPerTable PoolStrategy = "per-table"
	// PoolFixed runs every statement in flink.compute_pool_id.
	PoolFixed PoolStrategy = "fixed"
)

// DefaultMaxPools is Confluent Cloud's quota of compute pools per
// environment (50 since June 2025).
const DefaultMaxPools = 50

// allocator places a plan's statements in compute pools, counting the CFU
// each running DML takes (one, at least) in the pool it goes to, and the
// pools the plan creates against the environment's quota.
type allocator struct {
	b *builder
	// planned counts the CFU the plan adds to a live pool, by id, or to a
	// pool it creates, by name.
	planned map[string]int
	created map[string]bool // pools the plan creates, by name
	pools   int             // live pools and the ones the plan creates
	// missing counts the CFU no pool could take.
	missing int
}

func newAllocator(b *builder) *allocator {
	return &allocator{b: b, planned: map[string]int{}, created: map[string]bool{}, pools: len(b.live.Pools)}
}

// pool is the compute pool of an action on t, in shift_left's order (§4.6):
// the pool given on the command line; else the pool of the table's running
// statement; else the configured pool; else a pool of the strategy's, one
// the plan creates when those are full and the quota allows. A pool is
// usable when provisioned and under the configured share of its CFU, the
// CFU this plan puts in it counted; only the one given on the command line
// is taken on trust.
func (al *allocator) pool(t *inventory.Table, s state) *Pool {
	o := al.b.opts
	if o.ComputePoolID != "" {
		return &Pool{ID: o.ComputePoolID, Reason: "--compute-pool-id"}
	}
	need := 0
	if t.DMLRef != "" {
		need = 1 // its DML, running, takes a CFU
	}
	if s.runs && s.dml != nil && s.dml.ComputePoolID != "" {
		// The new DML takes the place, and the CFU, of the one running there:
		// the pool has room when it does without it.
		if p := al.live(s.dml.ComputePoolID); p != nil && al.room(p, 1) {
			return &Pool{ID: p.ID, Reason: "pool of its running statement"}
		}
	}
	if id := o.DefaultComputePoolID; id != "" {
		if p := al.live(id); p != nil && al.room(p, 0) {
			al.planned[p.ID] += need
			return &Pool{ID: p.ID, Reason: "flink.compute_pool_id"}
		}
		if o.PoolStrategy == PoolFixed {
			al.missing += need
			return &Pool{ID: id, Reason: "flink.compute_pool_id (strategy fixed) is full or not provisioned"}
		}
	}
	if o.PoolStrategy == PoolsPerTable {
		// shift_left's rule: the table's own pool, whatever its load.
		name := o.Naming.Pool(t.Name)
		if p := al.named(name); p != nil {
			return &Pool{ID: p.ID, Reason: "pool named " + name}
		}
		return al.create(name, need)
	}
	for k := 1; ; k++ {
		name := o.Naming.ProductPool(t.Product, k)
		switch p := al.named(name); {
		case p != nil && al.room(p, 0):
			al.planned[p.ID] += need
			return &Pool{ID: p.ID, Reason: "pool named " + name}
		case p == nil && al.created[name] && al.planned[name] < al.newCapacity():
			al.planned[name] += need
			return &Pool{Create: &NewPool{Name: name, MaxCFU: o.PoolMaxCFU}, Reason: "new pool " + name}
		case p == nil && !al.created[name]:
			return al.create(name, need)
		}
	}
}

// create is a pool the plan creates for need CFU, when the environment's
// quota allows one more.
func (al *allocator) create(name string, need int) *Pool {
	o := al.b.opts
	p := &Pool{Create: &NewPool{Name: name, MaxCFU: o.PoolMaxCFU}}
	switch {
	case al.created[name]:
		p.Reason = "new pool " + name
	case al.pools >= o.MaxPools:
		al.missing += need
		p.Reason = "no room: the environment has its " + strconv.Itoa(o.MaxPools) + " compute pools"
		return p
	default:
		al.pools++
		al.created[name] = true
		p.Reason = "no usable pool: create " + name
	}
	al.planned[name] += need
	return p
}

// find is the first live pool match takes, nil when there is none.
func (al *allocator) find(match func(*ComputePool) bool) *ComputePool {
	for i := range al.b.live.Pools {
		if p := &al.b.live.Pools[i]; match(p) {
			return p
		}
	}
	return nil
}

func (al *allocator) live(id string) *ComputePool {
	return al.find(func(p *ComputePool) bool { return p.ID == id })
}

func (al *allocator) named(name string) *ComputePool {
	return al.find(func(p *ComputePool) bool { return p.Name == name })
}

// room reports whether p is provisioned and under the configured share of
// its CFU, the CFU the plan puts in it counted and freed not.
func (al *allocator) room(p *ComputePool, freed int) bool {
	used := p.CurrentCFU + al.planned[p.ID] - freed
	return p.Phase == PoolReady && p.MaxCFU > 0 && float64(used) < al.b.opts.MaxCFURatio*float64(p.MaxCFU)
}

// newCapacity is how many running statements a pool the plan creates takes.
func (al *allocator) newCapacity() int {
	return max(1, int(al.b.opts.MaxCFURatio*float64(al.b.opts.PoolMaxCFU)))
}

// err is ErrNoCapacity with what is missing, once every action has a pool.
func (al *allocator) err() error {
	if al.missing == 0 {
		return nil
	}
	o := al.b.opts
	if o.PoolStrategy == PoolFixed {
		return fmt.Errorf("%w: %d statements find no free CFU in flink.compute_pool_id %s (strategy fixed): %d CFU missing",
			ErrNoCapacity, al.missing, o.DefaultComputePoolID, al.missing)
	}
	return fmt.Errorf("%w: %d statements find no free CFU in the environment's %d compute pools (its quota; new pools take %d CFU, %d of them used at most, flink.max_cfu and flink.max_cfu_percent_before_allocation): %d CFU missing",
		ErrNoCapacity, al.missing, o.MaxPools, o.PoolMaxCFU, al.newCapacity(), al.missing)
}
