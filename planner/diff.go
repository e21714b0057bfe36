package planner

import (
	"maps"

	"github.com/shiftleft/shiftleft/inventory"
)

// Diff is what changed in a pipelines tree between two commits, compared by
// fingerprint: a folder moved with the same SQL is no change.
type Diff struct {
	// Changes are new tables and tables whose DDL or DML changed, by name.
	Changes []Change
	// Deleted are tables of the base commit that the head commit no longer
	// has; they are reported, and dropped only when pruning is on.
	Deleted []string
}

// Empty reports whether nothing changed.
func (d Diff) Empty() bool { return len(d.Changes) == 0 && len(d.Deleted) == 0 }

// Compare diffs the inventories of two commits. base may be nil (first
// deployment): every table of head is new. External topics are not
// deployed, so they never count as changes.
func Compare(base, head *inventory.Inventory) Diff {
	var d Diff
	for _, name := range head.Names() {
		t := head.Tables[name]
		if t.External() {
			continue
		}
		var old *inventory.Table
		if base != nil {
			old = base.Tables[name]
		}
		switch {
		case old == nil || old.External():
			d.Changes = append(d.Changes, Change{Table: name, New: true})
		case old.Fingerprint != t.Fingerprint:
			d.Changes = append(d.Changes, Change{
				Table: name,
				DDL:   old.DDLFingerprint != t.DDLFingerprint,
				// The properties of a statement count as part of it.
				DML: old.DMLFingerprint != t.DMLFingerprint || !sameProperties(old, t),
			})
		}
	}
	if base != nil {
		for _, name := range base.Names() {
			if t := base.Tables[name]; !t.External() && head.Tables[name] == nil {
				d.Deleted = append(d.Deleted, name)
			}
		}
	}
	return d
}

func sameProperties(a, b *inventory.Table) bool {
	return maps.Equal(a.DDLProperties, b.DDLProperties) && maps.Equal(a.DMLProperties, b.DMLProperties)
}
