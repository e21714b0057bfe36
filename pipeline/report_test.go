package pipeline_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/inventory"
	"github.com/shiftleft/shiftleft/pipeline"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// examples loads the repository's sample pipelines.
func examples(t *testing.T) *pipeline.Graph {
	t.Helper()
	inv, _, err := inventory.Build(os.DirFS("../examples/pipelines"), inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	g, err := pipeline.New(inv)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestReportGolden(t *testing.T) {
	g := examples(t)
	tests := []struct {
		table  string
		opts   pipeline.ReportOptions
		format string
	}{
		{"sales_mv_top_customers", pipeline.ReportOptions{}, "txt"},
		{"int_sales_orders_usd", pipeline.ReportOptions{Children: true}, "txt"},
		{"int_sales_orders_usd", pipeline.ReportOptions{ParentsOnly: true}, "json"},
		{"sales_dim_customer", pipeline.ReportOptions{}, "json"},
		{"sales_dim_customer", pipeline.ReportOptions{Children: true}, "yaml"},
		{"int_sales_orders_usd", pipeline.ReportOptions{Children: true}, "dot"},
		{"sales_mv_top_customers", pipeline.ReportOptions{}, "mermaid"},
	}
	for _, tt := range tests {
		mode := "default"
		switch {
		case tt.opts.Children:
			mode = "children"
		case tt.opts.ParentsOnly:
			mode = "parents"
		}
		name := tt.table + "." + mode + "." + tt.format
		t.Run(name, func(t *testing.T) {
			r, err := g.Report(tt.table, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []byte
			switch tt.format {
			case "txt":
				got = []byte(r.Text())
			case "json":
				got, err = r.JSON()
			case "yaml":
				got, err = r.YAML()
			case "dot":
				got = []byte(r.DOT())
			case "mermaid":
				got = []byte(r.Mermaid())
			}
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", name), got)
		})
	}
}

func golden(t *testing.T, file string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./pipeline -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs (run go test ./pipeline -update after checking):\ngot:\n%s\nwant:\n%s", file, got, want)
	}
}

func TestReportSubgraph(t *testing.T) {
	g := examples(t)
	r, err := g.Report("int_sales_orders_usd", pipeline.ReportOptions{Children: true})
	if err != nil {
		t.Fatal(err)
	}
	members := map[string]bool{}
	for _, n := range r.Nodes {
		members[n] = true
	}
	for _, want := range []string{"raw_orders", "src_sales_orders", "int_sales_orders_usd", "sales_fct_customer_orders", "sales_mv_top_customers", "marketing_fct_campaign_conversions"} {
		if !members[want] {
			t.Errorf("%s missing from %v", want, r.Nodes)
		}
	}
	// A descendant's other parents are not part of this table's pipeline.
	if members["src_marketing_clicks"] {
		t.Errorf("src_marketing_clicks is not related to int_sales_orders_usd: %v", r.Nodes)
	}
	for _, e := range r.Edges {
		if !members[e[0]] || !members[e[1]] {
			t.Errorf("edge %v leaves the subgraph", e)
		}
	}
	if dot := r.DOT(); !strings.Contains(dot, `"src_sales_orders" -> "int_sales_orders_usd";`) {
		t.Errorf("DOT misses an edge:\n%s", dot)
	}
}

func TestImpact(t *testing.T) {
	g := examples(t)
	r, err := g.Impact("change", []string{"int_sales_orders_usd", "sales_fct_daily_revenue"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"src_sales_fx_rates", "src_sales_orders", "int_sales_orders_usd", "sales_fct_daily_revenue"}
	if strings.Join(r.Nodes, " ") != strings.Join(want, " ") {
		t.Errorf("nodes %v, want %v", r.Nodes, want)
	}
	m := r.Mermaid()
	if !strings.Contains(m, "class n2,n3 root") || strings.Count(m, "-->") != 3 {
		t.Errorf("mermaid:\n%s", m)
	}
	if _, err := g.Impact("x", []string{"nope"}); err == nil {
		t.Error("unknown table accepted")
	}
}
