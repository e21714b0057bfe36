package githubstatus_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shiftleft/shiftleft/githubstatus"
	"github.com/shiftleft/shiftleft/planner"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const (
	baseSHA = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"
	headSHA = "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c"
)

const graph = `flowchart LR
  n0[("raw_orders<br/>external topic")]
  n1["src_sales_orders<br/>source · sales · Stateful"]
  n2["int_sales_orders_usd<br/>intermediate · sales · Stateful"]
  n3["sales_fct_customer_orders<br/>fact · sales · Stateful"]
  n0 --> n1
  n1 --> n2
  n2 --> n3
  classDef root stroke-width:3px
  class n2 root
`

func report(rows []githubstatus.PlanRow, warnings ...string) githubstatus.PlanReport {
	return githubstatus.PlanReport{
		Repo: "acme/flink-pipelines", PullRequest: 42, BaseSHA: baseSHA, HeadSHA: headSHA,
		Rows: rows, Graph: graph, Warnings: warnings, JobID: "job-7f3a",
	}
}

func withErrors(r githubstatus.PlanReport, errs ...string) githubstatus.PlanReport {
	r.Errors = errs
	return r
}

func refused(r githubstatus.PlanReport, why string) githubstatus.PlanReport {
	r.Refused = why
	return r
}

func withChecks(r githubstatus.PlanReport, unknown []githubstatus.UnknownTableRow, checks ...githubstatus.CheckRow) githubstatus.PlanReport {
	r.Validated, r.Checks, r.UnknownTables = true, checks, unknown
	return r
}

func withGraph(r githubstatus.PlanReport, graph string) githubstatus.PlanReport {
	r.Graph = graph
	return r
}

var typicalRows = []githubstatus.PlanRow{
	{Table: "src_sales_orders", Action: planner.Skip, Reason: "already runs: owned by its own pipeline", Product: "sales"},
	{Table: "int_sales_orders_usd", Action: planner.Recreate, Reason: "DML changed, stateful: recreate to rebuild its state", Product: "sales"},
	{Table: "sales_dim_customer", Action: planner.Recreate, Reason: "DDL changed: drop and recreate", Product: "sales",
		Consequence: "drops topic sales_dim_customer (its records and schema), then rebuilds it from the earliest offset of its inputs"},
	{Table: "sales_fct_customer_orders", Action: planner.Recreate, Reason: "parent int_sales_orders_usd recreated and this DML is stateful", Product: "sales"},
	{Table: "mkt_clicks_enriched", Action: planner.CarryOver, Reason: "DML changed, stateless: restart it; carry over the offsets of dev-usw2-marketing-dml-mkt-clicks-enriched",
		Product: "marketing", Consequence: "carries over offsets from dev-usw2-marketing-dml-mkt-clicks-enriched: nothing read twice or skipped"},
	{Table: "mkt_sessions", Action: planner.RestartDML, Reason: "parent mkt_clicks_enriched restarted", Product: "marketing"},
	{Table: "sales_mv_top_customers", Action: planner.Create, Reason: "new table", Product: "sales"},
	{Table: "src_sales_customers", Action: planner.Skip, Reason: "already runs this SQL (same fingerprint)", Product: "sales"},
	{Table: "raw_orders", Action: planner.Skip, Reason: "external topic: never deployed"},
}

func TestRenderPlanCommentGolden(t *testing.T) {
	tests := []struct {
		name   string
		report githubstatus.PlanReport
	}{
		{"typical", report(typicalRows)},
		{"refused", refused(report(typicalRows[1:3]), "the plan drops topics without permission: it would drop topic sales_dim_customer (recreate: DDL changed: drop and recreate)")},
		{"no_change", report([]githubstatus.PlanRow{
			{Table: "src_sales_orders", Action: planner.Skip, Reason: "already runs this SQL (same fingerprint)", Product: "sales"},
		})},
		{"warnings", report(typicalRows[1:3],
			"sales_legacy_orders was deleted: it keeps running until pruning is enabled",
			"pipelines/facts/sales/x/sql-scripts/dml.x.sql:3:14: unterminated string")},
		{"does_not_build", withErrors(report(nil), "pipelines/facts/sales/x/sql-scripts/dml.x.sql (table x): 3:14: unterminated string",
			"pipelines/views/sales/y/sql-scripts/dml.y.sql (table y): 1:22: a table name must follow FROM")},
		{"validated", withChecks(report(typicalRows[6:8]), nil,
			githubstatus.CheckRow{Table: "sales_mv_top_customers", Kind: "ddl", File: "pipelines/views/sales/mv/sql-scripts/ddl.sales_mv_top_customers.sql", Line: 1},
			githubstatus.CheckRow{Table: "sales_mv_top_customers", Kind: "dml", File: "pipelines/views/sales/mv/sql-scripts/dml.sales_mv_top_customers.sql", Line: 3})},
		{"invalid", withChecks(report(typicalRows[6:8]),
			[]githubstatus.UnknownTableRow{{Table: "sales_fct_customer_ordres", ReadBy: []string{"sales_mv_top_customers", "x|y"}}},
			githubstatus.CheckRow{Table: "sales_mv_top_customers", Kind: "ddl", File: "pipelines/views/sales/mv/sql-scripts/ddl.sales_mv_top_customers.sql", Line: 1},
			githubstatus.CheckRow{Table: "sales_mv_top_customers", Kind: "dml", File: "pipelines/views/sales/mv/sql-scripts/dml.sales_mv_top_customers.sql", Line: 4,
				Error: "SQL validation failed. From line 2, column 8 to line 2, column 11: Column 'nme' not found in any table | <b>"})},
		{"nothing_to_validate", withChecks(report(typicalRows[7:8]), nil)},
		{"unchecked", withChecks(report(typicalRows[6:8]), nil,
			githubstatus.CheckRow{Table: "sales_mv_top_customers", Kind: "ddl", File: "pipelines/views/sales/mv/sql-scripts/ddl.sales_mv_top_customers.sql", Line: 1},
			githubstatus.CheckRow{Table: "sales_mv_top_customers", Kind: "dml", File: "pipelines/views/sales/mv/sql-scripts/dml.sales_mv_top_customers.sql", Line: 1,
				Unchecked: "uses sales_mv_top_customers, which this change creates or replaces, and the target checks a dry run against its tables as they are; " +
					"Flink said: Table (or view) 'sales_mv_top_customers' does not exist"})},
		{"escaping", withGraph(report([]githubstatus.PlanRow{
			{Table: "orders|v2", Action: planner.Recreate, Reason: "a | b\nsecond line </details> <script>&", Product: "sales|eu"},
			{Table: "`odd`", Action: planner.Create, Reason: `ends with a backslash \`, Product: "<b>"},
			{Table: "ok", Action: planner.Skip, Reason: "skip | with pipe\r\nand CRLF"},
			// Inline Markdown in a name or a reason shows as written.
			{Table: "**bold**|x", Action: planner.Create, Reason: "parent **p_orders** and _it_, __strong__, ~~gone~~, `code`, [a link](https://example.com), ![img](x.png)",
				Product: "*eu*"},
			{Table: "snake_case_name|v2", Action: planner.Create, Reason: "int_orders_v2 reads _leading and trailing_ and a__b"},
		}, "# not a heading", "---", "- not a nested list", "<!-- shiftleft:plan -->", "1. not an ordered list", "2) nor this", "1.5 seconds is text"),
			// A graph holding a code fence must not end the mermaid block early.
			"flowchart LR\n  n0[\"```\"]\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := githubstatus.RenderPlanComment(tt.report)
			if !strings.HasPrefix(got, githubstatus.Marker+"\n") {
				t.Errorf("the comment does not start with the marker line:\n%s", got)
			}
			golden(t, filepath.Join("testdata", tt.name+".md"), got)
		})
	}
}

// golden compares got with a file, or rewrites the file under -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}
