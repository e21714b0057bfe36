package flinksql_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shiftleft/shiftleft/flinksql"
)

// benchDML is a typical fact-table DML: settings, CTEs with a dedup, joins
// (one temporal), a sub-query and an aggregation.
const benchDML = `-- fct_order_revenue: revenue per customer and day
SET 'sql.state-ttl' = '7 d';
INSERT INTO ` + "`prod`.`sales`.`fct_order_revenue`" + `
WITH latest_orders AS (
    SELECT *
    FROM (
        SELECT o.*,
               ROW_NUMBER() OVER (PARTITION BY o.order_id ORDER BY o.` + "`$rowtime`" + ` DESC) AS rn
        FROM src_orders /*+ OPTIONS('scan.startup.mode' = 'earliest-offset') */ AS o
        WHERE o.status <> 'CANCELLED' -- cancelled orders never count
    )
    WHERE rn = 1
),
order_lines AS (
    SELECT l.order_id, l.product_id, l.quantity * l.unit_price AS line_amount
    FROM src_order_lines AS l
    WHERE l.quantity > 0
),
customers AS (
    SELECT c.customer_id, TRIM(BOTH ' ' FROM c.name) AS name, c.tenant_id
    FROM dim_customers AS c
    WHERE c.tenant_id IN (SELECT t.id FROM dim_tenants AS t WHERE t.active)
)
SELECT
    c.customer_id,
    c.name,
    CAST(o.order_ts AS DATE) AS order_day,
    COUNT(DISTINCT o.order_id) AS orders,
    SUM(ol.line_amount * COALESCE(r.rate, 1)) AS revenue_usd,
    MAX(EXTRACT(HOUR FROM o.order_ts)) AS last_hour
FROM latest_orders AS o
JOIN order_lines AS ol ON ol.order_id = o.order_id
LEFT JOIN customers AS c ON c.customer_id = o.customer_id
LEFT JOIN currency_rates FOR SYSTEM_TIME AS OF o.order_ts AS r
    ON r.currency = o.currency
WHERE o.order_ts IS NOT NULL
GROUP BY c.customer_id, c.name, CAST(o.order_ts AS DATE);
`

func BenchmarkParse(b *testing.B) {
	b.SetBytes(int64(len(benchDML)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := flinksql.Parse(benchDML); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBenchDML keeps the benchmark input honest: it must parse to what it
// says, or the benchmark measures an early exit.
func TestBenchDML(t *testing.T) {
	checkParse(t, parseCase{
		sql:          benchDML,
		wantWrites:   []string{"prod.sales.fct_order_revenue"},
		wantReads:    []string{"src_orders", "src_order_lines", "dim_customers", "dim_tenants", "currency_rates"},
		wantStateful: true,
		wantReason:   "temporal join",
		wantJoins:    flinksql.JoinCounts{Regular: 1, Left: 2},
	})
}

// TestParseScales guards against walks that are quadratic in the input: at
// these sizes the quadratic versions took minutes, the linear ones take well
// under a second. Nesting stops at MaxNesting, so the nested inputs repeat
// groups that deep.
func TestParseScales(t *testing.T) {
	if testing.Short() {
		t.Skip("large inputs")
	}
	const n = 100000
	var joins strings.Builder
	joins.WriteString("SELECT * FROM t0")
	for i := 1; i < n/2; i++ {
		fmt.Fprintf(&joins, " JOIN t%d ON t%d.x = t0.x", i, i)
	}
	d := flinksql.MaxNesting - 1
	repeat := func(s string) string { return strings.Repeat(s, n/d) }
	inputs := map[string]string{
		"nested sub-queries": "SELECT * FROM t WHERE x" +
			repeat(" IN "+strings.Repeat("(SELECT x FROM t WHERE x IN ", d)+"(1)"+strings.Repeat(")", d)+" AND x"),
		"nested expressions":  "SELECT " + repeat(strings.Repeat("(", d)+"x"+strings.Repeat(")", d)+" + ") + "1 FROM t",
		"many distinct reads": joins.String(),
	}
	for name, src := range inputs {
		start := time.Now()
		if _, err := flinksql.Parse(src); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if d := time.Since(start); d > 15*time.Second {
			t.Errorf("%s: Parse took %v", name, d)
		}
	}
}
