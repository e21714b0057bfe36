package worker_test

import (
	"path/filepath"
	"testing"

	"github.com/shiftleft/shiftleft/jobs"
)

// TestFanOutDeploys: a statement set writing its own table and another,
// whose folder holds only its DDL, deploys: the other table's DDL runs
// before the statement set, which the emulator refuses to start without it.
func TestFanOutDeploys(t *testing.T) {
	s := newService(t, 1)
	r := newRepo(t, func(dir string) {
		for name, sql := range map[string]string{
			"sources/f/src/sql-scripts/ddl.f_src.sql": "CREATE TABLE IF NOT EXISTS f_src (id STRING, kind STRING);",
			"facts/f/a/sql-scripts/ddl.f_a.sql":       "CREATE TABLE IF NOT EXISTS f_a (id STRING);",
			"facts/f/a/sql-scripts/dml.f_a.sql": `EXECUTE STATEMENT SET BEGIN
				INSERT INTO f_a SELECT id FROM f_src WHERE kind = 'a';
				INSERT INTO f_b SELECT id FROM f_src WHERE kind = 'b';
			END;`,
			"facts/f/b/sql-scripts/ddl.f_b.sql": "CREATE TABLE IF NOT EXISTS f_b (id STRING);",
		} {
			must(t, mkdirWrite(filepath.Join(dir, "pipelines", filepath.FromSlash(name)), sql))
		}
	})
	j := s.run(t, deployJob(r, "", r.commit("main", "fan-out"), "push-1"))
	if j.Status != jobs.StatusSucceeded {
		t.Fatalf("deploy: %s %s\n%+v", j.Status, j.Error, j.Results)
	}
	if got, want := planOf(j), "f_src:create f_b:create f_a:create"; got != want {
		t.Errorf("plan %q, want %q", got, want)
	}
}
