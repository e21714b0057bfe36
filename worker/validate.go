package worker

import (
	"context"
	"fmt"
	"strings"

	"github.com/shiftleft/shiftleft/deployments"
	"github.com/shiftleft/shiftleft/githubstatus"
	"github.com/shiftleft/shiftleft/jobs"
)

// validate dry-runs the change's new and changed statements against the
// target (deployments.Validate); nil when nothing changed.
func (w *Worker) validate(ctx context.Context, c *change) (*deployments.Validation, error) {
	if len(c.diff.Changes) == 0 || c.head.tree == nil {
		return nil, nil
	}
	req := w.target.DryRun
	req.Tree, req.Graph, req.Changes, req.Naming = c.head.tree, c.graph, c.diff.Changes, w.target.Plan.Naming
	if req.ComputePoolID == "" {
		req.ComputePoolID = w.target.Plan.DefaultComputePoolID
	}
	v, err := deployments.Validate(ctx, w.target.Client, req)
	if err != nil {
		return nil, fmt.Errorf("validate the statements: %w", err)
	}
	return v, nil
}

// validationReport puts the validation in the plan report.
func validationReport(r *githubstatus.PlanReport, v *deployments.Validation) {
	if v == nil {
		return
	}
	r.Validated = true
	for _, c := range v.Checks {
		r.Checks = append(r.Checks, githubstatus.CheckRow{Table: c.Table, Kind: c.Kind, File: c.File, Line: c.Line,
			Error: c.Error, Unchecked: c.Unchecked})
	}
	for _, u := range v.Unknown {
		r.UnknownTables = append(r.UnknownTables, githubstatus.UnknownTableRow{Table: u.Table, ReadBy: u.ReadBy})
	}
}

// unknownTables are the job record's lines for the tables read that nothing
// has.
func unknownTables(v *deployments.Validation) []jobs.PlannedAction {
	if v == nil {
		return nil
	}
	var out []jobs.PlannedAction
	for _, u := range v.Unknown {
		out = append(out, jobs.PlannedAction{Table: u.Table, Action: "unknown",
			Reason: "read by " + strings.Join(u.ReadBy, ", ") + "; defined neither in the pipelines nor on the target"})
	}
	return out
}

// invalidSummary says what the validation rejected, for the job record and
// the commit status: "2 invalid: fct_orders (dml.fct_orders.sql:4), table
// src_ordres unknown".
func invalidSummary(v *deployments.Validation) string {
	var parts []string
	for _, u := range v.Unknown {
		parts = append(parts, "table "+u.Table+" unknown")
	}
	for _, c := range v.Checks {
		if !c.Valid() {
			parts = append(parts, fmt.Sprintf("%s (%s:%d)", c.Table, c.File[strings.LastIndex(c.File, "/")+1:], c.Line))
		}
	}
	return fmt.Sprintf("%d invalid: %s", v.Invalid(), strings.Join(parts, ", "))
}
