package deployments

import (
	"strconv"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/planner"
)

// physical is the table a step's statement is about: table's physical
// version, when the step names one.
func physical(table string, s planner.Step) string {
	if p, ok := s.Tables[table]; ok {
		return p
	}
	return table
}

// versionLabel labels a statement with the physical version of its table,
// when it is above 1: what runs says which versions exist, for any process.
func versionLabel(req *confluent.StatementRequest, s planner.Step) {
	if s.Version > 1 {
		req.Labels[LabelVersion] = strconv.Itoa(s.Version)
	}
}
