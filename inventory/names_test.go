package inventory_test

import (
	"slices"
	"testing"

	"github.com/shiftleft/shiftleft/inventory"
)

// TestNamesFollowTheMap: Names stays the sorted names of the map as tables
// are added, removed or swapped for others after a first call, and what it
// returns is the caller's to change.
func TestNamesFollowTheMap(t *testing.T) {
	inv := &inventory.Inventory{Tables: map[string]*inventory.Table{"b": {}, "a": {}}}
	steps := []struct {
		change func()
		want   []string
	}{
		{func() {}, []string{"a", "b"}},
		{func() { inv.Tables["c"] = &inventory.Table{} }, []string{"a", "b", "c"}},
		{func() { delete(inv.Tables, "a"); inv.Tables["0"] = &inventory.Table{} }, []string{"0", "b", "c"}},
		{func() { delete(inv.Tables, "b") }, []string{"0", "c"}},
	}
	for i, s := range steps {
		s.change()
		got := inv.Names()
		if !slices.Equal(got, s.want) {
			t.Errorf("step %d: Names %v, want %v", i, got, s.want)
		}
		got[0] = "changed by the caller"
		if again := inv.Names(); !slices.Equal(again, s.want) {
			t.Errorf("step %d: after the caller changed its copy, Names %v", i, again)
		}
	}
}
