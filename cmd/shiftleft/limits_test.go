package main

import (
	"context"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/confluent"
)

// TestDeploySettleReport: a deploy watching its statements settle says for
// how long, and names what runs and the running table it left unchanged.
func TestDeploySettleReport(t *testing.T) {
	tg, dir := newTarget(t), pipelineTree(t)
	tg.mustDeploy(t, dir, "--table-name", "src")
	r := tg.mustDeploy(t, dir, "--table-name", "mid", "--settle", "50ms")
	for _, want := range []string{"running (1): mid", "running, left unchanged (1): src", "watched for 50ms after the last step"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout does not say %q:\n%s", want, r.stdout)
		}
	}
}

func TestDeployWaitFlags(t *testing.T) {
	tg, dir := newTarget(t), pipelineTree(t)
	for _, bad := range [][]string{{"--pending-timeout", "0s"}, {"--settle", "-1s"}, {"--settle", "soon"}} {
		if r := tg.deploy(t, dir, append([]string{"--table-name", "mid"}, bad...)...); r.code != exitUsage {
			t.Errorf("%v: exit %d, want %d\n%s", bad, r.code, exitUsage, r.stderr)
		}
	}
}

// liveStatements counts the statements that take a place in the quota.
func (tg *target) liveStatements(t *testing.T) []string {
	t.Helper()
	l, err := tg.client.ListStatements(context.Background(), confluent.ListOptions{})
	must(t, err)
	var names []string
	for _, st := range l {
		if st.Status == nil || st.Status.Phase != confluent.PhaseDeleting {
			names = append(names, st.Name)
		}
	}
	slices.Sort(names)
	return names
}

// TestDeployLeavesOneStatementPerTable: a deployed table with DML leaves its
// DML alone (its DDL statement is deleted once the DML runs), a table
// without DML its DDL; a re-run plans nothing, a DML change restarts the DML
// alone, and a forced recreate after a DDL change recreates the table (and its
// readers), each leaving one statement a
// table.
func TestDeployLeavesOneStatementPerTable(t *testing.T) {
	tg, dir := newTarget(t), pipelineTree(t)
	writeTree(t, dir, map[string]string{"sources/p/ref/sql-scripts/ddl.ref.sql": "CREATE TABLE IF NOT EXISTS ref (id STRING);"})
	want := []string{ddl("ref", "p"), dml("mid", "p"), dml("p_fct_sink", "p"), dml("p_mv_sink", "p"), dml("src", "p")}
	slices.Sort(want)
	check := func(when string) {
		t.Helper()
		// A carried-over DML runs as a version of its name (-v2...).
		got := tg.liveStatements(t)
		for i, name := range got {
			got[i] = regexp.MustCompile(`-v[0-9]+$`).ReplaceAllString(name, "")
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("%s: live statements %v, want %v", when, got, want)
		}
	}
	tg.mustDeploy(t, dir, "--product-name", "p")
	check("after the first deploy")
	before := maps.Clone(tg.creates())
	if r := tg.mustDeploy(t, dir, "--product-name", "p"); !strings.Contains(r.stdout, "0 to deploy") {
		t.Errorf("re-run plans work:\n%s", r.stdout)
	}
	if got := tg.creates(); !maps.Equal(got, before) {
		t.Errorf("a re-run created statements: %v, before %v", got, before)
	}
	writeTree(t, dir, map[string]string{"intermediates/p/mid/sql-scripts/dml.mid.sql": "INSERT INTO mid SELECT id FROM src WHERE id IS NOT NULL;"})
	// Without a rollback point kept, the carried-over DML replaces the
	// old one: still one statement a table.
	if r := tg.mustDeploy(t, dir, "--table-name", "mid", "--keep-stopped", "0"); !strings.Contains(r.stdout, "carry-over") {
		t.Errorf("a DML change did not carry the DML over:\n%s", r.stdout)
	}
	if got := tg.creates(); got["drop-mid"] != 0 || got[ddl("mid", "p")] != before[ddl("mid", "p")] {
		t.Errorf("a DML change dropped mid or ran its DDL again: %v", got)
	}
	check("after a DML change")
	writeTree(t, dir, map[string]string{"intermediates/p/mid/sql-scripts/ddl.mid.sql": "CREATE TABLE IF NOT EXISTS mid (id STRING, note STRING);"})
	if r := tg.mustDeploy(t, dir, "--table-name", "mid", "--force", "--allow-drop"); !strings.Contains(r.stdout, "recreate") {
		t.Errorf("--force did not recreate the table:\n%s", r.stdout)
	}
	check("after the recreate")
	if r := tg.mustDeploy(t, dir, "--product-name", "p"); !strings.Contains(r.stdout, "0 to deploy") {
		t.Errorf("re-run after the recreate plans work:\n%s", r.stdout)
	}
}
