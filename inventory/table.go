package inventory

import (
	"maps"
	"slices"
	"sync/atomic"

	"github.com/shiftleft/shiftleft/flinksql"
)

// Table types, as shift_left names them.
const (
	TypeSource        = "source"
	TypeIntermediate  = "intermediate"
	TypeFact          = "fact"
	TypeDimension     = "dimension"
	TypeView          = "view"
	TypeSeed          = "seed"
	TypeDeadLetter    = "dead_letter"
	TypeUnknown       = "unknown-type"
	TypeExternalKafka = "external_kafka"
)

// NoTable is the name shift_left gives a folder whose DDL creates no table it
// recognises (CREATE MATERIALIZED TABLE); kept so inventories stay identical.
const NoTable = "No-Table"

// State forms of a table's DML.
const (
	Stateful  = "Stateful"
	Stateless = "Stateless"
)

// Table is one table of a pipelines tree: where its SQL lives and what the
// SQL says.
type Table struct {
	Name    string
	Product string
	Type    string
	// DMLRef, DDLRef and Folder are pipeline-relative paths
	// ("pipelines/facts/p1/fct_order/..."); DMLRef is "" for a DDL-only table.
	DMLRef string
	DDLRef string
	Folder string
	// KafkaTopic is set for external tables only.
	KafkaTopic string
	// Synthesized marks an external table made up for a reference to a table
	// that is nowhere in the tree; such tables are not written to
	// inventory.json, only named as parents.
	Synthesized bool

	// Parents are the tables this table's SQL reads, resolved against the
	// inventory, sorted, without the table itself; for a DML that also
	// writes other tables (AlsoWrites), those too, as shift_left lists them:
	// their DDL comes first. They are what pipeline_definition.json lists.
	Parents []string
	// AlsoWrites are the other tables this table's DML writes, sorted: a
	// statement set (or a file of INSERTs) fanning out to several sinks.
	// Their folders hold only their DDL, which must be deployed before this
	// DML runs; each of them has WrittenBy set to this table. Nil when the
	// DML writes this table only.
	AlsoWrites []string
	// WrittenBy names the table whose DML writes this one (see AlsoWrites);
	// "" for a table its own DML writes or no DML does. The pipeline graph
	// gives such a table the inputs of that DML as parents.
	WrittenBy string
	// StatefulReasons says why the table is stateful; empty when stateless.
	StatefulReasons []string
	// PrimaryKey: its DDL declares a primary key, so its topic is upserted
	// by key (a DML can reprocess into it in place).
	PrimaryKey bool
	Joins      flinksql.JoinCounts
	// DDLFingerprint and DMLFingerprint hash the normalised SQL of each file;
	// Fingerprint (32 hex characters) hashes both plus the statement
	// properties: the label of the statements that deploy this version.
	DDLFingerprint string
	DMLFingerprint string
	Fingerprint    string
	// DDLProperties and DMLProperties are the optional <file>.properties
	// settings that go with each statement.
	DDLProperties map[string]string
	DMLProperties map[string]string
	// DefinitionExists says the table's folder held a
	// pipeline_definition.json when the tree was scanned: a first build
	// then spares 100,000 reads of files that are not there.
	DefinitionExists bool
}

// External reports whether the table is a Kafka topic that exists outside the
// tree and is never deployed.
func (t *Table) External() bool { return t.Type == TypeExternalKafka }

// StateForm is Stateful or Stateless.
func (t *Table) StateForm() string {
	if len(t.StatefulReasons) > 0 {
		return Stateful
	}
	return Stateless
}

// Inventory is every table of a pipelines tree, by name.
type Inventory struct {
	// Root is the pipelines folder name that prefixes every stored path.
	Root   string
	Tables map[string]*Table

	// sorted is the names as Names last sorted them: a job asks an
	// inventory of 100,000 tables for them several times, and a check
	// that they are still the map's costs a fraction of a sort.
	sorted atomic.Pointer[[]string]
}

// Names returns the table names, sorted.
func (inv *Inventory) Names() []string {
	if p := inv.sorted.Load(); p != nil && inv.holds(*p) {
		return slices.Clone(*p)
	}
	names := slices.Sorted(maps.Keys(inv.Tables))
	inv.sorted.Store(&names)
	return slices.Clone(names)
}

// holds reports whether names, distinct, are exactly the tables' names.
func (inv *Inventory) holds(names []string) bool {
	if len(names) != len(inv.Tables) {
		return false
	}
	for _, n := range names {
		if _, ok := inv.Tables[n]; !ok {
			return false
		}
	}
	return true
}

// Warning is something odd in the tree that does not stop the build.
type Warning struct {
	File    string
	Table   string
	Message string
}

func (w Warning) String() string {
	s := w.File
	if w.Table != "" {
		s += " (table " + w.Table + ")"
	}
	return s + ": " + w.Message
}
