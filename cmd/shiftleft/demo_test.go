package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// The README's first command: the whole loop on embedded defaults.
func TestDemo(t *testing.T) {
	r := shiftleft(t, nil, "demo", filepath.Join("..", "..", "examples", "pipelines"))
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"job succeeded: 13 tables deployed",
		"recreate     sales_dim_customer           DML changed, stateful",
		"recreate     sales_fct_customer_orders    parent sales_dim_customer recreated (DROP TABLE fails its readers); stateful: recreate",
		"job succeeded: 3 tables deployed, 4 running unchanged",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, r.stdout)
		}
	}
}
