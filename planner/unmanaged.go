package planner

import "github.com/shiftleft/shiftleft/flinksql"

// writtenTable is the first of tables that sql creates or inserts into, ""
// when it writes none of them or does not parse (a statement shiftleft
// cannot read is not its business).
func writtenTable(sql string, tables map[string]bool) string {
	if sql == "" || len(tables) == 0 {
		return ""
	}
	script, err := flinksql.Parse(sql)
	if err != nil {
		return ""
	}
	var names []flinksql.Name
	if created, ok := script.Created(); ok {
		names = append(names, created.Table)
	}
	for _, n := range append(names, script.Writes()...) {
		if tables[n.Table()] {
			return n.Table()
		}
	}
	return ""
}
