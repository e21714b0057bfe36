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
		// A keyed stateful table changes in place: nothing is dropped, its
		// readers take the reprocessed rows as upserts.
		"in-place     sales_dim_customer           DML changed, stateful",
		"data: in place: reprocesses from the earliest offset into the same keyed table sales_dim_customer",
		"job succeeded: 1 tables deployed, 2 running unchanged",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, r.stdout)
		}
	}
}
