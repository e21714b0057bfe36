package pipelinegen

import (
	"math/rand/v2"
	"slices"
	"strconv"
)

// kind is a table's layer. The order is the generation order: a table only
// reads tables of earlier kinds, or earlier tables of its own kind, which keeps
// the graph acyclic.
type kind uint8

const (
	kindSource kind = iota
	kindIntermediate
	kindDimension
	kindFact
	kindView
	numKinds
)

// kinds describes each layer: its Table.Type, its top folder, the tag in its
// table names, whether the product comes before the tag (p1_fct_x) or after
// it (src_p1_x), the kinds it reads and how many parents it reads at most.
var kinds = [numKinds]struct {
	typ, dir, tag string
	productFirst  bool
	reads         []kind
	maxParents    int
}{
	kindSource:       {typ: "source", dir: "sources", tag: "src"},
	kindIntermediate: {typ: "intermediate", dir: "intermediates", tag: "int", reads: []kind{kindSource, kindIntermediate}, maxParents: 3},
	kindDimension:    {typ: "dimension", dir: "dimensions", tag: "dim", productFirst: true, reads: []kind{kindIntermediate, kindSource, kindDimension}, maxParents: 4},
	kindFact:         {typ: "fact", dir: "facts", tag: "fct", productFirst: true, reads: []kind{kindIntermediate, kindSource, kindDimension}, maxParents: 4},
	kindView:         {typ: "view", dir: "views", tag: "mv", productFirst: true, reads: []kind{kindFact, kindDimension}, maxParents: 2},
}

// subjects name what a table is about, so names look like real ones.
var subjects = []string{"orders", "customers", "accounts", "users", "groups", "tenants", "roles",
	"products", "payments", "invoices", "shipments", "events", "sessions", "devices", "contracts",
	"claims", "policies", "leads", "tickets", "balances"}

// shape is the form of a table's DML; it decides the table's statefulness.
type shape uint8

const (
	shapeValues       shape = iota // source: INSERT ... VALUES rows
	shapeSelectValues              // source: projection and filter over inline VALUES
	shapeDedupValues               // source: ROW_NUMBER dedup over inline VALUES
	shapeProject                   // one parent: projection and filter
	shapeCTEChain                  // one parent: two chained CTEs
	shapeDedup                     // one parent: ROW_NUMBER dedup, row_num = 1
	shapeDistinct                  // one parent: SELECT DISTINCT
	shapeGroupBy                   // parents joined, then GROUP BY
	shapeJoin                      // two or more parents: JOIN chain
	shapeCTEJoin                   // two or more parents: one CTE each, joined
	shapeUnion                     // two or more parents: UNION ALL
	numShapes
)

// The shape lists are drawn from uniformly; a repeated entry weighs more.
var (
	sourceShapes  = []shape{shapeValues, shapeSelectValues, shapeDedupValues}
	oneShapes     = []shape{shapeProject, shapeProject, shapeCTEChain, shapeDedup, shapeDistinct, shapeGroupBy}
	severalShapes = []shape{shapeJoin, shapeJoin, shapeCTEJoin, shapeUnion, shapeGroupBy}
)

// statelessShape says which shapes keep no state in Flink: no join, GROUP BY,
// OVER or DISTINCT.
var statelessShape = [numShapes]bool{shapeValues: true, shapeSelectValues: true, shapeProject: true,
	shapeCTEChain: true, shapeUnion: true}

// upsertStatelessPercent is how often a stateless table still gets an upsert
// changelog, as real pipelines do for keyed sources.
const upsertStatelessPercent = 25

// node is one planned table. Everything that decides the truth is chosen
// here; the SQL text around it is chosen when writing, from a per-table RNG.
type node struct {
	name, folder, product string
	subject               string
	kind                  kind
	shape                 shape
	upsert                bool
	parents               []int32 // indexes into plan.nodes, all lower than the node's own
}

func (n *node) stateful() bool { return n.upsert || !statelessShape[n.shape] }

type plan struct {
	seed  uint64
	nodes []node // in generation order: by kind, then by product
}

// span is a half-open range of node indexes.
type span struct{ lo, hi int }

func (s span) len() int { return max(0, s.hi-s.lo) }

// newPlan decides every table. Tables of a kind are laid out product by
// product, so a product's tables of a kind form one span and parents can be
// drawn from the same product cheaply.
func newPlan(opts Options) (*plan, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	products := opts.Products
	if products == 0 {
		products = max(1, opts.Tables/50)
	}
	productNames := make([]string, products)
	for i := range productNames {
		productNames[i] = "p" + strconv.Itoa(i+1)
	}

	counts := kindCounts(opts.Tables)
	var start [numKinds + 1]int
	for k := range numKinds {
		start[k+1] = start[k] + counts[k]
	}
	// block is product p's span of kind k.
	block := func(k kind, p int) span {
		return span{start[k] + counts[k]*p/products, start[k] + counts[k]*(p+1)/products}
	}

	rng := rand.New(rand.NewPCG(opts.Seed, 0))
	pl := &plan{seed: opts.Seed, nodes: make([]node, opts.Tables)}
	// One backing array for all parent lists: far fewer allocations.
	pool := make([]int32, 0, opts.Tables*2)
	var local, global []span
	for k := range numKinds {
		info := &kinds[k]
		for p := range products {
			b := block(k, p)
			for g := b.lo; g < b.hi; g++ {
				n := &pl.nodes[g]
				n.kind = k
				n.product = productNames[p]
				n.subject = subjects[rng.IntN(len(subjects))]
				number := strconv.Itoa(g - start[k] + 1)
				tagged := info.tag + "_" + n.subject + "_" + number
				if info.productFirst {
					n.name = n.product + "_" + tagged
				} else {
					n.name = info.tag + "_" + n.product + "_" + n.subject + "_" + number
				}
				// shift_left takes the table name from the SQL, so a folder
				// named differently from its table must still work.
				folder := n.name
				if rng.IntN(3) == 0 {
					folder = tagged
				}
				n.folder = info.dir + "/" + n.product + "/" + folder

				if len(info.reads) > 0 {
					local, global = local[:0], global[:0]
					for _, rk := range info.reads {
						// min: only the earlier tables of the node's own kind.
						all := span{start[rk], min(start[rk+1], g)}
						global = append(global, all)
						same := block(rk, p)
						local = append(local, span{max(same.lo, all.lo), min(same.hi, all.hi)})
					}
					from := len(pool)
					pool = pickParents(rng, pool, 1+rng.IntN(info.maxParents), local, global)
					n.parents = pool[from:len(pool):len(pool)]
				}

				switch len(n.parents) {
				case 0:
					n.shape = sourceShapes[rng.IntN(len(sourceShapes))]
				case 1:
					n.shape = oneShapes[rng.IntN(len(oneShapes))]
				default:
					n.shape = severalShapes[rng.IntN(len(severalShapes))]
				}
				n.upsert = !statelessShape[n.shape] || rng.IntN(100) < upsertStatelessPercent
			}
		}
	}
	return pl, nil
}

// kindCounts splits tables into about 30% sources, 35% intermediates, 25%
// dimensions and facts (two fifths dimensions) and 10% views. There is always
// a source, and views only exist once there are facts or dimensions to read.
func kindCounts(tables int) [numKinds]int {
	var c [numKinds]int
	c[kindSource] = max(1, tables*30/100)
	dimFact := tables * 25 / 100
	c[kindDimension] = dimFact * 2 / 5
	c[kindFact] = dimFact - c[kindDimension]
	if dimFact > 0 {
		c[kindView] = tables * 10 / 100
	}
	c[kindIntermediate] = tables - c[kindSource] - dimFact - c[kindView]
	return c
}

// pickParents appends up to want distinct node indexes to pool, four in five
// draws from the same product's spans (local) when it has any, the others
// from all allowed spans (global). Duplicates are redrawn a few times, so a
// node may get fewer parents than wanted but never none when global is not
// empty.
func pickParents(rng *rand.Rand, pool []int32, want int, local, global []span) []int32 {
	total := func(spans []span) int {
		n := 0
		for _, s := range spans {
			n += s.len()
		}
		return n
	}
	nLocal, nGlobal := total(local), total(global)
	want = min(want, nGlobal)
	from := len(pool)
	for try := 0; len(pool)-from < want && try < 8*want; try++ {
		spans, n := global, nGlobal
		if nLocal > 0 && rng.IntN(5) != 0 {
			spans, n = local, nLocal
		}
		x := rng.IntN(n)
		var pick int32
		for _, s := range spans {
			if x < s.len() {
				pick = int32(s.lo + x)
				break
			}
			x -= s.len()
		}
		if !slices.Contains(pool[from:], pick) {
			pool = append(pool, pick)
		}
	}
	return pool
}
